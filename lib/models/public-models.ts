import { getPrisma } from "@/lib/db/client";
import { nanosToUsd } from "@/lib/billing/money";

export interface PublicModel {
  id: string;
  displayName: string;
  provider: string;
  kind: "CHAT" | "EMBEDDING";
  inputPriceUsd: string;
  outputPriceUsd: string;
  contextWindow: number;
  /** 1 (basic) … 5 (frontier): what `model: "auto"` counts on. */
  qualityTier: number;
  capabilities: string[];
}

/** Enabled models with their public prices, in display order (the /pricing page). */
export async function listPublicModels(): Promise<PublicModel[]> {
  const models = await getPrisma().model.findMany({
    where: { enabled: true },
    orderBy: [{ sortOrder: "asc" }, { id: "asc" }],
  });
  return models.map((m) => ({
    id: m.id,
    displayName: m.displayName,
    provider: m.provider,
    kind: m.kind,
    inputPriceUsd: nanosToUsd(m.inputPriceNanos),
    outputPriceUsd: nanosToUsd(m.outputPriceNanos),
    contextWindow: m.contextWindow,
    qualityTier: m.qualityTier,
    capabilities: [
      m.supportsTools && "tools",
      m.supportsVision && "vision",
      m.supportsJson && "JSON",
      m.supportsReasoning && "reasoning",
    ].filter((c): c is string => Boolean(c)),
  }));
}
