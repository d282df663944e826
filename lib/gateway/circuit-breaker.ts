// Per-channel circuit breaker, per instance (health is not money: process memory is fine here).
// closed → (threshold consecutive failures) → open for the cool-down → half-open: one probe request
// decides: success closes, failure re-opens. A probe whose outcome never comes back (the client
// left, the request itself was bad) frees its slot after another cool-down.

type State = { failures: number; openUntil: number; probeStartedAt: number | null };

export class CircuitBreaker {
  private states = new Map<string, State>();

  constructor(
    private threshold: number,
    private cooldownMs: number,
    private now: () => number = Date.now,
  ) {}

  /** May this channel take a request now? In half-open state only one probe at a time. */
  isAvailable(channelId: string): boolean {
    const state = this.states.get(channelId);
    if (!state || state.failures < this.threshold) return true;
    const now = this.now();
    if (now < state.openUntil) return false;
    return state.probeStartedAt === null || now - state.probeStartedAt >= this.cooldownMs;
  }

  /** Call when a request is sent: marks the probe of a half-open channel. */
  onAttempt(channelId: string) {
    const state = this.states.get(channelId);
    if (state && state.failures >= this.threshold && this.now() >= state.openUntil) state.probeStartedAt = this.now();
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
  onFailure(channelId: string): boolean {
    const state = this.states.get(channelId) ?? { failures: 0, openUntil: 0, probeStartedAt: null };
    state.failures += 1;
    state.probeStartedAt = null;
    this.states.set(channelId, state);
    if (state.failures >= this.threshold) {
      state.openUntil = this.now() + this.cooldownMs;
      return true;
    }
    return false;
  }

  isOpen(channelId: string): boolean {
    const state = this.states.get(channelId);
    return Boolean(state && state.failures >= this.threshold && this.now() < state.openUntil);
  }
}
