import Link from "next/link";
import { notFound } from "next/navigation";
import { ChannelForm } from "@/components/admin/channels/channel-form";
import { DeleteChannel, EnableToggle, ReplaceKeyForm } from "@/components/admin/channels/channel-controls";
import { HealthFigures, RotationBadge, RotationNote } from "@/components/admin/channels/channel-health";
import { ChannelTests, TestButton, TestOutcome } from "@/components/admin/channels/channel-tests";
import { providerLabel } from "@/lib/admin/channel-display";
import type { ProviderId } from "@/lib/gateway/providers/list";
import { Card, CardHeader, Notice, PageHeader } from "@/components/ui/card";
import { ApiError } from "@/lib/api/errors";
import { getChannelOverview, HEALTH_WINDOW_MINUTES, type ChannelOverview } from "@/lib/admin/channel-health";
import { listModels } from "@/lib/admin/models";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";

export const generateMetadata = adminPageMetadata("Channel");
export const dynamic = "force-dynamic";

// One channel: live health and a test, its settings, the write-only key (last four characters only),
// rotation on/off and deletion. Every change goes through /api/admin/channels/{id} and is audited.
export default async function ChannelPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ created?: string }>;
}) {
  const { id } = await params;
  await requirePlatformAdmin(`/admin/channels/${encodeURIComponent(id)}`);
  let overview: ChannelOverview;
  try {
    overview = await getChannelOverview(id);
  } catch (err) {
    if (err instanceof ApiError && err.code === "not_found") notFound();
    throw err;
  }
  const { channel, health } = overview;
  const created = (await searchParams).created === "1";
  const models = (await listModels()).data.map((m) => ({ id: m.id, displayName: m.displayName, provider: m.provider }));
  const isDemo = channel.provider === "demo";

  return (
    <ChannelTests channelIds={[channel.id]}>
      <PageHeader
        title={channel.name}
        description={
          <>
            {providerLabel(channel.provider)}
            {!isDemo && <span className="break-all"> · {channel.baseUrl}</span>} ·{" "}
            <Link href="/admin/channels" className="text-indigo-700 hover:underline">
              All channels
            </Link>
          </>
        }
        actions={<TestButton id={channel.id} name={channel.name} />}
      />
      <div className="grid gap-6">
        {created && (
          <Notice tone="success">
            Channel created{channel.enabled ? " and in rotation" : " (disabled)"}. Test it to check the key and the base
            URL.
          </Notice>
        )}
        <Card>
          <CardHeader
            title={
              <span className="flex flex-wrap items-center gap-2">
                Health, last {HEALTH_WINDOW_MINUTES} minutes <RotationBadge health={health} />
              </span>
            }
            description="From this channel's request receipts; the circuit is this server's breaker."
          />
          <div className="grid gap-3 p-5">
            <HealthFigures health={health} />
            <RotationNote health={health} disabledReason={channel.disabledReason} now={new Date()} />
            <TestOutcome id={channel.id} />
          </div>
        </Card>
        <Card>
          <CardHeader title="Settings" description="Changes apply from the next request." />
          <div className="p-5">
            <ChannelForm
              mode="edit"
              channelId={channel.id}
              models={models}
              initial={{
                name: channel.name,
                provider: channel.provider as ProviderId,
                baseUrl: isDemo ? "" : channel.baseUrl,
                models: channel.models,
                modelMapping: channel.modelMapping,
                priority: channel.priority,
                weight: channel.weight,
                outputCapField: channel.outputCapField,
              }}
            />
          </div>
        </Card>
        {!isDemo && (
          <Card>
            <CardHeader title="API key" description="Write-only." />
            <div className="p-5">
              <ReplaceKeyForm channelId={channel.id} last4={channel.apiKeyLast4} />
            </div>
          </Card>
        )}
        <Card>
          <CardHeader title="Rotation" />
          <div className="p-5">
            <EnableToggle channelId={channel.id} enabled={channel.enabled} name={channel.name} />
          </div>
        </Card>
        <Card className="border-red-200">
          <CardHeader title="Delete channel" />
          <div className="p-5">
            <DeleteChannel channelId={channel.id} name={channel.name} />
          </div>
        </Card>
      </div>
    </ChannelTests>
  );
}
