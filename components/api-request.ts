// The dashboard's and the console's forms call our JSON APIs (/api/billing/*, /api/admin/*) the way
// a script would; the session cookie authenticates them (same origin). An error answer's message is
// written for people and is shown as it is, with the field it names.

export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly field: string | null,
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

export async function apiRequest<T>(
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  url: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiRequestError("Could not reach TokenFlow. Check your connection and try again.", null);
  }
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => null)) as { error?: { message?: string; field?: string } } | null;
  if (!response.ok) {
    throw new ApiRequestError(
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
