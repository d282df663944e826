// POST /v1/chat/completions — OpenAI-compatible chat, streaming and not.
import { handleChatCompletions } from "@/lib/gateway/chat-completions";

export const dynamic = "force-dynamic";

export function POST(request: Request) {
  return handleChatCompletions(request);
}
