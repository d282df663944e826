// Accounts against real Postgres: what a sign-up writes (user, personal organization, starting credit
// with its ledger entry), the platform settings, the per-address throttle, email verification
// blocking sign-in, and one-time, expiring reset links.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { authorizeCredentials, EmailNotVerifiedError } from "@/lib/auth/sign-in";
import { isSessionCurrent } from "@/lib/auth/session-version";
import { closePool, getPool } from "@/lib/db/pool";
import { resetRateLimiterForTests } from "@/lib/ratelimit";
import { setPlatformSetting } from "@/lib/settings/platform";
import { createFreshDatabase } from "@/test/database";
import { changePassword } from "./profile";
import { resolveOAuthSignIn } from "./oauth-sign-in";
import { requestPasswordReset, resetPassword } from "./password-reset";
import { signUp, signUpSchema } from "./sign-up";
import { verifyEmail } from "./email-verification";

let database: Awaited<ReturnType<typeof createFreshDatabase>>;
let dataDir: string;
const saved = { ...process.env };

beforeAll(async () => {
  database = await createFreshDatabase();
  dataDir = mkdtempSync(path.join(tmpdir(), "tf-accounts-"));
  process.env.DATABASE_URL = database.url;
  process.env.TOKENFLOW_DATA_DIR = dataDir;
  process.env.NEXTAUTH_URL = "https://tokenflow.example";
  delete process.env.SMTP_URL;
  delete process.env.REDIS_URL; // the in-memory limiter: each test file starts with fresh budgets
  await resetRateLimiterForTests();
});

afterAll(async () => {
  await closePool();
  await resetRateLimiterForTests();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
  process.env = saved;
});

beforeEach(async () => {
  await getPool().query(`DELETE FROM "Setting"`);
});

vi.setConfig({ testTimeout: 60_000 });

const ip = () => `10.${[1, 2, 3].map(() => Math.floor(Math.random() * 250)).join(".")}`;
const email = () => `user-${randomBytes(4).toString("hex")}@example.com`;
const password = () => `quiet-meadow-${randomBytes(4).toString("hex")}`;

function input(overrides: Partial<{ email: string; name: string; password: string }> = {}) {
  const pw = overrides.password ?? password();
  return signUpSchema.parse({ email: email(), name: "", ...overrides, password: pw, confirmPassword: pw });
}

function mailsTo(to: string): string[] {
  const outbox = path.join(dataDir, "outbox");
  let files: string[] = [];
  try {
    files = readdirSync(outbox).sort();
  } catch {
    return [];
  }
  return files.map((f) => readFileSync(path.join(outbox, f), "utf8")).filter((m) => m.includes(`\r\nTo: ${to}\r\n`));
}

function tokenIn(mail: string, pathname: string): string {
  const match = new RegExp(`https://tokenflow\\.example${pathname}\\?token=([A-Za-z0-9_-]+)`).exec(mail);
  if (!match) throw new Error(`no ${pathname} link in:\n${mail}`);
  return match[1];
}

const headersFrom = (address: string) => ({ "x-tokenflow-peer-address": address });

/** A gateway key the user made in their personal organization; returns its id. */
async function keyMadeBy(userId: string, organizationId: string): Promise<string> {
  const id = `key_${randomBytes(6).toString("hex")}`;
  await getPool().query(
    `INSERT INTO "ApiKey" (id, "organizationId", "createdById", name, "keyHash", "partialKey")
     VALUES ($1, $2, $3, 'made before the claim', $1, 'tf-…')`,
    [id, organizationId, userId],
  );
  return id;
}

async function isRevoked(keyId: string): Promise<boolean> {
  const { rows } = await getPool().query(`SELECT "revokedAt" IS NOT NULL AS revoked FROM "ApiKey" WHERE id = $1`, [
    keyId,
  ]);
  return rows[0].revoked;
}

