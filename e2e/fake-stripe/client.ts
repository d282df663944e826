// Test helpers for the fake Stripe API (e2e/fake-stripe/server.mjs):
//   * spawnFakeStripe() — start it as a child process on a random port,
//   * stripeOptions() — the `stripe` SDK config that points at it,
//   * a tiny client for its /_test control API (recorded requests, checkout completion, events, faults, …).
// All helpers take the server's `url` (origin, e.g. http://127.0.0.1:4011); a trailing "/v1" is tolerated.

import { fixtureServerPath, spawnFixture } from "../spawn-fixture";

export interface FakeStripeHandle {
  /** Origin, e.g. http://127.0.0.1:4011 (API under /v1, control API under /_test, pages under /checkout). */
  url: string;
  port: number;
  /** Terminates the child (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A Stripe object as the fake returns it (plain JSON). */
export type StripeObject = Record<string, any> & { id: string; object: string };

export interface RecordedStripeRequest {
  method: string;
  /** Path without the query string, e.g. /v1/checkout/sessions/cs_test_123. */
  path: string;
  /** Parsed query string (nested like the body). */
  query: Record<string, any>;
  /** Parsed form body ({} for GET). Leaves are strings: amount "1000", confirm "true". */
  body: Record<string, any>;
  idempotencyKey: string | null;
  /** Bearer token sent, or null. */
  apiKey: string | null;
  /** Stripe-Version header sent by the SDK, or null. */
  stripeVersion: string | null;
  /** Epoch ms. */
  at: number;
  /** HTTP status answered. */
  status: number | null;
  /** Answered by replaying the saved response of an earlier request with the same Idempotency-Key. */
  idempotentReplay: boolean;
  /** Answered by an injected fault. */
  fault: boolean;
}

export interface CompleteSessionOptions {
  /** Default "paid". "unpaid" leaves the PaymentIntent "processing" (finish it with asyncResult). */
  payment_status?: "paid" | "unpaid";
  /** Overrides the session's amount_total (and the PaymentIntent's amount), to simulate a mismatch. */
  amount_total?: number;
  /** Overrides the session's currency. */
  currency?: string;
}

export interface FakeEventInput {
  type: string;
  data: { object: Record<string, any>; previous_attributes?: Record<string, any> };
  /** Unix seconds (default now). */
  created?: number;
  livemode?: boolean;
  /** Default false. */
  delivery_success?: boolean;
  /** Default evt_<random>. */
  id?: string;
  api_version?: string;
}

/** A stored event as the control API shows it: the Stripe event plus the fake's delivery flag. */
export type FakeEvent = StripeObject & {
  type: string;
  created: number;
  data: { object: Record<string, any> };
  delivery_success: boolean;
};

export interface FaultSpec {
  /** Prefix of the /v1 path, e.g. "/v1/checkout/sessions". */
  path: string;
  /** Only this method (default any). */
  method?: string;
  status: number;
  /** Number of matching requests to fail (default 1). */
  times?: number;
  /** Merged into the error body, e.g. { type: "rate_limit_error", code: "rate_limit" }. */
  error?: Record<string, any>;
}

export interface Fault {
  id: number;
  path: string;
  method: string | null;
  status: number;
  remaining: number;
  error: Record<string, any>;
}

export interface FakeStripeState {
  customers: StripeObject[];
  checkout_sessions: StripeObject[];
  payment_intents: StripeObject[];
  charges: StripeObject[];
  payment_methods: StripeObject[];
  setup_intents: StripeObject[];
  /** Newest first. */
  events: FakeEvent[];
  declining_payment_methods: string[];
  faults: Fault[];
}

/** Absolute path of server.mjs. */
export function fakeStripeServerPath(): string {
  return fixtureServerPath(typeof __dirname === "string" ? __dirname : undefined, "fake-stripe");
}

/** Spawns `node server.mjs` and resolves once it prints "FAKE_STRIPE_LISTENING <port>". */
export function spawnFakeStripe(
  opts: { host?: string; port?: number; timeoutMs?: number } = {},
): Promise<FakeStripeHandle> {
  return spawnFixture({ name: "fake stripe", script: fakeStripeServerPath(), envPrefix: "FAKE_STRIPE", ...opts });
}

/**
 * Options for `new Stripe(key, stripeOptions(url))` that send every call to the fake: plain HTTP to its host and
 * port, no automatic retries (so injected faults surface at once).
 */
export function stripeOptions(url: string): {
  host: string;
  port: number;
  protocol: "http";
  maxNetworkRetries: number;
} {
  const u = new URL(origin(url));
  return { host: u.hostname, port: Number(u.port), protocol: "http", maxNetworkRetries: 0 };
}

// ---------------------------------------------------------------------------------------------
// Control API client
// ---------------------------------------------------------------------------------------------

const origin = (url: string) => url.replace(/\/+$/, "").replace(/\/v1$/, "");

async function control<T>(url: string, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${origin(url)}/_test/${route}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`fake stripe control ${method} ${route} → ${res.status}: ${JSON.stringify(json)}`);
  return json as T;
}

