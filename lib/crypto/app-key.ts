import { loadEncryptionKey } from "./secrets";

let key: Buffer | undefined;

/** The process's channel-secret key, from TOKENFLOW_ENCRYPTION_KEY (the launcher always sets one). */
export function appEncryptionKey(): Buffer {
  if (!key) {
    const raw = process.env.TOKENFLOW_ENCRYPTION_KEY;
    if (!raw) throw new Error("TOKENFLOW_ENCRYPTION_KEY is not set");
    key = loadEncryptionKey(raw);
  }
  return key;
}
