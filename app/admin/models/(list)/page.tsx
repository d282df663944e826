import Link from "next/link";
import { ModelStatus } from "@/components/admin/models/model-status";
import { Badge, Card, CardHeader, EmptyState, PageHeader, Stat } from "@/components/ui/card";
import { adminPageMetadata, requirePlatformAdmin } from "@/lib/admin/page-auth";
import { listModels, type ModelListItemJson } from "@/lib/admin/models";
import { usdToNanos } from "@/lib/billing/money";
import { formatCompact, formatUsd } from "@/lib/format";

export const generateMetadata = adminPageMetadata("Models and prices");
export const dynamic = "force-dynamic";

export default async function AdminModelsPage() {
  await requirePlatformAdmin("/admin/models");
  const { data: models } = await listModels();
  const enabled = models.filter((m) => m.enabled);
  const unavailable = models.filter((m) => m.availability === "unavailable");
  const unpriced = models.filter((m) => !m.isPriced);

  return (
    <>
      <PageHeader
        title="Models and prices"
        description="What each model costs per 1M tokens, its limits, and what model “auto” may pick it for. A price change applies to requests admitted after it."
      />
      <div className="grid grid-cols-1 gap-6">
        <div className="grid gap-4 sm:grid-cols-3">
          <Stat label="Enabled" value={`${enabled.length} of ${models.length}`} detail="Offered on /v1/models" />
          <Stat
            label="Unavailable"
            value={unavailable.length}
            detail="Enabled, but no enabled channel serves them"
            testId="models-unavailable-count"
          />
          <Stat label="Unpriced" value={unpriced.length} detail="No price yet: they cannot be enabled" />
        </div>
        <Card>
          <CardHeader
            title="Price list"
            description="USD per 1M tokens. Cached input without its own price is billed at the input price."
          />
          {models.length === 0 ? (
            <EmptyState title="No models yet">
              Add models with <code>POST /api/admin/models</code>; a fresh install seeds the price table.
            </EmptyState>
          ) : (
            <div className="relative overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead className="border-b border-slate-100 text-xs text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-5 py-2 font-medium">
                      Model
                    </th>
                    <th scope="col" className="px-3 py-2 font-medium">
                      Status
                    </th>
                    <th scope="col" className="px-3 py-2 text-right font-medium">
                      Input
                    </th>
                    <th scope="col" className="px-3 py-2 text-right font-medium">
                      Output
                    </th>
                    <th scope="col" className="px-3 py-2 text-right font-medium">
                      Cached input
                    </th>
                    <th scope="col" className="px-3 py-2 text-right font-medium">
                      Context
                    </th>
                    <th scope="col" className="px-3 py-2 text-right font-medium">
                      Max output
                    </th>
                    <th scope="col" className="px-3 py-2 font-medium">
                      Auto
                    </th>
                    <th scope="col" className="px-5 py-2 font-medium">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {models.map((model) => (
                    <tr key={model.id} data-testid={`model-row-${model.id}`}>
                      <td className="px-5 py-3 whitespace-nowrap">
                        <div className="font-medium text-slate-900">{model.displayName}</div>
                        <div className="font-mono text-xs text-slate-500">{model.id}</div>
                        <div className="text-xs text-slate-500">{model.provider}</div>
                      </td>
                      <td className="px-3 py-3">
                        <ModelStatus model={model} />
                      </td>
                      <td className="px-3 py-3 text-right tabular-nums" data-testid="model-input-price">
                        {formatUsd(usdToNanos(model.inputPriceUsd))}
                      </td>
                      <td className="px-3 py-3 text-right tabular-nums" data-testid="model-output-price">
                        {formatUsd(usdToNanos(model.outputPriceUsd))}
                      </td>
                      <td className="px-3 py-3 text-right text-slate-600 tabular-nums">
                        {model.cachedInputPriceUsd === null
                          ? "as input"
                          : formatUsd(usdToNanos(model.cachedInputPriceUsd))}
                      </td>
                      <td className="px-3 py-3 text-right tabular-nums">{formatCompact(model.contextWindow)}</td>
                      <td className="px-3 py-3 text-right tabular-nums">
                        {formatCompact(model.maxOutputTokens)}
                        <div className="text-xs text-slate-500">
                          default {formatCompact(model.defaultMaxOutputTokens)}
                        </div>
                      </td>
                      <td className="px-3 py-3">
                        <div className="flex max-w-48 min-w-32 flex-wrap gap-1">
                          <Badge tone="indigo">Tier {model.qualityTier}</Badge>
                          {capabilities(model).map((capability) => (
                            <Badge key={capability}>{capability}</Badge>
                          ))}
                        </div>
                      </td>
                      <td className="px-5 py-3 text-right">
                        <Link
                          href={`/admin/models/${encodeURIComponent(model.id)}`}
                          className="font-medium text-indigo-700 hover:text-indigo-600"
                          aria-label={`Edit ${model.displayName}`}
                        >
                          Edit
                        </Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      </div>
    </>
  );
}

function capabilities(model: ModelListItemJson): string[] {
  const list: string[] = [];
  if (model.kind === "EMBEDDING") list.push("Embeddings");
  if (model.supportsTools) list.push("Tools");
  if (model.supportsVision) list.push("Vision");
  if (model.supportsJson) list.push("JSON");
  if (model.supportsReasoning) list.push("Reasoning");
  return list;
}