describe("signUp", () => {
  it("creates the user, an owned personal organization and the starting credit with its ledger entry", async () => {
    const account = input({ email: "  Mixed.Case@Example.COM ", name: "Grace" });
    const result = await signUp(account, ip());
    expect(result).toMatchObject({ ok: true, needsEmailVerification: false });
    if (!result.ok) return;
    const pool = getPool();
    const user = await pool.query(`SELECT email, name, "passwordHash", role FROM "User" WHERE id = $1`, [
      result.userId,
    ]);
    expect(user.rows[0]).toMatchObject({ email: "mixed.case@example.com", name: "Grace", role: "USER" });
    expect(user.rows[0].passwordHash).toMatch(/^scrypt\$/);
    const org = await pool.query(
      `SELECT o.name, o.personal, o."balanceNanos", m.role FROM "Organization" o
         JOIN "Membership" m ON m."organizationId" = o.id WHERE m."userId" = $1`,
      [result.userId],
    );
    expect(org.rows).toEqual([
      { name: "Grace's workspace", personal: true, balanceNanos: 5_000_000_000n, role: "OWNER" },
    ]);
    const ledger = await pool.query(
      `SELECT kind, "amountNanos", reference FROM "LedgerEntry" WHERE "organizationId" = $1`,
      [result.organizationId],
    );
    expect(ledger.rows).toEqual([{ kind: "SIGNUP_CREDIT", amountNanos: 5_000_000_000n, reference: result.userId }]);

    // Signs in with that password, whatever the case of the email typed.
    const signedIn = await authorizeCredentials(
      { email: "MIXED.case@example.com", password: account.password },
      headersFrom(ip()),
    );
    expect(signedIn?.id).toBe(result.userId);
  });

  it("names the workspace after the email's local part without a name, and refuses the same email twice", async () => {
    const account = input({ email: "solo@example.com" });
    const first = await signUp(account, ip());
    expect(first.ok).toBe(true);
    const { rows } = await getPool().query(
      `SELECT o.name FROM "Organization" o JOIN "Membership" m ON m."organizationId" = o.id
         JOIN "User" u ON u.id = m."userId" WHERE u.email = 'solo@example.com'`,
    );
    expect(rows).toEqual([{ name: "solo's workspace" }]);
    expect(await signUp(input({ email: "SOLO@example.com" }), ip())).toMatchObject({
      ok: false,
      reason: "email_taken",
    });
  });

  it("follows the platform settings: credit amount, and closed sign-up", async () => {
    await setPlatformSetting("signup.creditUsd", "0.25");
    const paid = await signUp(input(), ip());
    if (!paid.ok) throw new Error("sign-up refused");
    const { rows } = await getPool().query(`SELECT "balanceNanos" FROM "Organization" WHERE id = $1`, [
      paid.organizationId,
    ]);
    expect(rows[0].balanceNanos).toBe(250_000_000n);

    await setPlatformSetting("signup.creditUsd", "0");
    const free = await signUp(input(), ip());
    if (!free.ok) throw new Error("sign-up refused");
    const ledger = await getPool().query(`SELECT 1 FROM "LedgerEntry" WHERE "organizationId" = $1`, [
      free.organizationId,
    ]);
    expect(ledger.rowCount).toBe(0);

    await setPlatformSetting("signup.open", false);
    const closed = input();
    expect(await signUp(closed, ip())).toMatchObject({ ok: false, reason: "closed" });
    const user = await getPool().query(`SELECT 1 FROM "User" WHERE email = $1`, [closed.email]);
    expect(user.rowCount).toBe(0);
  });

  it("allows 10 sign-ups per address per hour, then refuses with a clear message; other addresses go on", async () => {
    const address = ip();
    for (let i = 0; i < 10; i++) expect((await signUp(input(), address)).ok, `sign-up ${i + 1}`).toBe(true);
    const refused = await signUp(input(), address);
    expect(refused).toEqual({
      ok: false,
      reason: "throttled",
      message: "Too many sign-ups from this address, try again later.",
    });
    expect((await signUp(input(), ip())).ok).toBe(true);
  });

  it("with email verification on: mails a link, refuses sign-in until it is used, and the link works once", async () => {
    await setPlatformSetting("signup.emailVerification", true);
    const account = input();
    const result = await signUp(account, ip());
    expect(result).toMatchObject({ ok: true, needsEmailVerification: true });
    const [mail] = mailsTo(account.email);
    expect(mail).toContain("Subject: Confirm your email address for TokenFlow");
    const token = tokenIn(mail, "/verify-email");

    const attempt = () => authorizeCredentials({ email: account.email, password: account.password }, headersFrom(ip()));
    await expect(attempt()).rejects.toBeInstanceOf(EmailNotVerifiedError);
    // A wrong password still answers like any wrong password (nothing about verification).
    expect(
      await authorizeCredentials({ email: account.email, password: "wrong-password" }, headersFrom(ip())),
    ).toBeNull();

    // Only the hash is stored.
    const stored = await getPool().query(`SELECT token FROM "VerificationToken"`);
    expect(stored.rows.map((r) => r.token)).not.toContain(token);

    expect(await verifyEmail(token)).toBe(true);
    expect(await verifyEmail(token)).toBe(false);
    expect((await attempt())?.email).toBe(account.email);
  });
});

