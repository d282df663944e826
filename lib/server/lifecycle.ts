import type { ServerResponse } from "node:http";

// What a draining server waits for: every HTTP response in flight, and the /v1 requests among them,
// which can be cut (their AbortController aborted with a ServerShutdown reason: streams end and bill
// what was produced, requests not yet answered are released unbilled).

/** The abort reason a request sees when the server cuts it at the end of the shutdown grace period. */
export class ServerShutdown extends Error {
  constructor() {
    super("the server is shutting down");
    this.name = "ServerShutdown";
  }
}

export class Lifecycle {
  private responses = new Set<ServerResponse>();
  private cuttable = new Set<AbortController>();
  private idleWaiters: Array<() => void> = [];
  draining = false;

  /** Tracks a response until it is finished or its connection closes. */
  track(res: ServerResponse, controller?: AbortController): void {
    this.responses.add(res);
    if (controller) this.cuttable.add(controller);
    // On a draining server, connections close after their current response instead of idling.
    if (this.draining) res.shouldKeepAlive = false;
    res.once("close", () => {
      this.responses.delete(res);
      if (controller) this.cuttable.delete(controller);
      if (this.responses.size === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
    });
  }

  get inFlight(): number {
    return this.responses.size;
  }

  /** Resolves when no response is in flight, or after `ms` (false). */
  waitIdle(ms: number): Promise<boolean> {
    if (this.responses.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== wake);
        resolve(false);
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(wake);
    });
  }

  /** Cuts every /v1 request still running; returns how many. */
  cutGatewayRequests(): number {
    const count = this.cuttable.size;
    for (const controller of this.cuttable) controller.abort(new ServerShutdown());
    return count;
  }
}
