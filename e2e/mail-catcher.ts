// A real SMTP server for browser tests: the app server sends through it (SMTP_URL), and every
// message it receives is written as raw .eml to a folder the specs read (E2E_MAIL_DIR).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SMTPServer } from "smtp-server";

export interface MailCatcher {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startMailCatcher(): Promise<MailCatcher> {
  const dir = mkdtempSync(path.join(tmpdir(), "tf-e2e-mail-"));
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const name = `${Date.now()}-${String(++count).padStart(4, "0")}.eml`;
        writeFileSync(path.join(dir, name), Buffer.concat(chunks));
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.server.address() as { port: number }).port));
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    dir,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The decoded text of every message received so far (quoted-printable undone), oldest first. */
export function receivedMail(dir = process.env.E2E_MAIL_DIR!): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => decodeQuotedPrintable(readFileSync(path.join(dir, name), "utf8")));
}

function decodeQuotedPrintable(raw: string): string {
  if (!/Content-Transfer-Encoding: quoted-printable/i.test(raw)) return raw;
  return raw
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
