// The admin console's authorization matrix, over every /admin page and every /api/admin/** route
// found on disk (so a page or route added later is covered without touching this file):
//   no session → sign-in redirect (pages) / 401 (API); a tenant user and an organization owner →
//   the 404 page / 403; a tenant's tf- key → 401; a platform admin → 2xx (pages and reads; dynamic
//   pages and writes with an unknown id or an empty body get past authorization to 404/400).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { signInForSessionCookie } from "./session";
import { startStack, type Stack } from "./stack";

const root = path.resolve(import.meta.dirname, "..");
const MISSING_ID = "zz-missing-id";

function files(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...files(full, name));
    else if (entry === name) out.push(full);
  }
  return out;
}

/** app/admin/channels/[id]/page.tsx → { url: "/admin/channels/zz-missing-id", dynamic: true }. */
function urlOf(file: string): { url: string; dynamic: boolean } {
  const segments = path
    .relative(path.join(root, "app"), path.dirname(file))
    .split(path.sep)
    .filter((s) => !/^\(.*\)$/.test(s));
  const dynamic = segments.some((s) => s.startsWith("["));
  return {
    url: `/${segments.map((s) => (s.startsWith("[") ? MISSING_ID : s)).join("/")}`,
    dynamic,
  };
}

const PAGES = files(path.join(root, "app/admin"), "page.tsx").map((f) => urlOf(f));
const ROUTES = files(path.join(root, "app/api/admin"), "route.ts").flatMap((file) => {
  const source = readFileSync(file, "utf8");
  const methods = [...source.matchAll(/export (?:const|async function) (GET|POST|PUT|PATCH|DELETE)\b/g)].map(
    (m) => m[1],
  );
  return methods.map((method) => ({ method, ...urlOf(file) }));
});

let stack: Stack;
const cookies: Record<"admin" | "tenant" | "owner", string> = { admin: "", tenant: "", owner: "" };
let tenantKey = "";

async function user(role: "USER" | "ADMIN", orgRole?: "OWNER" | "MEMBER", orgId?: string): Promise<string> {
  const id = `u_${randomBytes(6).toString("hex")}`;
  const email = `${id}@authz.test`;
  await stack.db.query(
    `INSERT INTO "User" (id, email, "passwordHash", role, "updatedAt") VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)`,
    [id, email, await hashPassword("authz password 1"), role],
  );
  if (orgRole && orgId) {
    await stack.db.query(`INSERT INTO "Membership" (id, "userId", "organizationId", role) VALUES ($1, $2, $3, $4)`, [
      `m_${id}`,
      id,
      orgId,
      orgRole,
    ]);
  }
  return signInForSessionCookie(stack.app.url, email, "authz password 1");
}

beforeAll(async () => {
  stack = await startStack();
  const orgId = (await stack.admin.createOrganization("Tenant", "1.00")).id;
  cookies.admin = await user("ADMIN");
  cookies.tenant = await user("USER", "MEMBER", orgId);
  cookies.owner = await user("USER", "OWNER", orgId);
  tenantKey = (await stack.admin.createKey(orgId)).key;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

function call(method: string, url: string, auth: { cookie?: string; bearer?: string }) {
  const hasBody = method !== "GET" && method !== "DELETE";
  return fetch(`${stack.app.url}${url}`, {
    method,
    redirect: "manual",
    headers: {
      origin: stack.app.url,
      ...(auth.cookie ? { cookie: auth.cookie } : {}),
      ...(auth.bearer ? { authorization: `Bearer ${auth.bearer}` } : {}),
      ...(hasBody ? { "content-type": "application/json" } : {}),
    },
    body: hasBody ? "{}" : undefined,
  });
}

describe("the admin authorization matrix", () => {
  it("finds the console's pages and routes", () => {
    expect(PAGES.map((p) => p.url)).toEqual(expect.arrayContaining(["/admin", "/admin/audit"]));
    expect(ROUTES.length).toBeGreaterThan(10);
    expect(ROUTES).toEqual(expect.arrayContaining([{ method: "GET", url: "/api/admin/audit-log", dynamic: false }]));
  });

  it("pages: signed out → sign-in, tenant and owner → 404, platform admin → 200", async () => {
    for (const page of PAGES) {
      const anonymous = await call("GET", page.url, {});
      expect(anonymous.status, `${page.url} signed out`).toBeGreaterThanOrEqual(300);
      expect(anonymous.status, `${page.url} signed out`).toBeLessThan(400);
      expect(anonymous.headers.get("location"), page.url).toContain(`/login?callbackUrl=`);
      for (const who of ["tenant", "owner"] as const) {
        const res = await call("GET", page.url, { cookie: cookies[who] });
        expect(res.status, `${page.url} as ${who}`).toBe(404);
        // The 404 must not name the page (Next resolves page metadata even when the layout 404s).
        expect(await res.text(), `${page.url} as ${who}`).not.toMatch(/TokenFlow admin|Audit log/);
      }
      const admin = await call("GET", page.url, { cookie: cookies.admin });
      expect(admin.status, `${page.url} as admin`).toBe(page.dynamic ? 404 : 200);
    }
  });

  it("API: no credentials and a tenant's tf- key → 401, tenant and owner sessions → 403, admin → past the gate", async () => {
    for (const route of ROUTES) {
      const what = `${route.method} ${route.url}`;
      expect((await call(route.method, route.url, {})).status, `${what} anonymous`).toBe(401);
      expect((await call(route.method, route.url, { bearer: tenantKey })).status, `${what} tf- key`).toBe(401);
      for (const who of ["tenant", "owner"] as const) {
        expect((await call(route.method, route.url, { cookie: cookies[who] })).status, `${what} as ${who}`).toBe(403);
      }
      const admin = await call(route.method, route.url, { cookie: cookies.admin });
      if (route.method === "GET" && !route.dynamic) expect(admin.status, `${what} as admin`).toBe(200);
      else expect([400, 404, 409, 422], `${what} as admin → ${admin.status}`).toContain(admin.status);
    }
  });
});
