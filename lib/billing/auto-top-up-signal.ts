// Admission tells the server when an organization's balance fell below its auto top-up threshold
// (tf_admit answered 'ok_top_up'); the server (scripts/server.ts) listens and runs the Stripe side
// (lib/billing/stripe/auto-top-up.ts). A signal rather than an import keeps the gateway's hot path
// free of the Stripe SDK, and the registry lives on globalThis because Next's bundle and the
// server each load their own copy of this module.
// In-process throttle: one attempt per organization per few seconds here; the database decides
// whether a payment may actually start (one in flight, a daily maximum), across instances.

type Listener = (organizationId: string) => void;

const THROTTLE_MS = 5_000;
const registry = globalThis as unknown as {
  tokenflowAutoTopUp?: { listener: Listener | null; lastSignal: Map<string, number> };
};
const state = (registry.tokenflowAutoTopUp ??= { listener: null, lastSignal: new Map() });

export function onAutoTopUpDue(listener: Listener | null): void {
  state.listener = listener;
}

export function autoTopUpDue(organizationId: string, now = Date.now()): void {
  if (!state.listener) return;
  const last = state.lastSignal.get(organizationId);
  if (last !== undefined && now - last < THROTTLE_MS) return;
  state.lastSignal.set(organizationId, now);
  if (state.lastSignal.size > 10_000) state.lastSignal.clear();
  state.listener(organizationId);
}
