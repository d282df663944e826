// How the first start tells the operator the admin account it created (`npm start` and the
// standalone start of the Docker image share it).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The first admin's password and key: printed on an interactive terminal; otherwise (a service
 * manager, a container log) written to an owner-only file in the data folder whose path is printed instead.
 */
export function announceAdmin(
  admin: { email: string; password?: string; apiKey?: string },
  base: string,
  dataDir: string,
): void {
  const lines = [
    `admin login: ${admin.email}${admin.password ? ` / ${admin.password}` : ""} (shown once; change it after logging in)`,
  ];
  if (admin.apiKey) {
    lines.push(
      "try it (this key is shown once):",
      `  curl ${base}/v1/chat/completions -H "Authorization: Bearer ${admin.apiKey}" ` +
        `-H "Content-Type: application/json" -d '{"model":"deepseek-v3","messages":[{"role":"user","content":"Hello"}]}'`,
    );
  }
  if (process.stdout.isTTY) {
    for (const line of lines) console.log(line.startsWith("  ") ? line : `[tokenflow] ${line}`);
    return;
  }
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "first-start-credentials.txt");
  writeFileSync(file, lines.join("\n") + "\n", { mode: 0o600 });
  console.log(
    `[tokenflow] admin account created for ${admin.email}: its password and a first API key are in ${file} (readable only by you)`,
  );
}