describe("password reset", () => {
  async function account() {
    const created = input();
    const result = await signUp(created, ip());
    if (!result.ok) throw new Error("sign-up refused");
    return { ...created, userId: result.userId, organizationId: result.organizationId };
  }

  it("mails only existing accounts a link that sets the password once and ends older sessions", async () => {
    const user = await account();
    const before = await authorizeCredentials({ email: user.email, password: user.password }, headersFrom(ip()));
    expect(await isSessionCurrent(user.userId, before!.passwordVersion)).toBe(true);

    const unknown = email();
    await requestPasswordReset(unknown, ip());
    expect(mailsTo(unknown)).toEqual([]);
    await requestPasswordReset(user.email, ip());
    const [mail] = mailsTo(user.email);
    const token = tokenIn(mail, "/reset-password");

    expect(await resetPassword(token, "password123")).toMatchObject({ ok: false, reason: "weak_password" });
    const fresh = password();
    expect(await resetPassword(token, fresh)).toEqual({ ok: true, email: user.email, revokedKeys: 0 });
    expect(await resetPassword(token, password())).toMatchObject({ ok: false, reason: "invalid_link" });

    expect(await isSessionCurrent(user.userId, before!.passwordVersion)).toBe(false);
    expect(await authorizeCredentials({ email: user.email, password: user.password }, headersFrom(ip()))).toBeNull();
    expect((await authorizeCredentials({ email: user.email, password: fresh }, headersFrom(ip())))?.id).toBe(
      user.userId,
    );
  });

  it("a link used twice at the same moment works once; an expired or superseded link does not work", async () => {
    const user = await account();
    await requestPasswordReset(user.email, ip());
    const token = tokenIn(mailsTo(user.email).pop()!, "/reset-password");
    const results = await Promise.all([resetPassword(token, password()), resetPassword(token, password())]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);

    await requestPasswordReset(user.email, ip());
    const older = tokenIn(mailsTo(user.email).pop()!, "/reset-password");
    await requestPasswordReset(user.email, ip());
    const newer = tokenIn(mailsTo(user.email).pop()!, "/reset-password");
    expect(older).not.toBe(newer);
    expect(await resetPassword(older, password())).toMatchObject({ ok: false, reason: "invalid_link" });

    await getPool().query(
      `UPDATE "VerificationToken" SET expires = (now() AT TIME ZONE 'UTC') - interval '1 second'
        WHERE identifier = $1`,
      [`reset-password:${user.userId}`],
    );
    expect(await resetPassword(newer, password())).toMatchObject({ ok: false, reason: "invalid_link" });
  });

  it("revokes the keys an account made before a reset link first proved its address, and only then", async () => {
    const squatted = await account(); // verification is off: the address was never proven
    const squattersKey = await keyMadeBy(squatted.userId, squatted.organizationId);
    await requestPasswordReset(squatted.email, ip());
    const first = tokenIn(mailsTo(squatted.email).pop()!, "/reset-password");
    expect(await resetPassword(first, password())).toEqual({ ok: true, email: squatted.email, revokedKeys: 1 });
    expect(await isRevoked(squattersKey)).toBe(true);

    // Now proven: the owner's own keys survive their next reset.
    const ownersKey = await keyMadeBy(squatted.userId, squatted.organizationId);
    await requestPasswordReset(squatted.email, ip());
    const second = tokenIn(mailsTo(squatted.email).pop()!, "/reset-password");
    expect(await resetPassword(second, password())).toMatchObject({ ok: true, revokedKeys: 0 });
    expect(await isRevoked(ownersKey)).toBe(false);
  });

  it("sends at most 5 reset emails per account per hour", async () => {
    const user = await account();
    for (let i = 0; i < 7; i++) await requestPasswordReset(user.email, ip());
    expect(mailsTo(user.email)).toHaveLength(5);
  });
});

describe("changePassword", () => {
  it("needs the current password, applies the policy, and changes the session version", async () => {
    const created = input();
    const result = await signUp(created, ip());
    if (!result.ok) throw new Error("sign-up refused");
    expect(await changePassword(result.userId, "wrong-password", password())).toMatchObject({
      ok: false,
      field: "currentPassword",
    });
    expect(await changePassword(result.userId, created.password, "qwerty123")).toMatchObject({
      ok: false,
      field: "newPassword",
    });
    const before = await authorizeCredentials({ email: created.email, password: created.password }, headersFrom(ip()));
    const next = password();
    expect((await changePassword(result.userId, created.password, next)).ok).toBe(true);
    expect(await isSessionCurrent(result.userId, before!.passwordVersion)).toBe(false);
    expect(await authorizeCredentials({ email: created.email, password: next }, headersFrom(ip()))).not.toBeNull();
  });
});

