import { loadEncryptionKey } from "@/lib/crypto/secrets";

/**
 * Refuses to start a production server that could not do its job safely: without the channel-secret
 * key every upstream call would fail later, one request at a time. (`npm start` generates one for the
 * zero-config default; a deployment must set it.)
 */
export function checkStartupConfig(env: NodeJS.ProcessEnv = process.env): void {
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
  if (problems.length === 0) return;
  const message = `[tokenflow] cannot start: ${problems.join("; ")}`;
  if (env.NODE_ENV === "production") {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
}
