// Top-level fields an inbound surface does not know travel into the canonical request, exactly as
// unknown fields of /v1/chat/completions do: the provider adapter then forwards only those the model
// allows beyond its wire format's allow-list (the model's extraRequestFields), and drops the rest.

export function carryUnknownFields(
  source: Record<string, unknown>,
  target: Record<string, unknown>,
  known: ReadonlySet<string>,
): void {
  for (const [name, value] of Object.entries(source)) {
    if (!known.has(name) && !(name in target)) target[name] = value;
  }
}
