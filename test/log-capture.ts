// What the structured log (lib/log.ts) writes, captured for tests that assert a warning or an error
// is logged (or that a secret is not): every logger shares one of two roots' destination streams
// (lib/log.ts: the plain one and the buffered one), so spying on their writes sees every line, parsed.
import { symbols } from "pino";
import { vi } from "vitest";
import { bufferedLog, log } from "@/lib/log";

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
  // Both roots: the plain one and the buffered one (the access log), in the order lines were written.
  const calls: string[] = [];
  const spies = [log, bufferedLog()].map((root) => {
    const stream = (root as unknown as Record<symbol, { write(chunk: string): boolean }>)[symbols.streamSym];
    return vi.spyOn(stream, "write").mockImplementation((chunk: string) => (calls.push(String(chunk)), true));
  });
  return {
    lines: () => calls.map((line) => JSON.parse(line) as LogLine),
    text: () => calls.join(""),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}