describe("resolveOAuthSignIn", () => {
  it("creates a verified account on first sign-in and finds it again by the provider account", async () => {
    const address = email();
    const identity = {
      provider: "github",
      providerAccountId: `gh-${address}`,
      email: address,
      isEmailVerified: true,
      name: "Octo",
    };
    const first = await resolveOAuthSignIn(identity);
    if (!first.ok) throw new Error(`refused: ${first.refusal}`);
    const again = await resolveOAuthSignIn({ ...identity, email: "changed@example.com" });
    expect(again).toEqual({ ok: true, userId: first.userId });
    const { rows } = await getPool().query(
      `SELECT u."emailVerified" IS NOT NULL AS verified, u."passwordHash", o.name, o."balanceNanos"
         FROM "User" u JOIN "Membership" m ON m."userId" = u.id JOIN "Organization" o ON o.id = m."organizationId"
        WHERE u.id = $1`,
      [first.userId],
    );
    expect(rows).toEqual([
      { verified: true, passwordHash: null, name: "Octo's workspace", balanceNanos: 5_000_000_000n },
    ]);
  });

  it("links to an existing user only when the provider vouches for the email address", async () => {
    const created = input();
    const result = await signUp(created, ip());
    if (!result.ok) throw new Error("sign-up refused");
    const identity = { provider: "google", providerAccountId: `g-${created.email}`, email: created.email, name: null };
    expect(await resolveOAuthSignIn({ ...identity, isEmailVerified: false })).toEqual({
      ok: false,
      refusal: "OAuthEmailUnverified",
    });
    expect(await resolveOAuthSignIn({ ...identity, isEmailVerified: true })).toEqual({
      ok: true,
      userId: result.userId,
    });
  });

  it("an owner claiming their address through a provider ends the password of whoever signed up with it unverified", async () => {
    const squatted = input();
    const result = await signUp(squatted, ip());
    if (!result.ok) throw new Error("sign-up refused");
    const before = await getPool().query(`SELECT "passwordHash", "emailVerified" FROM "User" WHERE id = $1`, [
      result.userId,
    ]);
    expect(before.rows[0].passwordHash).not.toBeNull();
    expect(before.rows[0].emailVerified).toBeNull();
    const squattersKey = await keyMadeBy(result.userId, result.organizationId);
    const invitation = `inv_${randomBytes(6).toString("hex")}`;
    await getPool().query(
      `INSERT INTO "Invitation" (id, "organizationId", email, role, "tokenHash", "invitedById", "expiresAt")
       VALUES ($1, $2, 'friend@example.com', 'ADMIN', $1, $3, now() + interval '1 day')`,
      [invitation, result.organizationId, result.userId],
    );
    const identity = {
      provider: "google",
      providerAccountId: `g-${squatted.email}`,
      email: squatted.email,
      name: null,
    };
    expect(await resolveOAuthSignIn({ ...identity, isEmailVerified: true })).toEqual({
      ok: true,
      userId: result.userId,
    });
    const after = await getPool().query(
      `SELECT "passwordHash", "emailVerified" IS NOT NULL AS verified FROM "User" WHERE id = $1`,
      [result.userId],
    );
    expect(after.rows[0]).toEqual({ passwordHash: null, verified: true });
    expect(await isRevoked(squattersKey)).toBe(true);
    expect(
      await getPool().query(`SELECT 1 FROM "Invitation" WHERE id = $1 AND "revokedAt" IS NULL`, [invitation]),
    ).toMatchObject({ rowCount: 0 });
    // A verified account keeps its password when it links a provider.
    const owned = input();
    const ownedResult = await signUp(owned, ip());
    if (!ownedResult.ok) throw new Error("sign-up refused");
    await getPool().query(`UPDATE "User" SET "emailVerified" = now() WHERE id = $1`, [ownedResult.userId]);
    const ownersKey = await keyMadeBy(ownedResult.userId, ownedResult.organizationId);
    await resolveOAuthSignIn({
      provider: "github",
      providerAccountId: `gh-${owned.email}`,
      email: owned.email,
      isEmailVerified: true,
      name: null,
    });
    const kept = await getPool().query(`SELECT "passwordHash" FROM "User" WHERE id = $1`, [ownedResult.userId]);
    expect(await isRevoked(ownersKey)).toBe(false);
    expect(kept.rows[0].passwordHash).not.toBeNull();
  });

  it("does not create accounts while sign-up is closed", async () => {
    await setPlatformSetting("signup.open", false);
    const address = email();
    expect(
      await resolveOAuthSignIn({
        provider: "github",
        providerAccountId: address,
        email: address,
        isEmailVerified: true,
        name: null,
      }),
    ).toEqual({ ok: false, refusal: "SignupClosed" });
  });
});
