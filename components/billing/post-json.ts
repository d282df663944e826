// The billing forms call the JSON routes (/api/billing/*) the way any client would; an error
// answer's message is shown as it is (the API writes them for people).

export async function postJson<T>(method: "POST" | "PUT", url: string, body: unknown): Promise<T> {
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
