// Per-channel circuit breaker, per instance (health is not money: process memory is fine here).
// closed → open → half-open: one probe request decides: success closes, failure re-opens. Two
// reasons open it, each counted in consecutive failures (any success resets both):
//   - transient failures (network, 5xx, 429 …): `threshold` of them, open for `cooldownMs`;
//   - account failures (401/402/403: key revoked, out of credit, suspended): `authThreshold` of them,
//     open for the longer `authCooldownMs`, so a fixed credential or a top-up brings the channel back
//     by itself, while one odd answer (e.g. an upstream 403 caused by one request) cannot eject it.
// A probe whose outcome never comes back (the client left, the request itself was bad) frees its
// slot after another cool-down.

export type FailureClass = "transient" | "auth";

type State = {
  failures: number;
  authFailures: number;
  openUntil: number;
  probeStartedAt: number | null;
};

export interface BreakerOptions {
  threshold: number;
  cooldownMs: number;
  authThreshold?: number;
  authCooldownMs?: number;
  now?: () => number;
}

/** What the admin console shows of one channel's breaker (read-only; per instance). */
export interface CircuitSnapshot {
  state: "closed" | "open" | "half_open";
  /** Consecutive failures counted so far (transient, account). */
  failures: number;
  authFailures: number;
  /** Why it is open: repeated transient failures, or repeated account (401/402/403) answers. */
  reason: FailureClass | null;
  /** When it opened (epoch ms) and when the next probe may go (open state only). */
  openedAt: number | null;
  probeAt: number | null;
}

export class CircuitBreaker {
  private states = new Map<string, State>();
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly authThreshold: number;
  private readonly authCooldownMs: number;
  private readonly now: () => number;

  constructor(options: BreakerOptions) {
    this.threshold = options.threshold;
    this.cooldownMs = options.cooldownMs;
    this.authThreshold = options.authThreshold ?? 3;
    this.authCooldownMs = options.authCooldownMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  private isTripped(state: State): boolean {
    return state.failures >= this.threshold || state.authFailures >= this.authThreshold;
  }

  private probeWindowMs(state: State): number {
    return state.authFailures >= this.authThreshold ? this.authCooldownMs : this.cooldownMs;
  }

  /** May this channel take a request now? In half-open state only one probe at a time. */
  isAvailable(channelId: string): boolean {
    const state = this.states.get(channelId);
    if (!state || !this.isTripped(state)) return true;
    const now = this.now();
    if (now < state.openUntil) return false;
    return state.probeStartedAt === null || now - state.probeStartedAt >= this.cooldownMs;
  }

  /** Call when a request is sent: marks the probe of a half-open channel. */
  onAttempt(channelId: string) {
    const state = this.states.get(channelId);
    if (state && this.isTripped(state) && this.now() >= state.openUntil) state.probeStartedAt = this.now();
  }

  onSuccess(channelId: string) {
    this.states.delete(channelId);
  }

  /** The attempt ended without telling anything about the channel's health (e.g. the client left). */
  onAbandon(channelId: string) {
    const state = this.states.get(channelId);
    if (state) state.probeStartedAt = null;
  }

  /** Returns true when this failure opened (or re-opened) the circuit. */
  onFailure(channelId: string, kind: FailureClass = "transient"): boolean {
    const state = this.states.get(channelId) ?? { failures: 0, authFailures: 0, openUntil: 0, probeStartedAt: null };
    if (kind === "auth") state.authFailures += 1;
    else state.failures += 1;
    state.probeStartedAt = null;
    this.states.set(channelId, state);
    if (this.isTripped(state)) {
      state.openUntil = this.now() + this.probeWindowMs(state);
      return true;
    }
    return false;
  }

  /** A copy of one channel's state for display; changes nothing. */
  snapshot(channelId: string): CircuitSnapshot {
    const state = this.states.get(channelId);
    if (!state) return { state: "closed", failures: 0, authFailures: 0, reason: null, openedAt: null, probeAt: null };
    const tripped = this.isTripped(state);
    const reason: FailureClass | null = !tripped
      ? null
      : state.authFailures >= this.authThreshold
        ? "auth"
        : "transient";
    return {
      state: !tripped ? "closed" : this.now() < state.openUntil ? "open" : "half_open",
      failures: state.failures,
      authFailures: state.authFailures,
      reason,
      openedAt: tripped ? state.openUntil - this.probeWindowMs(state) : null,
      probeAt: tripped ? state.openUntil : null,
    };
  }

  isOpen(channelId: string): boolean {
    const state = this.states.get(channelId);
    return Boolean(state && this.isTripped(state) && this.now() < state.openUntil);
  }
}
