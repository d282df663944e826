// GET /api/admin/channels — list upstream channels; POST — create one (secret write-only).
import { createChannel, createChannelSchema, listChannels } from "@/lib/admin/channels";
import { json, parseBody, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async () => json(await listChannels()));

export const POST = withAdmin(async ({ request, admin }) =>
  json(await createChannel(await parseBody(request, createChannelSchema), admin), 201),
);
