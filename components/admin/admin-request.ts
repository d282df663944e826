// The console's forms call the management API (/api/admin/...) the way a script would; the session
// cookie authenticates them (same origin). An error answer's message is written for people and is
// shown as it is, with the field it names.

export class AdminRequestError extends Error {
  constructor(
    message: string,
    readonly field: string | null,
  ) {
    super(message);
    this.name = "AdminRequestError";
  }
}

export async function adminRequest<T>(method: "POST" | "PUT" | "PATCH", url: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new AdminRequestError("Could not reach TokenFlow. Check your connection and try again.", null);
  }
  const data = (await response.json().catch(() => null)) as { error?: { message?: string; field?: string } } | null;
  if (!response.ok) {
    throw new AdminRequestError(
      data?.error?.message ?? `The request failed (HTTP ${response.status}).`,
      data?.error?.field ?? null,
    );
  }
  return data as T;
}

/** "inputPriceUsd: must not be negative" → "must not be negative" (the field is shown next to it). */
export function withoutFieldPrefix(message: string, field: string | null): string {
  return field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}