const seg = encodeURIComponent;

/** Every recorded /v1 request, oldest first. */
export async function requests(url: string): Promise<RecordedStripeRequest[]> {
  return (await control<{ requests: RecordedStripeRequest[] }>(url, "GET", "requests")).requests;
}

export async function clearRequests(url: string): Promise<void> {
  await control(url, "DELETE", "requests");
}

/** Forgets everything: objects, events, recorded requests, faults, idempotency keys, declining methods. */
export async function reset(url: string): Promise<void> {
  await control(url, "POST", "reset");
}

/** Marks an open session complete (creating customer, PaymentIntent, Charge / SetupIntent); returns it expanded. */
export function completeSession(url: string, id: string, opts: CompleteSessionOptions = {}): Promise<StripeObject> {
  return control<StripeObject>(url, "POST", `checkout/sessions/${seg(id)}/complete`, opts);
}

/** Settles a session completed with payment_status "unpaid"; returns it expanded like completeSession. */
export function asyncResult(url: string, id: string, outcome: "succeeded" | "failed"): Promise<StripeObject> {
  return control<StripeObject>(url, "POST", `checkout/sessions/${seg(id)}/async-result`, { outcome });
}

export function expireSession(url: string, id: string): Promise<StripeObject> {
  return control<StripeObject>(url, "POST", `checkout/sessions/${seg(id)}/expire`, {});
}

/** Refunds `amount` (default: all that is left) of a charge; returns the charge. */
export function refundCharge(url: string, chargeId: string, amount?: number): Promise<StripeObject> {
  return control<StripeObject>(url, "POST", `charges/${seg(chargeId)}/refund`, amount === undefined ? {} : { amount });
}

/** Makes later confirmed PaymentIntents with this method fail with card_declined / insufficient_funds (or not). */
export async function setDecline(url: string, pmId: string, decline: boolean): Promise<void> {
  await control(url, "POST", `payment_methods/${seg(pmId)}/decline`, { decline });
}

export function addEvent(url: string, event: FakeEventInput): Promise<FakeEvent> {
  return control<FakeEvent>(url, "POST", "events", event);
}

export function markDelivered(url: string, eventId: string): Promise<FakeEvent> {
  return control<FakeEvent>(url, "POST", `events/${seg(eventId)}/delivered`, {});
}

export function state(url: string): Promise<FakeStripeState> {
  return control<FakeStripeState>(url, "GET", "state");
}

/** The next `times` (default 1) /v1 requests whose path starts with spec.path fail with spec.status. */
export async function fault(url: string, spec: FaultSpec): Promise<Fault> {
  return (await control<{ fault: Fault }>(url, "POST", "faults", spec)).fault;
}

export async function clearFaults(url: string): Promise<void> {
  await control(url, "DELETE", "faults");
}
