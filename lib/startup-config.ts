import { BlockList, isIP } from "node:net";
import { stripeConfigProblems } from "@/lib/billing/stripe/config";
import { loadEncryptionKey } from "@/lib/crypto/secrets";
import { logger } from "@/lib/log";

const log = logger("server");

const MIN_ADMIN_KEY_LENGTH = 32;

/**
 * Refuses to start a production server that could not do its job safely: without the channel-secret
 * key every upstream call would fail later, one request at a time; without a fixed auth secret every
 * restart (and every other instance) would disown the sessions it signed; over plain http session
 * cookies travel in clear; a short bootstrap admin key can be guessed. (`npm start` generates and
 * keeps the two secrets under the data folder for the zero-config default; a deployment sets them.)
 */
export function checkStartupConfig(env: NodeJS.ProcessEnv = process.env): void {
  // In any mode: a Stripe key without its webhook secret would take payments it could never credit.
  const fatal = stripeConfigProblems(env);
  if (fatal.length > 0) {
    log.fatal({ problems: fatal }, `cannot start: ${fatal.join("; ")}`);
    process.exit(1);
    return;
  }
  const problems: string[] = [];
  if (!env.DATABASE_URL) problems.push("DATABASE_URL is not set");
  const key = env.TOKENFLOW_ENCRYPTION_KEY;
  if (!key) problems.push("TOKENFLOW_ENCRYPTION_KEY is not set (32 random bytes, base64; see .env.example)");
  else {
    try {
      loadEncryptionKey(key);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  problems.push(...checkAuthConfig(env));
  if (problems.length === 0) return;
  const message = `cannot start: ${problems.join("; ")}`;
  if (env.NODE_ENV === "production") {
    log.fatal({ problems }, message);
    process.exit(1);
  }
  log.warn({ problems }, message);
}

function checkAuthConfig(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  if (!env.NEXTAUTH_SECRET) {
    problems.push(
      "NEXTAUTH_SECRET is not set: set it to one long random value shared by every instance " +
        "(e.g. `openssl rand -base64 32`); a per-process secret would sign users out on every restart",
    );
  }
  const publicUrl = env.NEXTAUTH_URL;
  if (!publicUrl) {
    problems.push("NEXTAUTH_URL is not set: set it to the site's public https URL, e.g. https://tokenflow.example.com");
  } else {
    let url: URL | null = null;
    try {
      url = new URL(publicUrl);
    } catch {
      problems.push("NEXTAUTH_URL is not a valid URL: set it to the site's public https URL");
    }
    if (url && url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
      problems.push(
        "NEXTAUTH_URL must use https (plain http is allowed only for localhost, 127.0.0.0/8 and ::1): " +
          "serve the site over TLS and set NEXTAUTH_URL=https://…",
      );
    }
  }
  const adminKey = env.TOKENFLOW_ADMIN_KEY;
  if (adminKey && adminKey.length < MIN_ADMIN_KEY_LENGTH) {
    problems.push(
      `TOKENFLOW_ADMIN_KEY is shorter than ${MIN_ADMIN_KEY_LENGTH} characters: use a long random value ` +
        "(e.g. `openssl rand -hex 32`), or unset it to allow only admins' API keys",
    );
  }
  return problems;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** localhost, 127.0.0.0/8 or ::1 (IPv4-mapped forms included); URL hostnames are already normalised. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  if (host === "localhost") return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 6 ? "ipv6" : "ipv4");
}
