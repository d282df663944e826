// GET /api/admin/redemption-codes/export?batchId=&status= — the list as CSV (partial codes only).
import { listRedemptionCodes, listRedemptionCodesQuery, redemptionCodesCsv } from "@/lib/admin/redemption-codes";
import { parseQuery, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ request }) => {
  const { data } = await listRedemptionCodes(parseQuery(request, listRedemptionCodesQuery));
  const day = new Date().toISOString().slice(0, 10);
  return new Response(redemptionCodesCsv(data), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="redemption-codes-${day}.csv"`,
    },
  });
});
