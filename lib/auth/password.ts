import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

// Password hashing: scrypt (memory-hard, built into Node), stored as `scrypt$N$r$p$salt$hash`
// (base64url salt and key), so the parameters can be raised without breaking old hashes: those still
// verify, `needsRehash` says so, and sign-in stores a fresh hash (lib/auth/sign-in.ts).
//
// Current parameters: N=2^15, r=8, p=3. OWASP's Password Storage Cheat Sheet recommends scrypt
// N=2^17, r=8, p=1 "or an equivalent trade-off" and lists this one among them. We take the one that
// keeps each hash at 32 MiB instead of 128 MiB: libuv runs four hashes at once, every unknown-email
// attempt pays one too (the dummy below), and a small shared server should not lend an attacker
// 512 MiB of RAM per burst. Measured on the 2-core build machine (hashPassword, 9 runs, while other
// jobs kept its load average near 6): median 775 ms (min 606) for N=2^15 p=3, against 239 ms for the
// old N=2^15 p=1, 961 ms for N=2^17 p=1 and 1285 ms for N=2^16 p=2; an idle core is several times faster.
export const CURRENT_PARAMS: ScryptParams = { n: 2 ** 15, r: 8, p: 3 };

export interface ScryptParams {
  n: number; // CPU/memory cost, a power of two
  r: number; // block size
  p: number; // parallelism (sequential in Node: time grows linearly with p, memory does not)
}

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

// A stored hash is data, and data can be corrupt or planted: parameters beyond these bounds are
// refused (verify answers false) rather than letting one row allocate a gigabyte or burn a minute
// of CPU per attempt. Memory is 128·N·r bytes; work grows with N·r·p.
const MAX_MEMORY_BYTES = 128 * 1024 * 1024; // N=2^17 with r=8
const MAX_WORK = 2 ** 17 * 8 * 2; // twice OWASP's N=2^17,r=8,p=1
const MAX_R = 32;
const MAX_P = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

/** Parses `scrypt$N$r$p$salt$hash`; null when malformed or when its parameters are out of bounds. */
function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [n, r, p] = parts.slice(1, 4).map((part) => (/^[1-9]\d{0,9}$/.test(part) ? Number(part) : NaN));
  const [salt, key] = parts.slice(4);
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(r) || !Number.isSafeInteger(p)) return null;
  if (n < 2 || !Number.isInteger(Math.log2(n)) || r > MAX_R || p > MAX_P) return null;
  if (128 * n * r > MAX_MEMORY_BYTES || n * r * p > MAX_WORK) return null;
  if (!BASE64URL.test(salt) || !BASE64URL.test(key)) return null;
  const saltBytes = Buffer.from(salt, "base64url");
  const keyBytes = Buffer.from(key, "base64url");
  if (saltBytes.length < 8 || saltBytes.length > 64 || keyBytes.length < 16 || keyBytes.length > 64) return null;
  return { params: { n, r, p }, salt: saltBytes, key: keyBytes };
}

function derive(password: string, salt: Buffer, { n, r, p }: ScryptParams, keyLength: number): Promise<Buffer> {
  // maxmem: what these (bounded) parameters need, plus slack; Node's default (32 MiB) is too small.
  const maxmem = 128 * r * (n + p + 2) + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, { N: n, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function format({ n, r, p }: ScryptParams, salt: Buffer, key: Buffer): string {
  return ["scrypt", n, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

async function matches(password: string, hash: ParsedHash): Promise<boolean> {
  const actual = await derive(password, hash.salt, hash.params, hash.key.length);
  return timingSafeEqual(actual, hash.key);
}

const cost = ({ n, r, p }: ScryptParams) => n * r * p;

// What an unknown, disabled or password-less account is verified against: same code path and the
// current parameters, so such an attempt takes as long as a wrong password for a real account.
const DUMMY_HASH = parseHash(format(CURRENT_PARAMS, randomBytes(SALT_LENGTH), randomBytes(KEY_LENGTH)))!;

/** Hashes with the current parameters: `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  return format(params, salt, await derive(password, salt, params, KEY_LENGTH));
}

/**
 * Whether `password` matches `stored`. Takes (at least) one current-parameter verification whatever
 * `stored` is: a missing, malformed or out-of-bounds hash is checked against a dummy and answers
 * false; a hash with cheaper, older parameters is checked alongside a dummy, so a wrong password for
 * a not-yet-upgraded account does not answer faster than an unknown email.
 */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const hash = stored ? parseHash(stored) : null;
  if (!hash) {
    await matches(password, DUMMY_HASH);
    return false;
  }
  if (cost(hash.params) >= cost(CURRENT_PARAMS)) return matches(password, hash);
  const [ok] = await Promise.all([matches(password, hash), matches(password, DUMMY_HASH)]);
  return ok;
}

/** Whether a (verified) stored hash should be replaced by one with the current parameters. */
export function needsRehash(stored: string): boolean {
  const hash = parseHash(stored);
  if (!hash) return true;
  const { n, r, p } = hash.params;
  return n !== CURRENT_PARAMS.n || r !== CURRENT_PARAMS.r || p !== CURRENT_PARAMS.p || hash.key.length !== KEY_LENGTH;
}
