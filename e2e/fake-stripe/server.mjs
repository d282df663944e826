// Fake Stripe API for TokenFlow's billing tests (unit, integration and e2e).
//
// Run:    node e2e/fake-stripe/server.mjs      (env FAKE_STRIPE_PORT=0, FAKE_STRIPE_HOST=127.0.0.1)
//         → prints exactly one stdout line "FAKE_STRIPE_LISTENING <port>".
// Spawn:  spawnFakeStripe() in e2e/fake-stripe/client.ts (child process, random port, typed control helpers).
// Import: const srv = await startFakeStripe({ port, host }); … await srv.close();
//
// Point the real `stripe` SDK at it with:
//   new Stripe("sk_test_…", { host: u.hostname, port: Number(u.port), protocol: "http", maxNetworkRetries: 0 })
//
// Plain ESM, node:* modules only. In-memory state, lost on exit.
//
// Stripe API (under /v1; bodies and query strings form-encoded the way the SDK sends them: a[b][0]=x):
//   Every /v1 request needs "Authorization: Bearer sk_…|rk_…" (else 401). livemode = key starts with
//   sk_live_/rk_live_. Errors: { error: { type, code?, message, param?, decline_code?, payment_intent? } }
//   with Stripe's statuses (400/404 invalid_request_error, 402 card_error, 401, 500 api_error).
//   POST /v1/customers                        email, name, metadata, description, phone
//   GET  /v1/customers/:id
//   POST /v1/checkout/sessions                mode (payment|setup), success_url, cancel_url, line_items[] with
//                                             price_data{currency,unit_amount,product_data{name}|product} and
//                                             quantity, currency, customer | customer_email, client_reference_id,
//                                             metadata, payment_intent_data (kept as sent), setup_intent_data,
//                                             customer_creation, expires_at, expand[]
//   GET  /v1/checkout/sessions/:id            expand[]: payment_intent, payment_intent.latest_charge,
//                                             setup_intent, setup_intent.payment_method, customer, …
//   POST /v1/checkout/sessions/:id/expire
//   POST /v1/payment_intents                  amount, currency, customer, payment_method, confirm, off_session,
//                                             metadata, description, setup_future_usage, expand[]
//                                             confirm=true + declining method → 402 card_error/card_declined
//                                             (insufficient_funds) carrying the stored PaymentIntent
//   GET  /v1/payment_intents/:id              expand[]: latest_charge, payment_method, customer
//   GET  /v1/charges/:id  /v1/payment_methods/:id  /v1/setup_intents/:id (expand payment_method)
//   GET  /v1/events                           types[] | type (trailing * wildcard), created (n or [gt|gte|lt|lte]),
//                                             delivery_success, limit (1–100, default 10), starting_after,
//                                             ending_before → { object: "list", data (newest first), has_more, url }
//   GET  /v1/events/:id
//   anything else under /v1 → 404 "Unrecognized request URL (GET: /v1/x)"
//
//   Idempotency-Key on a POST (the SDK puts a random one on every POST): a repeat with the same key, path and
//   parameters replays the first response verbatim (status + body, header Idempotent-Replayed: true) and
//   creates nothing; the repeat is still recorded (idempotentReplay: true). Same key with another path or other
//   parameters → 400 idempotency_error. Like Stripe, 400/404 validation errors are not saved (a fixed retry
//   runs for real); 2xx and 402 are. Keys are scoped per API key.
//
// Browser pages (no auth):
//   GET  /checkout/:id           "Fake Stripe Checkout" page, heading "Pay TokenFlow", amount "$X.XX USD",
//                                a "Pay" button and a "Cancel" link (to cancel_url)
//   POST /checkout/:id/pay       completes the session as paid (same as the control API) and 303-redirects to
//                                success_url with {CHECKOUT_SESSION_ID} replaced
//   GET  /receipts/:chargeId     tiny "Fake Stripe Receipt" page
//
// Control API (under /_test, JSON in/out, no auth; errors { error: { message } } with 400/404/409):
//   GET    /_test/requests                           → { requests: [{ method, path, query, body, idempotencyKey,
//                                                       apiKey, stripeVersion, at (epoch ms), status,
//                                                       idempotentReplay, fault }] } oldest first
//   DELETE /_test/requests                           clears them
//   POST   /_test/reset                              clears everything (objects, requests, faults, idempotency)
//   GET    /_test/state                              every stored object by kind (debugging)
//   POST   /_test/checkout/sessions/:id/complete     { payment_status?: "paid"|"unpaid", amount_total?, currency? }
//          open session → "complete". Creates a customer when the session has none. Payment mode: a
//          PaymentMethod (attached to the customer only when payment_intent_data.setup_future_usage is set), a
//          PaymentIntent ("succeeded" when paid, "processing" when unpaid; metadata = payment_intent_data.metadata)
//          and, when paid, a Charge with receipt_url. Setup mode: a succeeded SetupIntent with a new attached
//          PaymentMethod. amount_total / currency override the session's (to simulate a mismatch).
//          → the session with payment_intent, payment_intent.latest_charge and setup_intent expanded.
//   POST   /_test/checkout/sessions/:id/async-result { outcome: "succeeded"|"failed" } for a session completed
//          unpaid: succeeded → paid + PI succeeded + Charge; failed → stays unpaid, PI requires_payment_method.
//          → the session, expanded as above.
//   POST   /_test/checkout/sessions/:id/expire       open session → "expired" → the session
//   POST   /_test/charges/:id/refund                 { amount? (default: all that is left) } → the charge
//   POST   /_test/payment_methods/:id/decline        { decline: boolean } → { id, decline }
//   POST   /_test/events                             { type, data: { object, previous_attributes? }, created?,
//                                                       livemode?, delivery_success?, id?, api_version? }
//                                                     → the stored event (plus its delivery_success flag)
//   POST   /_test/events/:id/delivered               delivery_success = true → the event
//   POST   /_test/faults                             { path (prefix of the /v1 path), method?, status, times?
//                                                       (default 1), error? (merged into the error body) }
//          the next `times` matching authenticated /v1 requests answer `status` with
//          { error: { type: "api_error", message: "fake fault" } } before anything else happens (nothing is
//          created, nothing is saved under the idempotency key) → { fault }
//   GET    /_test/faults, DELETE /_test/faults
//
// Completing a session does NOT create events: tests add the ones they want with POST /_test/events.

