// GET /api/admin/settings — the platform settings; PUT — change any of them (audited before/after).
import { readPlatformSettings, updatePlatformSettings, updatePlatformSettingsSchema } from "@/lib/admin/settings";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async () => json(await readPlatformSettings()));

export const PUT = withAdmin(async ({ request, admin }) =>
  json(await updatePlatformSettings(await parseBody(request, updatePlatformSettingsSchema), admin)),
);
