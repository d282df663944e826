// GET/PATCH/DELETE /api/admin/channels/{id} — read, change (any subset) or delete one channel.
import { deleteChannel, getChannel, updateChannel, updateChannelSchema } from "@/lib/admin/channels";
import { json, noContent, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin<{ id: string }>(async ({ params }) => json(await getChannel(params.id)));

export const PATCH = withAdmin<{ id: string }>(async ({ request, params, admin }) =>
  json(await updateChannel(params.id, await parseBody(request, updateChannelSchema), admin)),
);

export const DELETE = withAdmin<{ id: string }>(async ({ params, admin }) => {
  await deleteChannel(params.id, admin);
  return noContent();
});
