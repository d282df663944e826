// Anthropic's SSE framing: every event is named, and its data repeats the name as `type`
// (https://docs.anthropic.com/en/api/messages-streaming → Raw HTTP Stream response).

export function sseEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}
