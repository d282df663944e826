// The tenants console calls the management API (/api/admin/*) with the admin's session cookie, the
// way a script would with a key; an error answer's message is shown as it is (written for people).

export async function sendJson<T>(method: "POST" | "PATCH", url: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Error("Could not reach TokenFlow. Check your connection and try again.");
  }
  const data = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok) throw new Error(data?.error?.message ?? `The request failed (HTTP ${response.status}).`);
  return data as T;
}
