// What the structured log (lib/log.ts) writes, captured for tests that assert a warning or an error
// is logged (or that a secret is not): every logger shares the root's destination stream, so
// spying on its write sees every line, parsed.
import { symbols } from "pino";
import { vi } from "vitest";
import { log } from "@/lib/log";

export interface LogLine {
  level: string;
  msg: string;
  component?: string;
  [field: string]: unknown;
}

export interface LogCapture {
  lines(): LogLine[];
  /** The raw text written, for "this never appears" checks. */
  text(): string;
  restore(): void;
}

export function captureLog(): LogCapture {
  const stream = (log as unknown as Record<symbol, { write(chunk: string): boolean }>)[symbols.streamSym];
  const write = vi.spyOn(stream, "write").mockImplementation(() => true);
  const raw = () => write.mock.calls.map((call) => String(call[0]));
  return {
    lines: () => raw().map((line) => JSON.parse(line) as LogLine),
    text: () => raw().join(""),
    restore: () => write.mockRestore(),
  };
}
