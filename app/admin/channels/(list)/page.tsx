import Link from "next/link";
import { ChannelTests, TestAllButton, TestButton, TestOutcome } from "@/components/admin/channels/channel-tests";
import { HealthFigures, RotationBadge, RotationNote } from "@/components/admin/channels/channel-health";
import { providerLabel } from "@/lib/admin/channel-display";
import { ButtonLink } from "@/components/ui/button";
import { Card, CardHeader, EmptyState, Notice, PageHeader, Stat } from "@/components/ui/card";
import { listChannelOverviews } from "@/lib/admin/channel-health";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";

export const generateMetadata = adminPageMetadata("Channels");
export const dynamic = "force-dynamic";

// Every upstream channel with its live health: the last hour of receipts, the breaker on this
// server, and why a channel takes no traffic. "Test" sends one real request through the SSRF guard.
export default async function ChannelsPage({ searchParams }: { searchParams: Promise<{ deleted?: string }> }) {
  await requirePlatformAdmin("/admin/channels");
  const overviews = await listChannelOverviews();
  const deleted = (await searchParams).deleted;
  const now = new Date();
  const serving = overviews.filter((o) => o.health.rotation === "serving").length;
  const requests = overviews.reduce((sum, o) => sum + o.health.traffic.requests, 0);
  const failed = overviews.reduce((sum, o) => sum + o.health.traffic.failed, 0);
  const addButton = <ButtonLink href="/admin/channels/new">Add channel</ButtonLink>;

  return (
    <ChannelTests channelIds={overviews.map((o) => o.channel.id)}>
      <PageHeader
        title="Channels"
        description="Upstream credentials the gateway routes to: the highest priority tier first, weighted at random within a tier. Health covers the last hour."
        actions={
          overviews.length > 0 ? (
            <>
              <TestAllButton count={overviews.length} />
              {addButton}
            </>
          ) : null
        }
      />
      <div className="grid gap-6">
        {deleted && <Notice tone="success">Channel “{deleted}” is deleted: it takes no more traffic.</Notice>}
        {overviews.length > 0 && (
          <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
            <Stat label="Channels" value={overviews.length} />
            <Stat label="In rotation" value={serving} detail={`${overviews.length - serving} not taking traffic`} />
            <Stat label="Requests, last hour" value={requests.toLocaleString("en-US")} />
            <Stat label="Failed, last hour" value={failed.toLocaleString("en-US")} />
          </div>
        )}
        <Card>
          <CardHeader
            title="All channels"
            description="Success rate counts upstream failures against a channel, not clients that left or requests the upstream refused as invalid. Latency is of successful requests."
          />
          {overviews.length === 0 ? (
            <EmptyState title="No channels yet" action={addButton}>
              Without a channel no model can be served. Add one from a provider preset (DeepSeek, Moonshot, Zhipu,
              DashScope, OpenAI, Anthropic) with its API key, or the local demo provider.
            </EmptyState>
          ) : (
            <ul className="divide-y divide-slate-100">
              {overviews.map(({ channel, health }) => (
                <li key={channel.id} className="grid gap-3 px-5 py-4" data-testid={`channel-${channel.id}`}>
                  <div className="flex flex-wrap items-start justify-between gap-3">
                    <div className="min-w-0">
                      <div className="flex flex-wrap items-center gap-2">
                        <Link
                          href={`/admin/channels/${channel.id}`}
                          className="font-medium break-all text-slate-900 hover:text-indigo-700"
                        >
                          {channel.name}
                        </Link>
                        <RotationBadge health={health} />
                      </div>
                      <p className="mt-0.5 text-sm break-all text-slate-600">
                        {providerLabel(channel.provider)}
                        {channel.provider !== "demo" && <> · {channel.baseUrl}</>} · priority {channel.priority} ·
                        weight {channel.weight}
                      </p>
                      <p className="mt-0.5 text-sm text-slate-600">
                        <span className="sr-only">Models: </span>
                        {channel.models.map((id) => (
                          <span key={id} className="mr-1.5 inline-block font-mono text-xs text-slate-700">
                            {id}
                            {channel.modelMapping[id] && channel.modelMapping[id] !== id && (
                              <span className="text-slate-500"> → {channel.modelMapping[id]}</span>
                            )}
                          </span>
                        ))}
                      </p>
                    </div>
                    <div className="flex shrink-0 gap-2">
                      <TestButton id={channel.id} name={channel.name} />
                      <ButtonLink href={`/admin/channels/${channel.id}`} variant="ghost">
                        Edit<span className="sr-only"> “{channel.name}”</span>
                      </ButtonLink>
                    </div>
                  </div>
                  <HealthFigures health={health} />
                  <RotationNote health={health} disabledReason={channel.disabledReason} now={now} />
                  <TestOutcome id={channel.id} />
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </ChannelTests>
  );
}
