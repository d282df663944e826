import { afterEach, describe, expect, it, vi } from "vitest";
import { captureLog } from "@/test/log-capture";
import { z } from "zod";
import { ApiError } from "./errors";
import { MAX_BODY_BYTES, json, noContent, parseBody, parseQuery, withAdmin, withApi, withGatewayKey } from "./handler";

const JSON_TYPE = { "content-type": "application/json" };
const post = (body: BodyInit | null, headers: Record<string, string> = JSON_TYPE) =>
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
    ["\ufeff{}", "bad_request"],
    ['"text"', "validation_error"],
    ["[]", "validation_error"],
    ["null", "validation_error"],
    ["42", "validation_error"],
    ['[{"name":"a"}]', "validation_error"],
  ])("refuses body %j as %s", async (body, code) => {
    await expect(parseBody(post(body || null), schema)).rejects.toMatchObject({ code, status: 400 });
  });

  it.each(["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "json"])(
    "refuses Content-Type %j",
    async (type) => {
      await expect(parseBody(post('{"name":"a"}', { "content-type": type }), schema)).rejects.toMatchObject({
        code: "bad_request",
        status: 400,
        message: "The request body must be JSON: send Content-Type: application/json.",
      });
    },
  );

  it.each(["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"])(
    "accepts Content-Type %j",
    async (type) => {
      await expect(parseBody(post('{"name":"a"}', { "content-type": type }), schema)).resolves.toEqual({ name: "a" });
    },
  );

  it("reads a body without Content-Type as JSON (curl --data-binary)", async () => {
    const request = new Request("http://localhost/api/x", { method: "POST", body: new Blob(['{"name":"a"}']) });
    expect(request.headers.get("content-type")).toBeNull();
    await expect(parseBody(request, schema)).resolves.toEqual({ name: "a" });
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
    const logged = captureLog();
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
    expect(logged.lines()).toMatchObject([{ level: "error", component: "api", requestId }]);
    expect(logged.text()).not.toContain("pw@db"); // the connection string's password is scrubbed
    logged.restore();
  });

  it("answers a value the database refused as out of range with 400 validation_error, not 500", async () => {
    const logged = captureLog();
    const prismaError = Object.assign(new Error("Invalid `prisma.organization.create()` invocation"), {
      code: "P2020",
      meta: { driverAdapterError: { cause: { originalCode: "22003" } } },
    });
    const pgError = Object.assign(new Error("bigint out of range"), { code: "22003" });
    const nulError = Object.assign(new Error("P2039"), {
      code: "P2039",
      meta: { driverAdapterError: { cause: { originalCode: "22021" } } },
    });
    for (const error of [prismaError, pgError, nulError]) {
      const res = await withApi(async () => {
        throw error;
      })(new Request("http://localhost/x"), context({}));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: { code: "validation_error", message: "A value is out of range or malformed." },
      });
    }
    expect(logged.lines().map((line) => line.level)).toEqual(["warn", "warn", "warn"]);
    expect(logged.text()).not.toContain("invocation");
    logged.restore();
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

  it("refuses path ids no row can have, after authentication", async () => {
    vi.stubEnv("TOKENFLOW_ADMIN_KEY", "boot-key-0123456789");
    const handler = withAdmin<{ id: string }>(async ({ params }) => json({ id: params.id }));
    const call = (id: string, authorization = "Bearer boot-key-0123456789") =>
      handler(new Request("http://localhost/x", { headers: { authorization } }), context({ id }));
    expect(await (await call("cmabc123_x-y.z:1")).json()).toEqual({ id: "cmabc123_x-y.z:1" });
    for (const id of ["a\u0000b", "a b", "../x", "x".repeat(201), "", "ü"]) {
      const res = await call(id);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: { code: "validation_error", message: "id: is not a valid id", field: "id" },
      });
    }
    expect((await call("a\u0000b", "Bearer nope")).status).toBe(401);
  });

  it("refuses a request without a gateway key in this surface's shape", async () => {
    const handler = withGatewayKey(async () => json({ ok: true }));
    const res = await handler(post('{"code":"x"}'), context({}));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
  });
});
