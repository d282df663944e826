import { randomBytes } from "node:crypto";
import { prepareResponsesBody } from "../../body-pool";
import { handleBilledRequest } from "../../pipeline";
import { CanonicalClientStream, type ChunkEncoder } from "../../relay/canonical-stream";
import { chatEndpoint } from "../../relay/chat-endpoint";
import type { ChargedUsage, InboundCodec } from "../../relay/codec";
import { toGatewayError } from "../../errors";
import type { PreparedResponsesBody } from "./prepare";
import { chatCompletionToResponse } from "./response";
import { ChatToResponsesStream } from "./stream";
import { GatewayResponse, type GatewayRequest } from "../../http";

// POST /v1/responses (OpenAI's Responses API, the default of the Vercel AI SDK's OpenAI provider and
// of the Agents SDK) over the one billed relay, for every model: the body is decoded into the
// canonical chat request and answered in the Responses shape. Stateless: nothing is stored, so
// `previous_response_id` is refused (request.ts) and `store` is treated as false.

interface ResponsesBody {
  prepared: PreparedResponsesBody;
  responseId: string;
  createdAt: number;
}

const endpoint = chatEndpoint<ResponsesBody>({
  endpoint: "responses",
  prepare,
  chat: (body) => body.prepared.chat,
  codec: responsesCodec,
});

export function handleResponses(request: GatewayRequest): Promise<GatewayResponse> {
  return handleBilledRequest(request, endpoint);
}

async function prepare(bytes: Buffer): Promise<ResponsesBody> {
  return {
    prepared: await prepareResponsesBody(bytes),
    responseId: `resp_${randomBytes(16).toString("hex")}`,
    createdAt: Math.floor(Date.now() / 1000),
  };
}

function responsesCodec(body: ResponsesBody): InboundCodec {
  return {
    completionResponse({ answer, publicModel, usage, headers }) {
      const response = chatCompletionToResponse(
        { ...answer.completion, usage },
        { ...context(body, publicModel), costUsd: usage.cost_usd },
      );
      return GatewayResponse.json(response, { headers });
    },
    clientStream({ adapter, publicModel }) {
      return new CanonicalClientStream(
        adapter.chunkSource(publicModel),
        new ResponsesChunkEncoder(new ChatToResponsesStream(context(body, publicModel))),
      );
    },
  };
}

function context(body: ResponsesBody, publicModel: string) {
  return { responseId: body.responseId, createdAt: body.createdAt, publicModel, request: body.prepared.request };
}

/** Canonical chunks → the Responses API's event sequence. */
class ResponsesChunkEncoder implements ChunkEncoder {
  constructor(private stream: ChatToResponsesStream) {}

  write(chunk: Parameters<ChatToResponsesStream["push"]>[0]): string {
    return this.stream.push(chunk);
  }

  end(usage: ChargedUsage): string {
    return this.stream.finish(usage, usage.cost_usd);
  }

  fail(error: unknown): string {
    const err = toGatewayError(error);
    return this.stream.error(err.code ?? err.type, err.message);
  }
}
