import Link from "next/link";
import { notFound } from "next/navigation";
import { ModelForm } from "@/components/admin/models/model-form";
import { ModelStatus } from "@/components/admin/models/model-status";
import { Card, CardHeader, Notice, PageHeader } from "@/components/ui/card";
import { ApiError } from "@/lib/api/errors";
import { getModel } from "@/lib/admin/models";
import { ID_PATTERN } from "@/lib/admin/fields";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { formatDateTime } from "@/lib/format";

export const generateMetadata = adminPageMetadata("Edit model");
export const dynamic = "force-dynamic";

export default async function AdminModelPage({ params }: { params: Promise<{ id: string }> }) {
  const { id: rawId } = await params;
  const id = decodedOrRaw(rawId);
  await requirePlatformAdmin(`/admin/models/${encodeURIComponent(id)}`);
  if (!ID_PATTERN.test(id)) notFound();
  const model = await getModel(id).catch((err: unknown) => {
    if (err instanceof ApiError && err.code === "not_found") notFound();
    throw err;
  });

  return (
    <>
      <Link href="/admin/models" className="mb-3 text-sm font-medium text-indigo-700 hover:text-indigo-600">
        ← Models and prices
      </Link>
      <PageHeader
        title={model.displayName}
        description={
          <>
            <span className="font-mono">{model.id}</span> · {model.provider} · last changed{" "}
            {formatDateTime(new Date(model.updatedAt))}
          </>
        }
        actions={<ModelStatus model={model} />}
      />
      <div className="grid grid-cols-1 gap-6">
        {model.availability === "unavailable" && (
          <Notice tone="info">
            No enabled channel serves this model, so requests for it fail. Add it to a channel under{" "}
            <Link href="/admin/channels" className="font-medium underline">
              Channels
            </Link>
            .
          </Notice>
        )}
        <Card>
          <CardHeader
            title="Prices, limits and routing"
            description="Saved changes apply to requests admitted after them; requests already running keep the price they were admitted with."
          />
          <div className="p-5">
            <ModelForm model={model} />
          </div>
        </Card>
      </div>
    </>
  );
}

/** A path segment decoded once ("qwen2.5%3A72b"); a malformed escape cannot name a model (404 below). */
function decodedOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
