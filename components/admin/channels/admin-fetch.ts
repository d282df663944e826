// The channel console calls the management API (/api/admin/channels…) like any client would; the
// admin's session cookie authenticates it. An error answer's message is shown as it is (the API
// writes them for people) and names the field it is about.

export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly field: string | undefined,
  ) {
    super(message);
  }
}

export async function adminFetch<T>(
  method: "GET" | "POST" | "PATCH" | "DELETE",
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
    throw new AdminApiError("Could not reach TokenFlow. Check your connection and try again.", undefined);
  }
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => null)) as { error?: { message?: string; field?: string } } | null;
  if (!response.ok) {
    throw new AdminApiError(
      data?.error?.message ?? `The request failed (HTTP ${response.status}).`,
      data?.error?.field,
    );
  }
  return data as T;
}
