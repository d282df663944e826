import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { z } from "zod";
import { getPool } from "@/lib/db/pool";
import { clientIpForThrottling } from "@/lib/gateway/client-ip";
import { getRateLimiter, type LimitCheck } from "@/lib/ratelimit";
import { hashPassword, needsRehash, verifyPassword } from "./password";
import { passwordVersion } from "./session-version";
import { logger } from "@/lib/log";

const log = logger("auth");

// Email + password sign-in (next-auth's credentials `authorize`).
//
// No account enumeration: an unknown email, a disabled or password-less account and a wrong
// password all answer null (next-auth's "CredentialsSignin") after exactly the same work: the same
// query and one password verification (a dummy one when there is no usable hash, see password.ts).
//
// Throttling rule: attempts are counted per (account, client address) and per client address, NEVER
// per account alone. So someone hammering a victim's email from their own addresses only ever
// throttles those addresses: the real owner still signs in from anywhere else. Addresses come from
// clientIpForThrottling (the trusted proxy header, else our server's socket address, else one shared
// "unknown" bucket); IPv6 counts per /64, the block one subscriber gets. A refused attempt does no
// password work; a successful sign-in gives its units back, so an office behind one NAT is slowed
// only by its failures.

export const SIGN_IN_LIMITS = {
  // Per (account, address): a burst of 10 tries, then one more per minute.
  perAccountAndAddress: { limit: 10, windowMs: 10 * 60_000 },
  // Per address, over all accounts (password spraying): a burst of 50, then five per minute.
  perAddress: { limit: 50, windowMs: 10 * 60_000 },
};

const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  password: z.string().min(1).max(1024),
});

/** Thrown (and shown by the login form) when an address made too many attempts; says nothing about the account. */
export class SignInThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many sign-in attempts from this address; try again in ${retryAfterSeconds} s`);
    this.name = "SignInThrottledError";
  }
}

/** Thrown after the right password for an account whose email address still awaits its link. */
export class EmailNotVerifiedError extends Error {
  constructor() {
    super("Confirm your email address first: open the link we emailed you. (Expired? Use “Forgot password”.)");
    this.name = "EmailNotVerifiedError";
  }
}

export interface SignedInUser {
  id: string;
  email: string;
  name: string | null;
  /** Fingerprint of the password the session was opened with (session-version.ts). */
  passwordVersion: string;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

/**
 * The user for valid credentials, null otherwise. Throws SignInThrottledError when throttled, and
 * otherwise only a generic error: next-auth hands an error's message to the browser.
 */
export async function authorizeCredentials(raw: unknown, headers: HeaderSource): Promise<SignedInUser | null> {
  try {
    return await authorize(raw, headers);
  } catch (err) {
    if (err instanceof SignInThrottledError || err instanceof EmailNotVerifiedError) throw err;
    log.error({ err }, "sign-in failed");
    throw new Error("Sign-in is temporarily unavailable; try again shortly.");
  }
}

async function authorize(raw: unknown, headers: HeaderSource): Promise<SignedInUser | null> {
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) return null;
  const { email, password } = parsed.data;

  const checks = signInThrottleChecks(email, clientIpForThrottling(headers));
  const limiter = getRateLimiter();
  const decision = await limiter.consume(checks);
  if (!decision.allowed) {
    throw new SignInThrottledError(Math.max(1, Math.ceil((decision.refused?.retryAfterMs ?? 60_000) / 1000)));
  }

  // An account made while sign-up required email verification has a verify-email link pending
  // until it is used (lib/accounts/email-verification.ts).
  const { rows } = await getPool().query<
    Omit<SignedInUser, "passwordVersion"> & { passwordHash: string | null; isVerificationPending: boolean }
  >(
    `SELECT u.id, u.email, u.name, u."passwordHash",
            (u."emailVerified" IS NULL AND EXISTS (
               SELECT 1 FROM "VerificationToken" v WHERE v.identifier = 'verify-email:' || u.id
            )) AS "isVerificationPending"
       FROM "User" u WHERE lower(u.email) = $1 AND u."disabledAt" IS NULL`,
    [email],
  );
  const user = rows[0];
  // Always verify (against a dummy when there is no user), so an unknown email is not faster.
  const isValid = await verifyPassword(password, user?.passwordHash);
  if (!user || !isValid) return null;

  await limiter.refund?.(checks).catch(() => undefined); // best effort: a failure only costs a unit
  if (user.isVerificationPending) throw new EmailNotVerifiedError();
  let passwordHash = user.passwordHash!;
  if (needsRehash(passwordHash)) passwordHash = await upgradePasswordHash(user.id, passwordHash, password);
  return { id: user.id, email: user.email, name: user.name, passwordVersion: passwordVersion(passwordHash) };
}

/** The throttle checks of one attempt; every key includes the client's address (see the rule above). */
export function signInThrottleChecks(email: string, clientIp: string): LimitCheck[] {
  const address = throttleAddress(clientIp);
  const account = createHash("sha256").update(email).digest("hex").slice(0, 32); // no emails in Redis keys
  return [
    { key: `signin:acct-addr:${account}:${address}`, cost: 1, ...SIGN_IN_LIMITS.perAccountAndAddress },
    { key: `signin:addr:${address}`, cost: 1, ...SIGN_IN_LIMITS.perAddress },
  ];
}

/** IPv4 as is; IPv6 as its /64 (one subscriber has a whole /64 to rotate through). */
export function throttleAddress(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head, tail] = ip.toLowerCase().split("::");
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const width = (list: string[]) => list.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const missing = tail === undefined ? 0 : 8 - width(groups(head)) - width(groups(tail));
  const all = [...groups(head), ...Array<string>(missing).fill("0"), ...groups(tail)];
  return `${all
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

// Old-parameter hashes are replaced by current ones at the first successful sign-in. Compare-and-set,
// so a password changed meanwhile is never overwritten; a failure only postpones the upgrade.
// Returns the hash now stored (the session's password version is taken from it).
async function upgradePasswordHash(userId: string, oldHash: string, password: string): Promise<string> {
  try {
    const newHash = await hashPassword(password);
    const { rowCount } = await getPool().query(
      `UPDATE "User" SET "passwordHash" = $1, "updatedAt" = CURRENT_TIMESTAMP WHERE id = $2 AND "passwordHash" = $3`,
      [newHash, userId, oldHash],
    );
    return rowCount ? newHash : oldHash;
  } catch (err) {
    log.error({ err }, "password hash upgrade failed");
    return oldHash;
  }
}
