import type { KeyContext } from "./auth";
import { getCatalog, type CatalogChannel, type CatalogModel } from "./catalog";
import { GatewayError } from "./errors";

export interface Route {
  model: CatalogModel;
  channels: CatalogChannel[];
}

/** The model a request asked for, if it exists, this key may use it, and some channel serves it. */
export async function routeModel(key: KeyContext, modelId: string, kind: CatalogModel["kind"]): Promise<Route> {
  const catalog = await getCatalog();
  const model = catalog.models.get(modelId);
  if (!model || model.kind !== kind) {
    throw new GatewayError(
      "model_not_found",
      `The model \`${modelId}\` does not exist or you do not have access to it.`,
      { param: "model" },
    );
  }
  if (key.allowedModels.length > 0 && !key.allowedModels.includes(modelId)) {
    throw new GatewayError("model_not_allowed", `This API key is not allowed to use the model \`${modelId}\`.`, {
      param: "model",
    });
  }
  const channels = catalog.channels.filter((c) => c.models.has(modelId));
  if (channels.length === 0) {
    throw new GatewayError(
      "service_unavailable",
      `No upstream channel currently serves \`${modelId}\`. Please try again later.`,
    );
  }
  return { model, channels };
}

/** The upstream's name for a public model id on this channel. */
export function upstreamModelName(channel: CatalogChannel, modelId: string): string {
  return channel.modelMapping[modelId] ?? modelId;
}

/** A request for one named model: that model and its channels, no fallback model. */
export function routedTo(route: Route): { targets: Route[] } {
  return { targets: [route] };
}
