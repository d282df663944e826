// POST /v1/embeddings — OpenAI-compatible embeddings.
import { handleEmbeddings } from "@/lib/gateway/embeddings";

export const dynamic = "force-dynamic";

export function POST(request: Request) {
  return handleEmbeddings(request);
}
