// Placeholder until the estimator lands (branch auto-difficulty): the interface, naive heuristics.
import { createHash } from "node:crypto";

export type Difficulty = "simple" | "moderate" | "complex" | "expert";

export interface AutoFeatures {
  difficulty: Difficulty;
  score: number;
  signals: string[];
  needsTools: boolean;
  needsVision: boolean;
  needsJson: boolean;
  conversationKey: string;
  userTurns: number;
}

export function autoFeatures(request: {
  messages: unknown[];
  tools?: unknown;
  functions?: unknown;
  tool_choice?: unknown;
  function_call?: unknown;
  response_format?: unknown;
}): AutoFeatures {
  const messages = request.messages as Array<{ role?: string; content?: unknown }>;
  const users = messages.filter((m) => m.role === "user");
  const last = JSON.stringify(users.at(-1)?.content ?? "");
  const difficulty: Difficulty = last.length > 2000 ? "complex" : last.length > 300 ? "moderate" : "simple";
  const first = users[0]?.content ?? "";
  const system = messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => m.content);
  const type = (request.response_format as { type?: string } | undefined)?.type;
  return {
    difficulty,
    score: Math.min(1, last.length / 5000),
    signals: [],
    needsTools: (Array.isArray(request.tools) && request.tools.length > 0) || Array.isArray(request.functions),
    needsVision: /"type":"(image_url|input_image|image)"/.test(JSON.stringify(messages)),
    needsJson: type === "json_object" || type === "json_schema",
    conversationKey: createHash("sha256")
      .update(JSON.stringify([system, first]))
      .digest("hex"),
    userTurns: users.length,
  };
}