import http from "node:http";
import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_ARRAY_INDEX = 1000;
const SESSION_TTL_S = 86_400;
const API_VERSION = "2025-01-01";
const DECLINE = {
  code: "card_declined",
  decline_code: "insufficient_funds",
  message: "Your card has insufficient funds.",
};
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
function randomToken(n = 24) {
  let s = "";
  for (const b of randomBytes(n)) s += ALNUM[b % ALNUM.length];
  return s;
}
const newId = (prefix) => prefix + randomToken();
const nowS = () => Math.floor(Date.now() / 1000);
const clone = (v) => (v === undefined ? undefined : structuredClone(v));
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** JSON with sorted object keys, to compare parameter sets. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

function decodeComponent(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/**
 * Parses a form-encoded string (body or query) the way Stripe reads what its SDKs send:
 * `a=1&m[k]=v&l[0][x]=y&e[]=z` → { a: "1", m: { k: "v" }, l: [{ x: "y" }], e: ["z"] }.
 * All leaves are strings. Containers whose keys are all indexes become arrays (compacted, in index order);
 * `[]` appends. `__proto__`/`constructor`/`prototype` segments are dropped.
 */
export function parseForm(text) {
  const root = {};
  const arrayish = new WeakSet();
  if (typeof text !== "string" || text === "") return root;
  for (const part of text.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    const value = decodeComponent(eq === -1 ? "" : part.slice(eq + 1));
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    const segs = m ? [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])] : [key];
    if (segs.some((s) => FORBIDDEN_KEYS.has(s))) continue;
    let node = root;
    for (let i = 0; i < segs.length; i++) {
      let seg = segs[i];
      if (seg === "" && arrayish.has(node)) seg = String(Object.keys(node).length);
      if (i === segs.length - 1) {
        node[seg] = value;
        break;
      }
      const next = segs[i + 1];
      if (!isObj(node[seg])) {
        node[seg] = {};
        if (next === "" || (/^\d+$/.test(next) && Number(next) <= MAX_ARRAY_INDEX)) arrayish.add(node[seg]);
      }
      node = node[seg];
    }
  }
  const finalize = (v) => {
    if (!isObj(v)) return v;
    const keys = Object.keys(v);
    for (const k of keys) v[k] = finalize(v[k]);
    if (arrayish.has(v) && keys.every((k) => /^\d+$/.test(k) && Number(k) <= MAX_ARRAY_INDEX)) {
      return keys.sort((a, b) => Number(a) - Number(b)).map((k) => v[k]);
    }
    return v;
  };
  return finalize(root);
}

const asList = (v) => (v === undefined || v === "" ? [] : Array.isArray(v) ? v : isObj(v) ? Object.values(v) : [v]);

