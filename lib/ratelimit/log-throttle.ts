// "Log once per minute, not per request": the first message goes out at once, later ones at most
// once per interval, saying how many were held back.

import { logger } from "@/lib/log";

const ratelimitLog = logger("ratelimit");

export class LogThrottle {
  private lastAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly log: (message: string) => void = (m) => ratelimitLog.warn(m),
    private readonly intervalMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  note(message: string): void {
    const now = this.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed += 1;
      return;
    }
    const held = this.suppressed ? ` (${this.suppressed} more since the last report)` : "";
    this.lastAt = now;
    this.suppressed = 0;
    this.log(message + held);
  }
}
