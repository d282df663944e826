// Whole-page server time of the dashboard at scale: the production server (`scripts/server.ts` on
// the `.next` build) against a database seeded by `npm run seed:receipts` (1M receipts in one
// organization), signed in as that organization's owner through next-auth, timing each page's full
// HTML response on loopback (render, queries, session and membership checks included).
//   DATABASE_URL=postgres://… npx tsx bench/dashboard-http.ts [--org org_bench] [--runs 30]
// It sets a password on the seeded owner (a bench database only: it refuses one without that org).
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { hashPassword } from "../lib/auth/password";
import { startAppServer } from "../test/app-server";
import { signInForSessionCookie } from "../test/session";

const { values } = parseArgs({
  options: { org: { type: "string", default: "org_bench" }, runs: { type: "string", default: "30" } },
});
const org = values.org!;
const runs = Number(values.runs);
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL: a database seeded by `npm run seed:receipts`");

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main() {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const owner = await db.query<{ email: string }>(
    `SELECT u.email FROM "Membership" m JOIN "User" u ON u.id = m."userId"
      WHERE m."organizationId" = $1 AND m.role = 'OWNER' LIMIT 1`,
    [org],
  );
  if (owner.rows.length === 0)
    throw new Error(`no organization ${org} with an owner: seed it with npm run seed:receipts`);
  const email = owner.rows[0].email;
  const password = randomBytes(12).toString("base64url");
  await db.query(`UPDATE "User" SET "passwordHash" = $2 WHERE email = $1`, [email, await hashPassword(password)]);
  const receipts = await db.query<{ n: string; id: string; key: string }>(
    `SELECT (SELECT count(*) FROM "RequestLog" WHERE "organizationId" = $1)::text AS n,
            (SELECT id FROM "RequestLog" WHERE "organizationId" = $1 ORDER BY "createdAt" DESC, id DESC OFFSET 500000 LIMIT 1) AS id,
            (SELECT id FROM "ApiKey" WHERE "organizationId" = $1 ORDER BY id LIMIT 1) AS key`,
    [org],
  );
  await db.end();
  const { n, id: deepReceipt, key } = receipts.rows[0];

  const app = await startAppServer({ databaseUrl: databaseUrl! });
  try {
    const cookie = `${await signInForSessionCookie(app.url, email, password)}; tf_org=${org}`;
    // The request log's "Older" link after a few pages: a cursor deep into the log.
    const older = async (path: string) => {
      const html = await (await fetch(`${app.url}${path}`, { headers: { cookie } })).text();
      const cursor = /href="[^"]*[?&]amp;before=([^"&]+)|[?&]before=([^"&]+)/.exec(html);
      return cursor ? `/dashboard/requests?range=90&before=${cursor[1] ?? cursor[2]}` : null;
    };
    let deepPage = "/dashboard/requests?range=90";
    for (let i = 0; i < 5; i++) deepPage = (await older(deepPage)) ?? deepPage;

    const pages: [string, string][] = [
      ["overview", "/dashboard"],
      ["usage, 30 days", "/dashboard/usage"],
      ["usage, 90 days", "/dashboard/usage?range=90"],
      ["usage, 90 days, one key", `/dashboard/usage?range=90&key=${key}`],
      ["request log, first page", "/dashboard/requests?range=90"],
      ["request log, 5 pages deep", deepPage],
      ["request log, one key", `/dashboard/requests?range=90&key=${key}`],
      ["receipt (500,000th newest)", `/dashboard/requests/${deepReceipt}`],
      ["API keys", "/dashboard/keys"],
      ["members", "/dashboard/members"],
    ];
    console.log(`${Number(n).toLocaleString("en-US")} receipts in ${org}; ${runs} runs per page after one warm-up\n`);
    for (const [name, path] of pages) {
      const times: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const started = performance.now();
        const res = await fetch(`${app.url}${path}`, { headers: { cookie } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path} → ${res.status}`);
        if (i > 0) times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const p95 = percentile(times, 95);
      console.log(
        `${name.padEnd(30)} p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms   p95 ${p95.toFixed(1).padStart(7)} ms${p95 >= 200 ? "   over 200 ms" : ""}`,
      );
    }
  } finally {
    await app.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