function escapeHtml(s) {
  return String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

const formatAmount = (amount, currency) =>
  amount === null || amount === undefined
    ? "—"
    : `$${(amount / 100).toFixed(2)} ${String(currency ?? "").toUpperCase()}`.trim();

function sendJson(res, status, body, headers = {}) {
  sendText(res, status, JSON.stringify(body), headers);
}

function sendText(res, status, text, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendHtml(res, status, title, bodyHtml) {
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
    `<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto">${bodyHtml}</body></html>`;
  sendText(res, status, html, { "content-type": "text/html; charset=utf-8" });
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** A Stripe API error: `status` + the `error` object of the body. */
class ApiError extends Error {
  constructor(status, error) {
    super(error.message);
    this.status = status;
    this.error = error;
  }
}

const invalid = (message, param, code) =>
  new ApiError(400, {
    type: "invalid_request_error",
    ...(code ? { code } : {}),
    message,
    ...(param ? { param } : {}),
  });
const missing = (param) => invalid(`Missing required param: ${param}.`, param, "parameter_missing");
const noSuch = (label, id, param = "id", status = 404) =>
  new ApiError(status, {
    type: "invalid_request_error",
    code: "resource_missing",
    message: `No such ${label}: '${id}'`,
    param,
  });

/** A control API error. */
class ControlError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// ---------------------------------------------------------------------------------------------
// Parameter readers (form values are strings)
// ---------------------------------------------------------------------------------------------

function str(params, name, { required = false, label = name } = {}) {
  const v = params?.[name];
  if (v === undefined || v === "") {
    if (required) throw missing(label);
    return undefined;
  }
  if (typeof v !== "string")
    throw invalid(`Invalid string: ${label} must be a string.`, label, "parameter_invalid_string");
  return v;
}

function int(params, name, { required = false, label = name, min } = {}) {
  const v = params?.[name];
  if (v === undefined || v === "") {
    if (required) throw missing(label);
    return undefined;
  }
  if (typeof v === "number" && Number.isInteger(v)) return checkMin(v, label, min);
  if (typeof v !== "string" || !/^-?\d+$/.test(v))
    throw invalid(
      `Invalid integer: ${typeof v === "string" ? v : JSON.stringify(v)}`,
      label,
      "parameter_invalid_integer",
    );
  return checkMin(Number(v), label, min);
}

function checkMin(n, label, min) {
  if (min !== undefined && n < min)
    throw invalid(`This value must be greater than or equal to ${min}.`, label, "parameter_invalid_integer");
  return n;
}

function bool(params, name) {
  const v = params?.[name];
  if (v === undefined || v === "") return undefined;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  throw invalid(`Invalid boolean: ${v}`, name);
}

function metadataParam(params, label = "metadata") {
  const v = params?.metadata;
  if (v === undefined || v === "") return {};
  if (!isObj(v)) throw invalid("Invalid object", label);
  return { ...v };
}

function urlParam(params, name, required) {
  const v = str(params, name, { required });
  if (v === undefined) return null;
  let ok = false;
  try {
    const u = new URL(v.replaceAll("{CHECKOUT_SESSION_ID}", "x"));
    ok = u.protocol === "http:" || u.protocol === "https:";
  } catch {
    ok = false;
  }
  if (!ok) throw invalid("Not a valid URL", name, "url_invalid");
  return v;
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

const KINDS = {
  customers: { prefix: "cus_", label: "customer" },
  checkoutSessions: { prefix: "cs_", label: "checkout.session" },
  paymentIntents: { prefix: "pi_", label: "payment_intent" },
  charges: { prefix: "ch_", label: "charge" },
  paymentMethods: { prefix: "pm_", label: "PaymentMethod" },
  setupIntents: { prefix: "seti_", label: "setupintent" },
};

function createState() {
  return {
    customers: new Map(),
    checkoutSessions: new Map(),
    paymentIntents: new Map(),
    charges: new Map(),
    paymentMethods: new Map(),
    setupIntents: new Map(),
    /** id → { event, delivery_success, seq } */
    events: new Map(),
    /** checkout session id → { setup_intent_data } (inputs that are not part of the session object) */
    sessionInputs: new Map(),
    declining: new Set(),
    requests: [],
    faults: [],
    /** `${apiKey}\0${key}` → { method, path, params, status, text, requestId } */
    idempotency: new Map(),
    seq: 0,
    nextFaultId: 1,
  };
}

function resetState(state) {
  Object.assign(state, createState());
}

/** Any stored object by id (for expand). */
function findObject(state, id) {
  if (typeof id !== "string") return undefined;
  for (const kind of Object.keys(KINDS)) {
    if (id.startsWith(KINDS[kind].prefix)) return state[kind].get(id);
  }
  return undefined;
}

function getOr404(state, kind, id, param, status) {
  const obj = state[kind].get(id);
  if (!obj) throw noSuch(KINDS[kind].label, id, param, status);
  return obj;
}

// ---------------------------------------------------------------------------------------------
// Object factories
// ---------------------------------------------------------------------------------------------

function newCustomer(state, { email = null, name = null, metadata = {}, description = null, phone = null }, livemode) {
  const c = {
    id: newId("cus_"),
    object: "customer",
    created: nowS(),
    description,
    email,
    invoice_settings: { default_payment_method: null },
    livemode,
    metadata,
    name,
    phone,
  };
  state.customers.set(c.id, c);
  return c;
}

function newPaymentMethod(state, { customer = null, email = null }, livemode) {
  const pm = {
    id: newId("pm_"),
    object: "payment_method",
    billing_details: { email, name: null },
    card: { brand: "visa", country: "US", exp_month: 12, exp_year: 2030, funding: "credit", last4: "4242" },
    created: nowS(),
    customer,
    livemode,
    metadata: {},
    type: "card",
  };
  state.paymentMethods.set(pm.id, pm);
  return pm;
}

function newPaymentIntent(state, fields, livemode) {
  const id = newId("pi_");
  const pi = {
    id,
    object: "payment_intent",
    amount: fields.amount,
    amount_capturable: 0,
    amount_received: 0,
    capture_method: "automatic",
    client_secret: `${id}_secret_${randomToken(16)}`,
    confirmation_method: "automatic",
    created: nowS(),
    currency: fields.currency,
    customer: fields.customer ?? null,
    description: fields.description ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode,
    metadata: fields.metadata ?? {},
    payment_method: fields.payment_method ?? null,
    payment_method_types: ["card"],
    receipt_email: fields.receipt_email ?? null,
    setup_future_usage: fields.setup_future_usage ?? null,
    status: fields.status ?? "requires_payment_method",
  };
  state.paymentIntents.set(pi.id, pi);
  return pi;
}

/** Creates the succeeded charge of `pi` and marks it succeeded. */
function succeedPaymentIntent(state, ctx, pi) {
  const pm = pi.payment_method ? state.paymentMethods.get(pi.payment_method) : undefined;
  const chargeId = newId("ch_");
  const charge = {
    id: chargeId,
    object: "charge",
    amount: pi.amount,
    amount_captured: pi.amount,
    amount_refunded: 0,
    billing_details: pm ? clone(pm.billing_details) : { email: null, name: null },
    captured: true,
    created: nowS(),
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    livemode: pi.livemode,
    metadata: clone(pi.metadata),
    paid: true,
    payment_intent: pi.id,
    payment_method: pi.payment_method,
    payment_method_details: pm ? { type: "card", card: { brand: pm.card.brand, last4: pm.card.last4 } } : null,
    receipt_url: `${ctx.origin}/receipts/${chargeId}`,
    refunded: false,
    status: "succeeded",
  };
  state.charges.set(charge.id, charge);
  pi.status = "succeeded";
  pi.amount_received = pi.amount;
  pi.latest_charge = charge.id;
  pi.last_payment_error = null;
  return charge;
}

/** Puts `pi` back to requires_payment_method with a last_payment_error (the failed method goes there). */
function failPaymentIntent(state, pi, error) {
  const pm = pi.payment_method ? state.paymentMethods.get(pi.payment_method) : undefined;
  pi.status = "requires_payment_method";
  pi.last_payment_error = { ...error, ...(pm ? { payment_method: clone(pm) } : {}) };
  pi.payment_method = null;
  pi.amount_received = 0;
}

// ---------------------------------------------------------------------------------------------
// Expansion
// ---------------------------------------------------------------------------------------------

/** Returns a copy of `obj` with the `expand` paths ("a", "a.b") replaced by the objects they name. */
function expandObject(state, obj, paths) {
  const out = clone(obj);
  for (const path of asList(paths)) {
    if (typeof path !== "string" || !path) throw invalid("Invalid expand", "expand");
    const segs = path.split(".");
    if (segs.length > 4) throw invalid(`You cannot expand more than 4 levels of a property (${path}).`, "expand");
    expandPath(state, out, segs, path);
  }
  return out;
}

function expandPath(state, target, segs, full) {
  if (target === null || target === undefined) return;
  const [field, ...rest] = segs;
  if (field === "data" && Array.isArray(target.data) && target.object === "list") {
    for (const item of target.data) if (rest.length) expandPath(state, item, rest, full);
    return;
  }
  if (!isObj(target) || !(field in target)) throw invalid(`This property cannot be expanded (${field}).`, "expand");
  let value = target[field];
  if (typeof value === "string") {
    const found = findObject(state, value);
    if (!found) throw invalid(`This property cannot be expanded (${field}).`, "expand");
    value = target[field] = clone(found);
  } else if (value !== null && !(isObj(value) && (rest.length || (value.id && value.object)))) {
    // Only ids (or objects an earlier path already expanded) can be expanded; plain sub-objects can be walked.
    throw invalid(`This property cannot be expanded (${field}).`, "expand");
  }
  if (rest.length) expandPath(state, value, rest, full);
}

// ---------------------------------------------------------------------------------------------
// /v1 handlers: (c) → { status?, body }; c = { state, ctx, method, path, query, body, livemode, params }
// ---------------------------------------------------------------------------------------------

function createCustomer(c) {
  const b = c.body;
  const cus = newCustomer(
    c.state,
    {
      email: str(b, "email") ?? null,
      name: str(b, "name") ?? null,
      description: str(b, "description") ?? null,
      phone: str(b, "phone") ?? null,
      metadata: metadataParam(b),
    },
    c.livemode,
  );
  return { body: expandObject(c.state, cus, b.expand) };
}

function createCheckoutSession(c) {
  const { state, ctx } = c;
  const b = c.body;
  const mode = str(b, "mode", { required: true });
  if (mode !== "payment" && mode !== "setup")
    throw invalid(
      `Invalid mode: must be one of payment or setup (the fake does not support '${mode}').`,
      "mode",
      "parameter_invalid_string",
    );
  const successUrl = urlParam(b, "success_url", true);
  const cancelUrl = urlParam(b, "cancel_url", false);
  const customerId = str(b, "customer") ?? null;
  const customerEmail = str(b, "customer_email") ?? null;
  if (customerId && customerEmail)
    throw invalid("You may only specify one of these parameters: customer, customer_email.", "customer_email");
  if (customerId) getOr404(state, "customers", customerId, "customer", 400);

  let amountTotal = null;
  let currency = str(b, "currency")?.toLowerCase() ?? null;
  let paymentIntentData = null;
  if (mode === "payment") {
    const items = b.line_items;
    if (items === undefined || items === "") throw missing("line_items");
    if (!Array.isArray(items) || items.length === 0) throw invalid("Invalid array", "line_items");
    let total = 0;
    let itemCurrency = null;
    items.forEach((item, i) => {
      const p = `line_items[${i}]`;
      if (!isObj(item)) throw invalid("Invalid object", p);
      if (item.price !== undefined) throw noSuch("price", item.price, `${p}[price]`, 400); // the fake has no Price objects: use price_data
      const pd = item.price_data;
      if (!isObj(pd))
        throw invalid(`You must specify either \`price\` or \`price_data\` for ${p}.`, `${p}[price_data]`);
      const cur = str(pd, "currency", { required: true, label: `${p}[price_data][currency]` }).toLowerCase();
      if (itemCurrency !== null && cur !== itemCurrency)
        throw invalid("All line items must have the same currency.", `${p}[price_data][currency]`);
      itemCurrency = cur;
      if (pd.product === undefined && !(isObj(pd.product_data) && str(pd.product_data, "name")))
        throw missing(`${p}[price_data][product_data][name]`);
      const label = `${p}[price_data][unit_amount]`;
      const unit = int(pd, "unit_amount", { required: true, label });
      if (unit <= 0) throw invalid("Invalid positive integer", label, "parameter_invalid_integer");
      const quantity = int(item, "quantity", { required: true, label: `${p}[quantity]`, min: 1 });
      total += unit * quantity;
    });
    if (itemCurrency === "usd" && total < 50)
      throw invalid(
        "The Checkout Session's total amount due must add up to at least $0.50 usd",
        undefined,
        "amount_too_small",
      );
    amountTotal = total;
    currency = itemCurrency;
    if (b.payment_intent_data !== undefined) {
      if (!isObj(b.payment_intent_data)) throw invalid("Invalid object", "payment_intent_data");
      paymentIntentData = clone(b.payment_intent_data);
      const sfu = paymentIntentData.setup_future_usage;
      if (sfu !== undefined && sfu !== "on_session" && sfu !== "off_session")
        throw invalid(
          `Invalid setup_future_usage: must be one of on_session or off_session`,
          "payment_intent_data[setup_future_usage]",
        );
    }
  } else {
    if (b.line_items !== undefined) throw invalid("You cannot pass `line_items` in `setup` mode.", "line_items");
    if (b.payment_intent_data !== undefined)
      throw invalid("You can not pass `payment_intent_data` in `setup` mode.", "payment_intent_data");
  }

  const created = nowS();
  const expiresAt = int(b, "expires_at") ?? created + SESSION_TTL_S;
  if (expiresAt < created + 1800 || expiresAt > created + SESSION_TTL_S)
    throw invalid("The `expires_at` timestamp must be between 30 minutes and 24 hours from now.", "expires_at");
  const id = newId(c.livemode ? "cs_live_" : "cs_test_");
  const session = {
    id,
    object: "checkout.session",
    amount_subtotal: amountTotal,
    amount_total: amountTotal,
    cancel_url: cancelUrl,
    client_reference_id: str(b, "client_reference_id") ?? null,
    created,
    currency,
    customer: customerId,
    customer_creation: str(b, "customer_creation") ?? null,
    customer_details: null,
    customer_email: customerEmail,
    expires_at: expiresAt,
    livemode: c.livemode,
    metadata: metadataParam(b),
    mode,
    payment_intent: null,
    payment_intent_data: paymentIntentData,
    payment_method_types: asList(b.payment_method_types).length ? asList(b.payment_method_types) : ["card"],
    payment_status: mode === "setup" ? "no_payment_required" : "unpaid",
    setup_intent: null,
    status: "open",
    success_url: successUrl,
    url: `${ctx.origin}/checkout/${id}`,
  };
  state.checkoutSessions.set(id, session);
  state.sessionInputs.set(id, { setup_intent_data: isObj(b.setup_intent_data) ? clone(b.setup_intent_data) : {} });
  return { body: expandObject(state, session, b.expand) };
}

function expireCheckoutSessionApi(c, id) {
  const session = getOr404(c.state, "checkoutSessions", id);
  if (session.status !== "open")
    throw invalid(
      `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
    );
  expireSession(session);
  return { body: expandObject(c.state, session, c.body.expand) };
}

function expireSession(session) {
  session.status = "expired";
  session.url = null;
}

function createPaymentIntent(c) {
  const { state, ctx } = c;
  const b = c.body;
  const amount = int(b, "amount", { required: true, min: 1 });
  const currency = str(b, "currency", { required: true }).toLowerCase();
  if (currency === "usd" && amount < 50)
    throw invalid("Amount must be at least $0.50 usd", "amount", "amount_too_small");
  const customer = str(b, "customer") ?? null;
  if (customer) getOr404(state, "customers", customer, "customer", 400);
  const confirm = bool(b, "confirm") ?? false;
  const offSessionRaw = b.off_session;
  const offSession =
    offSessionRaw === "one_off" || offSessionRaw === "recurring" ? true : (bool(b, "off_session") ?? false);
  if (offSession && !confirm) throw invalid("`off_session` can only be used when `confirm=true`.", "off_session");
  const pmId = str(b, "payment_method") ?? null;
  const pm = pmId ? getOr404(state, "paymentMethods", pmId, "payment_method", 400) : null;
  if (pm?.customer && pm.customer !== customer)
    throw invalid(
      customer
        ? `The provided PaymentMethod ${pm.id} does not belong to the Customer ${customer}.`
        : `The provided PaymentMethod ${pm.id} is attached to a Customer: include that Customer in the \`customer\` parameter.`,
      "payment_method",
    );
  if (confirm && !pm)
    throw invalid(
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
      undefined,
      "payment_intent_unexpected_state",
    );
  const sfu = str(b, "setup_future_usage") ?? null;
  const pi = newPaymentIntent(
    state,
    {
      amount,
      currency,
      customer,
      description: str(b, "description") ?? null,
      metadata: metadataParam(b),
      payment_method: pmId,
      receipt_email: str(b, "receipt_email") ?? null,
      setup_future_usage: sfu,
      status: !pm ? "requires_payment_method" : confirm ? "processing" : "requires_confirmation",
    },
    c.livemode,
  );
  if (confirm) {
    if (state.declining.has(pm.id)) {
      failPaymentIntent(state, pi, { type: "card_error", ...DECLINE });
      throw new ApiError(402, {
        type: "card_error",
        ...DECLINE,
        doc_url: "https://stripe.com/docs/error-codes/card-declined",
        payment_intent: clone(pi),
        payment_method: clone(pm),
      });
    }
    succeedPaymentIntent(state, ctx, pi);
  }
  return { body: expandObject(state, pi, b.expand) };
}

function retrieve(kind) {
  return (c, id) => ({ body: expandObject(c.state, getOr404(c.state, kind, id), c.query.expand) });
}

function publicEvent(rec) {
  return clone(rec.event);
}

/** Event records sorted newest first (created desc, then most recently added first). */
const eventOrder = (a, b) => b.event.created - a.event.created || b.seq - a.seq;

function matchesCreated(created, filter) {
  if (filter === undefined || filter === "") return true;
  if (typeof filter === "string") {
    if (!/^\d+$/.test(filter)) throw invalid(`Invalid integer: ${filter}`, "created");
    return created === Number(filter);
  }
  if (!isObj(filter)) throw invalid("Invalid created filter", "created");
  const ops = { gt: (a, x) => a > x, gte: (a, x) => a >= x, lt: (a, x) => a < x, lte: (a, x) => a <= x };
  for (const [op, raw] of Object.entries(filter)) {
    if (!ops[op]) throw invalid(`Received unknown parameter: created[${op}]`, `created[${op}]`);
    if (typeof raw !== "string" || !/^\d+$/.test(raw))
      throw invalid(`Invalid integer: ${raw}`, `created[${op}]`, "parameter_invalid_integer");
    if (!ops[op](created, Number(raw))) return false;
  }
  return true;
}

function listEvents(c) {
  const { state, query: q } = c;
  const limit = int(q, "limit") ?? 10;
  if (limit < 1 || limit > 100)
    throw invalid("This value must be between 1 and 100 (inclusive).", "limit", "parameter_invalid_integer");
  const types = asList(q.types);
  if (types.length > 20) throw invalid("You may pass at most 20 types.", "types");
  const type = str(q, "type");
  if (type && types.length) throw invalid("You may only specify one of these parameters: type, types.", "types");
  const typeMatch = (t) =>
    type ? (type.endsWith("*") ? t.startsWith(type.slice(0, -1)) : t === type) : !types.length || types.includes(t);
  const delivery = bool(q, "delivery_success");
  const startingAfter = str(q, "starting_after");
  const endingBefore = str(q, "ending_before");
  if (startingAfter && endingBefore)
    throw invalid("You may only specify one of these parameters: starting_after, ending_before.", "ending_before");

  const all = [...state.events.values()]
    .filter(
      (r) =>
        typeMatch(r.event.type) &&
        matchesCreated(r.event.created, q.created) &&
        (delivery === undefined || r.delivery_success === delivery),
    )
    .sort(eventOrder);

  let data;
  let hasMore;
  if (endingBefore) {
    const cursor = state.events.get(endingBefore);
    if (!cursor) throw noSuch("event", endingBefore, "ending_before", 400);
    const before = all.filter((r) => eventOrder(r, cursor) < 0);
    data = before.slice(Math.max(0, before.length - limit));
    hasMore = before.length > limit;
  } else {
    let rest = all;
    if (startingAfter) {
      const cursor = state.events.get(startingAfter);
      if (!cursor) throw noSuch("event", startingAfter, "starting_after", 400);
      rest = all.filter((r) => eventOrder(r, cursor) > 0);
    }
    data = rest.slice(0, limit);
    hasMore = rest.length > limit;
  }
  return { body: { object: "list", data: data.map(publicEvent), has_more: hasMore, url: "/v1/events" } };
}

function retrieveEvent(c, id) {
  const rec = c.state.events.get(id);
  if (!rec) throw noSuch("event", id);
  return { body: publicEvent(rec) };
}

const V1_ROUTES = [
  ["POST", /^\/v1\/customers$/, createCustomer],
  ["GET", /^\/v1\/customers\/([^/]+)$/, retrieve("customers")],
  ["POST", /^\/v1\/checkout\/sessions$/, createCheckoutSession],
  ["GET", /^\/v1\/checkout\/sessions\/([^/]+)$/, retrieve("checkoutSessions")],
  ["POST", /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/, expireCheckoutSessionApi],
  ["POST", /^\/v1\/payment_intents$/, createPaymentIntent],
  ["GET", /^\/v1\/payment_intents\/([^/]+)$/, retrieve("paymentIntents")],
  ["GET", /^\/v1\/charges\/([^/]+)$/, retrieve("charges")],
  ["GET", /^\/v1\/payment_methods\/([^/]+)$/, retrieve("paymentMethods")],
  ["GET", /^\/v1\/setup_intents\/([^/]+)$/, retrieve("setupIntents")],
  ["GET", /^\/v1\/events$/, listEvents],
  ["GET", /^\/v1\/events\/([^/]+)$/, retrieveEvent],
];

function routeV1(c) {
  for (const [method, re, handler] of V1_ROUTES) {
    if (method !== c.method) continue;
    const m = re.exec(c.path);
    if (m) return handler(c, ...m.slice(1).map(decodeComponent));
  }
  throw new ApiError(404, {
    type: "invalid_request_error",
    message: `Unrecognized request URL (${c.method}: ${c.path})`,
  });
}

function redactKey(key) {
  return key.length > 12 ? `${key.slice(0, 8)}${"*".repeat(Math.min(key.length - 12, 16))}${key.slice(-4)}` : "***";
}

function handleV1(req, res, ctx, url, rawBody) {
  const { state } = ctx;
  const method = req.method ?? "GET";
  const path = url.pathname;
  const query = parseForm(url.search.slice(1));
  const body = method === "GET" || method === "DELETE" ? {} : parseForm(rawBody);
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  const apiKey = bearer ? bearer[1] : null;
  const idemHeader = req.headers["idempotency-key"];
  const idempotencyKey = typeof idemHeader === "string" && idemHeader !== "" ? idemHeader : null;
  const rec = {
    method,
    path,
    query,
    body,
    idempotencyKey,
    apiKey,
    stripeVersion: typeof req.headers["stripe-version"] === "string" ? req.headers["stripe-version"] : null,
    at: Date.now(),
    status: null,
    idempotentReplay: false,
    fault: false,
  };
  state.requests.push(rec);
  const requestId = newId("req_");
  const send = (status, text, headers = {}) => {
    rec.status = status;
    sendText(res, status, text, { "request-id": requestId, "stripe-version": API_VERSION, ...headers });
  };
  const sendError = (status, error) => send(status, JSON.stringify({ error }));

  if (!apiKey)
    return sendError(401, {
      type: "invalid_request_error",
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    });
  if (!/^(sk|rk)_(test|live)_\S+$/.test(apiKey))
    return sendError(401, { type: "invalid_request_error", message: `Invalid API Key provided: ${redactKey(apiKey)}` });
  const livemode = /^(sk|rk)_live_/.test(apiKey);

  const fault = state.faults.find((f) => path.startsWith(f.path) && (!f.method || f.method === method));
  if (fault) {
    fault.remaining -= 1;
    if (fault.remaining <= 0) state.faults.splice(state.faults.indexOf(fault), 1);
    rec.fault = true;
    return sendError(fault.status, { type: "api_error", message: "fake fault", ...fault.error });
  }

  const idemSlot = method === "POST" && idempotencyKey ? `${apiKey}\0${idempotencyKey}` : null;
  const params = canonical(body);
  if (idemSlot) {
    const prev = state.idempotency.get(idemSlot);
    if (prev) {
      if (prev.method !== method || prev.path !== path)
        return sendError(400, {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${prev.method} ${prev.path}' vs '${method} ${path}'). Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        });
      if (prev.params !== params)
        return sendError(400, {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        });
      rec.idempotentReplay = true;
      return send(prev.status, prev.text, { "idempotent-replayed": "true", "original-request": prev.requestId });
    }
  }

  let status = 200;
  let text;
  try {
    const out = routeV1({ state, ctx, method, path, query, body, livemode });
    status = out.status ?? 200;
    text = JSON.stringify(out.body);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    status = err.status;
    text = JSON.stringify({ error: err.error });
  }
  if (idemSlot && (status < 400 || status === 402)) {
    state.idempotency.set(idemSlot, { method, path, params, status, text, requestId });
  }
  send(status, text);
}

// ---------------------------------------------------------------------------------------------
// Checkout simulation (control API and the fake checkout page)
// ---------------------------------------------------------------------------------------------

const SESSION_EXPAND = ["payment_intent.latest_charge", "setup_intent"];

function completeSession(state, ctx, session, opts = {}) {
  if (!isObj(opts)) throw new ControlError(400, "body must be a JSON object");
  const paymentStatus = opts.payment_status ?? "paid";
  if (paymentStatus !== "paid" && paymentStatus !== "unpaid")
    throw new ControlError(400, `payment_status must be "paid" or "unpaid"`);
  if (opts.amount_total !== undefined && !(Number.isInteger(opts.amount_total) && opts.amount_total >= 0))
    throw new ControlError(400, "amount_total must be a non-negative integer");
  if (opts.currency !== undefined && (typeof opts.currency !== "string" || !opts.currency))
    throw new ControlError(400, "currency must be a non-empty string");
  if (session.status !== "open")
    throw new ControlError(409, `checkout session ${session.id} is ${session.status}, not open`);

  const { livemode } = session;
  let customer = session.customer ? state.customers.get(session.customer) : undefined;
  if (!customer) {
    customer = newCustomer(state, { email: session.customer_email }, livemode);
    session.customer = customer.id;
  }
  const email = session.customer_email ?? customer.email ?? null;
  session.customer_details = { email, name: customer.name ?? null };
  session.status = "complete";
  session.url = null;

  if (session.mode === "payment") {
    if (opts.amount_total !== undefined) session.amount_total = session.amount_subtotal = opts.amount_total;
    if (opts.currency !== undefined) session.currency = opts.currency.toLowerCase();
    const pid = session.payment_intent_data ?? {};
    const sfu = pid.setup_future_usage ?? null;
    const pm = newPaymentMethod(state, { customer: sfu ? customer.id : null, email }, livemode);
    const pi = newPaymentIntent(
      state,
      {
        amount: session.amount_total,
        currency: session.currency,
        customer: customer.id,
        description: pid.description ?? null,
        metadata: isObj(pid.metadata) ? clone(pid.metadata) : {},
        payment_method: pm.id,
        receipt_email: pid.receipt_email ?? null,
        setup_future_usage: sfu,
        status: "processing",
      },
      livemode,
    );
    if (paymentStatus === "paid") succeedPaymentIntent(state, ctx, pi);
    session.payment_intent = pi.id;
    session.payment_status = paymentStatus;
  } else {
    const pm = newPaymentMethod(state, { customer: customer.id, email }, livemode);
    const sid = state.sessionInputs.get(session.id)?.setup_intent_data ?? {};
    const si = {
      id: newId("seti_"),
      object: "setup_intent",
      created: nowS(),
      customer: customer.id,
      description: sid.description ?? null,
      last_setup_error: null,
      livemode,
      metadata: isObj(sid.metadata) ? clone(sid.metadata) : {},
      payment_method: pm.id,
      payment_method_types: ["card"],
      status: "succeeded",
      usage: "off_session",
    };
    state.setupIntents.set(si.id, si);
    session.setup_intent = si.id;
  }
  return session;
}

function asyncResult(state, ctx, session, body) {
  const outcome = body?.outcome;
  if (outcome !== "succeeded" && outcome !== "failed")
    throw new ControlError(400, `outcome must be "succeeded" or "failed"`);
  if (session.mode !== "payment" || session.status !== "complete" || session.payment_status !== "unpaid")
    throw new ControlError(409, `checkout session ${session.id} is not a completed unpaid payment session`);
  const pi = state.paymentIntents.get(session.payment_intent);
  if (!pi || pi.status !== "processing")
    throw new ControlError(409, `payment intent ${session.payment_intent} is ${pi?.status}, not processing`);
  if (outcome === "succeeded") {
    succeedPaymentIntent(state, ctx, pi);
    session.payment_status = "paid";
  } else {
    failPaymentIntent(state, pi, {
      type: "invalid_request_error",
      code: "payment_intent_payment_attempt_failed",
      message: "The latest payment attempt of this PaymentIntent has failed.",
    });
  }
  return session;
}

function refundCharge(state, charge, body) {
  const left = charge.amount - charge.amount_refunded;
  const amount = body?.amount ?? left;
  if (!Number.isInteger(amount) || amount <= 0) throw new ControlError(400, "amount must be a positive integer");
  if (amount > left)
    throw new ControlError(400, `amount ${amount} exceeds what is left to refund on ${charge.id} (${left})`);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  return charge;
}

function addEvent(state, body) {
  if (!isObj(body)) throw new ControlError(400, "body must be a JSON object");
  if (typeof body.type !== "string" || !body.type) throw new ControlError(400, "type is required");
  if (!isObj(body.data) || !isObj(body.data.object)) throw new ControlError(400, "data.object must be an object");
  if (body.created !== undefined && !Number.isInteger(body.created))
    throw new ControlError(400, "created must be an integer (unix seconds)");
  const id = body.id ?? newId("evt_");
  if (typeof id !== "string" || !id.startsWith("evt_")) throw new ControlError(400, "id must start with evt_");
  if (state.events.has(id)) throw new ControlError(409, `event ${id} already exists`);
  const event = {
    id,
    object: "event",
    api_version: typeof body.api_version === "string" ? body.api_version : API_VERSION,
    created: body.created ?? nowS(),
    data: clone(body.data),
    livemode: body.livemode === true,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    type: body.type,
  };
  const rec = { event, delivery_success: body.delivery_success === true, seq: ++state.seq };
  state.events.set(id, rec);
  return rec;
}

const eventWithFlag = (rec) => ({ ...clone(rec.event), delivery_success: rec.delivery_success });

function addFault(state, body) {
  if (!isObj(body)) throw new ControlError(400, "body must be a JSON object");
  if (typeof body.path !== "string" || !body.path.startsWith("/v1"))
    throw new ControlError(400, "path must be a string starting with /v1");
  if (!Number.isInteger(body.status) || body.status < 400 || body.status > 599)
    throw new ControlError(400, "status must be an integer in 400..599");
  const times = body.times ?? 1;
  if (!Number.isInteger(times) || times < 1) throw new ControlError(400, "times must be a positive integer");
  if (body.method !== undefined && typeof body.method !== "string")
    throw new ControlError(400, "method must be a string");
  if (body.error !== undefined && !isObj(body.error)) throw new ControlError(400, "error must be an object");
  const fault = {
    id: state.nextFaultId++,
    path: body.path,
    method: body.method ? body.method.toUpperCase() : null,
    status: body.status,
    remaining: times,
    error: body.error ?? {},
  };
  state.faults.push(fault);
  return fault;
}

function snapshot(state) {
  const list = (m) => [...m.values()].map(clone);
  return {
    customers: list(state.customers),
    checkout_sessions: list(state.checkoutSessions),
    payment_intents: list(state.paymentIntents),
    charges: list(state.charges),
    payment_methods: list(state.paymentMethods),
    setup_intents: list(state.setupIntents),
    events: [...state.events.values()].sort(eventOrder).map(eventWithFlag),
    declining_payment_methods: [...state.declining],
    faults: clone(state.faults),
  };
}

// ---------------------------------------------------------------------------------------------
// Control API
// ---------------------------------------------------------------------------------------------

function parseJsonBody(rawBody) {
  if (!rawBody.trim()) return {};
  try {
    return JSON.parse(rawBody);
  } catch {
    throw new ControlError(400, "body must be JSON");
  }
}

function handleControl(req, res, ctx, url, rawBody) {
  const { state } = ctx;
  const method = req.method;
  const path = url.pathname;
  const session = (id) => {
    const s = state.checkoutSessions.get(id);
    if (!s) throw new ControlError(404, `no such checkout session: ${id}`);
    return s;
  };
  const expanded = (s) => expandObject(state, s, SESSION_EXPAND);
  try {
    const body = method === "POST" ? parseJsonBody(rawBody) : {};
    let m;
    if (path === "/_test/requests" && method === "GET") return sendJson(res, 200, { requests: state.requests });
    if (path === "/_test/requests" && method === "DELETE") {
      state.requests = [];
      return sendJson(res, 200, { ok: true });
    }
    if (path === "/_test/reset" && method === "POST") {
      resetState(state);
      return sendJson(res, 200, { ok: true });
    }
    if (path === "/_test/state" && method === "GET") return sendJson(res, 200, snapshot(state));
    if (path === "/_test/faults" && method === "GET") return sendJson(res, 200, { faults: state.faults });
    if (path === "/_test/faults" && method === "DELETE") {
      state.faults = [];
      return sendJson(res, 200, { ok: true });
    }
    if (path === "/_test/faults" && method === "POST") return sendJson(res, 200, { fault: addFault(state, body) });
    if (path === "/_test/events" && method === "POST") return sendJson(res, 200, eventWithFlag(addEvent(state, body)));
    if (method === "POST" && (m = /^\/_test\/events\/([^/]+)\/delivered$/.exec(path))) {
      const rec = state.events.get(decodeComponent(m[1]));
      if (!rec) throw new ControlError(404, `no such event: ${m[1]}`);
      rec.delivery_success = true;
      return sendJson(res, 200, eventWithFlag(rec));
    }
    if (
      method === "POST" &&
      (m = /^\/_test\/checkout\/sessions\/([^/]+)\/(complete|async-result|expire)$/.exec(path))
    ) {
      const s = session(decodeComponent(m[1]));
      if (m[2] === "complete") return sendJson(res, 200, expanded(completeSession(state, ctx, s, body)));
      if (m[2] === "async-result") return sendJson(res, 200, expanded(asyncResult(state, ctx, s, body)));
      if (s.status !== "open") throw new ControlError(409, `checkout session ${s.id} is ${s.status}, not open`);
      expireSession(s);
      return sendJson(res, 200, clone(s));
    }
    if (method === "POST" && (m = /^\/_test\/charges\/([^/]+)\/refund$/.exec(path))) {
      const charge = state.charges.get(decodeComponent(m[1]));
      if (!charge) throw new ControlError(404, `no such charge: ${m[1]}`);
      return sendJson(res, 200, clone(refundCharge(state, charge, body)));
    }
    if (method === "POST" && (m = /^\/_test\/payment_methods\/([^/]+)\/decline$/.exec(path))) {
      const id = decodeComponent(m[1]);
      if (!state.paymentMethods.has(id)) throw new ControlError(404, `no such payment method: ${id}`);
      if (typeof body.decline !== "boolean") throw new ControlError(400, "decline must be a boolean");
      if (body.decline) state.declining.add(id);
      else state.declining.delete(id);
      return sendJson(res, 200, { id, decline: body.decline });
    }
    throw new ControlError(404, `unknown control route: ${method} ${path}`);
  } catch (err) {
    if (err instanceof ControlError) return sendJson(res, err.status, { error: { message: err.message } });
    if (err instanceof ApiError) return sendJson(res, err.status, { error: err.error });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Browser pages
// ---------------------------------------------------------------------------------------------

function checkoutPage(res, session) {
  const open = session.status === "open";
  const amount =
    session.mode === "payment"
      ? `<p>Amount: <strong data-testid="amount">${escapeHtml(formatAmount(session.amount_total, session.currency))}</strong></p>`
      : `<p>Save a card for later payments.</p>`;
  const actions = open
    ? `<form method="post" action="/checkout/${encodeURIComponent(session.id)}/pay"><button type="submit">${
        session.mode === "payment" ? "Pay" : "Save card"
      }</button></form>` + (session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Cancel</a></p>` : "")
    : `<p>This checkout session is ${escapeHtml(session.status)}.</p>`;
  sendHtml(
    res,
    200,
    "Fake Stripe Checkout",
    `<h1>Pay TokenFlow</h1>${amount}<p>Session: <code>${escapeHtml(session.id)}</code></p>` +
      `<p>Status: <span data-testid="status">${escapeHtml(session.status)}</span></p>${actions}`,
  );
}

function receiptPage(res, charge) {
  sendHtml(
    res,
    200,
    "Fake Stripe Receipt",
    `<h1>Receipt from TokenFlow</h1>` +
      `<p>Amount paid: <strong data-testid="amount">${escapeHtml(formatAmount(charge.amount, charge.currency))}</strong></p>` +
      (charge.amount_refunded
        ? `<p>Refunded: ${escapeHtml(formatAmount(charge.amount_refunded, charge.currency))}</p>`
        : "") +
      `<p>Charge: <code>${escapeHtml(charge.id)}</code></p>`,
  );
}

function handlePages(req, res, ctx, url) {
  const { state } = ctx;
  let m;
  if (req.method === "GET" && (m = /^\/checkout\/([^/]+)$/.exec(url.pathname))) {
    const s = state.checkoutSessions.get(decodeComponent(m[1]));
    if (!s) return sendHtml(res, 404, "Fake Stripe Checkout", "<h1>Checkout session not found</h1>");
    return checkoutPage(res, s);
  }
  if (req.method === "POST" && (m = /^\/checkout\/([^/]+)\/pay$/.exec(url.pathname))) {
    const s = state.checkoutSessions.get(decodeComponent(m[1]));
    if (!s) return sendHtml(res, 404, "Fake Stripe Checkout", "<h1>Checkout session not found</h1>");
    if (s.status !== "open") return checkoutPage(res, s);
    completeSession(state, ctx, s, {});
    const location = s.success_url.replaceAll("{CHECKOUT_SESSION_ID}", encodeURIComponent(s.id));
    res.writeHead(303, { location, "content-length": 0 });
    return res.end();
  }
  if (req.method === "GET" && (m = /^\/receipts\/([^/]+)$/.exec(url.pathname))) {
    const charge = state.charges.get(decodeComponent(m[1]));
    if (!charge) return sendHtml(res, 404, "Fake Stripe Receipt", "<h1>Receipt not found</h1>");
    return receiptPage(res, charge);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error("body too large"), { tooLarge: true }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function handle(req, res, ctx) {
  const url = new URL(req.url ?? "/", "http://fake-stripe.invalid");
  let rawBody;
  try {
    rawBody = await readBody(req);
  } catch (err) {
    if (err.tooLarge) sendJson(res, 413, { error: { type: "invalid_request_error", message: "Request too large" } });
    return;
  }
  if (url.pathname === "/v1" || url.pathname.startsWith("/v1/")) return handleV1(req, res, ctx, url, rawBody);
  if (url.pathname.startsWith("/_test/")) return handleControl(req, res, ctx, url, rawBody);
  if (handlePages(req, res, ctx, url) !== false) return;
  sendJson(res, 404, { error: { type: "invalid_request_error", message: `Not found: ${req.method} ${url.pathname}` } });
}

/**
 * Starts the fake on host:port (port 0 = random). Resolves to { url, port, close, state }; `url` is the origin
 * (http://127.0.0.1:PORT) that objects use for checkout and receipt links.
 */
export function startFakeStripe({ port = 0, host = "127.0.0.1" } = {}) {
  const ctx = { state: createState(), origin: "" };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    handle(req, res, ctx).catch((err) => {
      console.error(`[fake-stripe] ${req.method} ${req.url}: ${err?.stack ?? err}`);
      sendJson(res, 500, { error: { type: "api_error", message: `fake stripe crashed: ${err?.message ?? err}` } });
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const actualPort = server.address().port;
      const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
      const url = `http://${urlHost}:${actualPort}`;
      ctx.origin = url;
      let closing;
      const close = () =>
        (closing ??= new Promise((done) => {
          server.close(() => done());
          server.closeAllConnections();
          for (const s of sockets) s.destroy();
        }));
      resolve({ url, port: actualPort, close, state: ctx.state });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// CLI entry point
// ---------------------------------------------------------------------------------------------

function isMainModule() {
  try {
    return Boolean(process.argv[1]) && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}
if (isMainModule()) {
  const port = Number(process.env.FAKE_STRIPE_PORT || 0);
  const host = process.env.FAKE_STRIPE_HOST || "127.0.0.1";
  try {
    const srv = await startFakeStripe({ port, host });
    process.stdout.write(`FAKE_STRIPE_LISTENING ${srv.port}\n`);
    const shutdown = () => srv.close().then(() => process.exit(0));
    process.on("SIGTERM", shutdown);
    process.on("SIGINT", shutdown);
    // When spawned by client.ts, exit if the parent dies (its end of our stdin closes).
    if (process.env.FAKE_STRIPE_EXIT_WITH_PARENT === "1") {
      process.stdin.on("end", shutdown);
      process.stdin.on("error", shutdown);
      process.stdin.resume();
    }
  } catch (err) {
    console.error(`[fake-stripe] failed to listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }
}
