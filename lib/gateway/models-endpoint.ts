import { AUTO_MODEL_IDS, AUTO_VARIANT_DESCRIPTIONS } from "./auto/router";
import { authenticateRequest, type KeyContext } from "./auth";
import { getCatalog, type CatalogModel } from "./catalog";
import { errorResponse, GatewayError, toGatewayError } from "./errors";
import { newRequestId } from "@/lib/http/request-id";
import { GatewayResponse, type GatewayRequest, type HeaderReader } from "./http";

// GET /v1/models and /v1/models/{id}: the models this key may use, in OpenAI's shape (no channel details).

export interface OpenAiModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  description?: string;
}

function toOpenAiModel(model: CatalogModel): OpenAiModel {
  return {
    id: model.id,
    object: "model",
    created: Math.floor(model.createdAt.getTime() / 1000),
    owned_by: model.provider.toLowerCase(),
  };
}

// The router's ids (`auto`, `auto:cheap` …) are listed whenever the key can reach a chat model.
const AUTO_CREATED = Math.floor(Date.UTC(2026, 10, 30) / 1000);

async function visibleModels(headers: HeaderReader): Promise<OpenAiModel[]> {
  return modelsForKey(await authenticateRequest(headers));
}

/** The models `key` may use (what its GET /v1/models lists): served, allowed, plus the router's ids. */
export async function modelsForKey(key: Pick<KeyContext, "allowedModels">): Promise<OpenAiModel[]> {
  const catalog = await getCatalog();
  const served = new Set(catalog.channels.flatMap((c) => [...c.models]));
  const models = [...catalog.models.values()]
    .filter((m) => served.has(m.id))
    .filter((m) => key.allowedModels.length === 0 || key.allowedModels.includes(m.id));
  const auto: OpenAiModel[] = models.some((m) => m.kind === "CHAT")
    ? Object.keys(AUTO_MODEL_IDS).map((id) => ({
        id,
        object: "model",
        created: AUTO_CREATED,
        owned_by: "tokenflow",
        description: AUTO_VARIANT_DESCRIPTIONS[id === "auto:balanced" ? "auto" : id],
      }))
    : [];
  return [...auto, ...models.map(toOpenAiModel)].sort((a, b) => a.id.localeCompare(b.id));
}

export async function handleListModels(request: GatewayRequest): Promise<GatewayResponse> {
  const requestId = newRequestId();
  try {
    const models = await visibleModels(request.headers);
    return GatewayResponse.json({ object: "list", data: models }, { headers: { "x-request-id": requestId } });
  } catch (err) {
    return errorResponse(toGatewayError(err), requestId);
  }
}

export async function handleRetrieveModel(request: GatewayRequest, id: string): Promise<GatewayResponse> {
  const requestId = newRequestId();
  try {
    const model = (await visibleModels(request.headers)).find((m) => m.id === id);
    if (!model)
      throw new GatewayError("model_not_found", `The model \`${id}\` does not exist or you do not have access to it.`, {
        param: "model",
      });
    return GatewayResponse.json(model, { headers: { "x-request-id": requestId } });
  } catch (err) {
    return errorResponse(toGatewayError(err), requestId);
  }
}
