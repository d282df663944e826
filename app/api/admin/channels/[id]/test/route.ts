// POST /api/admin/channels/{id}/test — one-token chat completion against the upstream; records health.
import { testChannel } from "@/lib/admin/channel-test";
import { json, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const POST = withAdmin<{ id: string }>(async ({ params, admin }) => json(await testChannel(params.id, admin)));
