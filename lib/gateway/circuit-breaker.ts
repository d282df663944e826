// Per-channel circuit breaker, per instance (health is not money: process memory is fine here).
// closed → (threshold consecutive failures) → open for the cool-down → half-open: one probe request
// decides: success closes, failure re-opens.

type State = { failures: number; openUntil: number; probing: boolean };

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
    if (this.now() < state.openUntil) return false;
    return !state.probing;
  }

  /** Call when a request is sent: marks the probe of a half-open channel. */
  onAttempt(channelId: string) {
    const state = this.states.get(channelId);
    if (state && state.failures >= this.threshold && this.now() >= state.openUntil) state.probing = true;
  }

  onSuccess(channelId: string) {
    this.states.delete(channelId);
  }

  /** Returns true when this failure opened (or re-opened) the circuit. */
  onFailure(channelId: string): boolean {
    const state = this.states.get(channelId) ?? { failures: 0, openUntil: 0, probing: false };
    state.failures += 1;
    state.probing = false;
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
