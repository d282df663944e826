import Link from "next/link";
import { ChannelForm } from "@/components/admin/channels/channel-form";
import { Card, CardHeader, PageHeader } from "@/components/ui/card";
import { listModels } from "@/lib/admin/models";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { PROVIDER_PRESETS } from "@/lib/gateway/providers/presets";

export const generateMetadata = adminPageMetadata("Add channel");
export const dynamic = "force-dynamic";

export default async function NewChannelPage() {
  await requirePlatformAdmin("/admin/channels/new");
  const models = (await listModels()).data.map((m) => ({ id: m.id, displayName: m.displayName, provider: m.provider }));
  return (
    <>
      <PageHeader
        title="Add channel"
        description={
          <>
            An upstream account the gateway can route to.{" "}
            <Link href="/admin/channels" className="text-indigo-700 hover:underline">
              Back to channels
            </Link>
          </>
        }
      />
      <Card>
        <CardHeader
          title="Channel"
          description="Start from a provider preset, add the API key, and test it from the channel's page."
        />
        <div className="p-5">
          <ChannelForm mode="create" presets={PROVIDER_PRESETS.map((p) => ({ ...p }))} models={models} />
        </div>
      </Card>
    </>
  );
}
