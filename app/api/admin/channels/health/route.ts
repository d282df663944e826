// GET /api/admin/channels/health — every channel's last hour of traffic, breaker state and rotation.
import { listChannelHealth } from "@/lib/admin/channel-health";
import { json, withAdmin } from "@/lib/api/handler";

export const dynamic = "force-dynamic";

export const GET = withAdmin(async () => json(await listChannelHealth()));
