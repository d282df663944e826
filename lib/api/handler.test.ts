import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ApiError } from "./errors";
import { MAX_BODY_BYTES, json, noContent, parseBody, parseQuery, withAdmin, withApi, withGatewayKey } from "./handler";

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request("http://localhost/api/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
const context = <P extends Record<string, string>>(params: P) => ({ params: Promise.resolve(params) });
const schema = z.strictObject({ name: z.string().min(1), count: z.int().optional() });

describe("parseBody", () => {
  it("parses and validates JSON", async () => {
    await expect(parseBody(post('{"name":"a","count":2}'), schema)).resolves.toEqual({ name: "a", count: 2 });
  });

  it("refuses unknown fields with 400 naming the field", async () => {
    await expect(parseBody(post('{"name":"a","colour":"red"}'), schema)).rejects.toMatchObject({
      code: "validation_error",
      status: 400,
      field: "colour",
    });
  });

  it.each([
    ["", "bad_request"],
    ["{nope", "bad_request"],
    ['"text"', "validation_error"],
  ])("refuses body %j as %s", async (body, code) => {
    await expect(parseBody(post(body || null), schema)).rejects.toMatchObject({ code });
  });

  it("caps the body size, declared or streamed", async () => {
    const big = JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES) });
    await expect(parseBody(post(big), schema)).rejects.toMatchObject({ code: "payload_too_large", status: 413 });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(32));
        controller.close();
      },
    });
    await expect(parseBody(post(stream), schema)).rejects.toMatchObject({ code: "payload_too_large" });
  });
});

describe("parseQuery", () => {
  it("validates the query string, naming the parameter", () => {
    const q = z.object({ limit: z.coerce.number().int().max(10).default(5) });
    expect(parseQuery(new Request("http://localhost/x?limit=7"), q)).toEqual({ limit: 7 });
    expect(parseQuery(new Request("http://localhost/x"), q)).toEqual({ limit: 5 });
    expect(() => parseQuery(new Request("http://localhost/x?limit=11"), q)).toThrow(
      expect.objectContaining({ field: "limit" }),
    );
  });
});

describe("withApi", () => {
  it("passes params and stamps x-request-id", async () => {
    const handler = withApi<{ id: string }>(async ({ params, requestId }) => json({ id: params.id, requestId }, 201));
    const res = await handler(new Request("http://localhost/x"), context({ id: "abc" }));
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.id).toBe("abc");
    expect(res.headers.get("x-request-id")).toBe(body.requestId);
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
  });

  it("maps ApiErrors through the table", async () => {
    const handler = withApi(async () => {
      throw new ApiError("balance_too_low", "too low");
    });
    const res = await handler(new Request("http://localhost/x"), context({}));
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: { code: "balance_too_low", message: "too low" } });
  });

  it("answers unknown errors with a generic 500 and logs them with the request id", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const handler = withApi(async () => {
      throw new Error("connection string postgres://user:pw@db");
    });
    const res = await handler(new Request("http://localhost/x"), context({}));
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error.code).toBe("internal_error");
    expect(JSON.stringify(body)).not.toContain("pw@db");
    const requestId = res.headers.get("x-request-id")!;
    expect(body.error.message).toContain(requestId);
    expect(String(log.mock.calls[0][0])).toContain(requestId);
    log.mockRestore();
  });

  it("answers 204 without a body", async () => {
    const res = await withApi(async () => noContent())(new Request("http://localhost/x"), context({}));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
  });
});

describe("withAdmin / withGatewayKey", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("runs the handler for the bootstrap key and refuses others with 401", async () => {
    vi.stubEnv("TOKENFLOW_ADMIN_KEY", "boot-key-0123456789");
    const handler = withAdmin(async ({ admin }) => json({ kind: admin.kind }));
    const ok = await handler(
      new Request("http://localhost/x", { headers: { authorization: "Bearer boot-key-0123456789" } }),
      context({}),
    );
    expect(await ok.json()).toEqual({ kind: "bootstrap_key" });
    const refused = await handler(
      new Request("http://localhost/x", { headers: { authorization: "Bearer nope" } }),
      context({}),
    );
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe("unauthorized");
  });

  it("refuses a request without a gateway key in this surface's shape", async () => {
    const handler = withGatewayKey(async () => json({ ok: true }));
    const res = await handler(post('{"code":"x"}'), context({}));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
  });
});
