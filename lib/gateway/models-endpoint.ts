import { authenticateRequest } from "./auth";
import { getCatalog, type CatalogModel } from "./catalog";
import { errorResponse, GatewayError, toGatewayError } from "./errors";
import { newRequestId } from "./meter";

// GET /v1/models and /v1/models/{id}: the models this key may use, in OpenAI's shape (no channel details).

function toOpenAiModel(model: CatalogModel) {
  return {
    id: model.id,
    object: "model",
    created: Math.floor(model.createdAt.getTime() / 1000),
    owned_by: model.provider.toLowerCase(),
  };
}

async function visibleModels(headers: Headers): Promise<CatalogModel[]> {
  const key = await authenticateRequest(headers);
  const catalog = await getCatalog();
  const served = new Set(catalog.channels.flatMap((c) => [...c.models]));
  return [...catalog.models.values()]
    .filter((m) => served.has(m.id))
    .filter((m) => key.allowedModels.length === 0 || key.allowedModels.includes(m.id))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export async function handleListModels(request: Request): Promise<Response> {
  const requestId = newRequestId();
  try {
    const models = await visibleModels(request.headers);
    return Response.json(
      { object: "list", data: models.map(toOpenAiModel) },
      { headers: { "x-request-id": requestId } },
    );
  } catch (err) {
    return errorResponse(toGatewayError(err), requestId);
  }
}

export async function handleRetrieveModel(request: Request, id: string): Promise<Response> {
  const requestId = newRequestId();
  try {
    const model = (await visibleModels(request.headers)).find((m) => m.id === id);
    if (!model)
      throw new GatewayError("model_not_found", `The model \`${id}\` does not exist or you do not have access to it.`, {
        param: "model",
      });
    return Response.json(toOpenAiModel(model), { headers: { "x-request-id": requestId } });
  } catch (err) {
    return errorResponse(toGatewayError(err), requestId);
  }
}
