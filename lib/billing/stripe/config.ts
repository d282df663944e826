import Stripe from "stripe";

// Stripe, configured from the environment:
//   STRIPE_SECRET_KEY      sk_test_… / sk_live_… (or a restricted rk_…); unset = top-up not offered
//   STRIPE_WEBHOOK_SECRET  whsec_… of the endpoint /api/stripe/webhook; required with the key
//   STRIPE_API_BASE_URL    another Stripe API (a fake in tests, stripe-mock): http(s)://host:port
// The key's mode (live or test) is what every event and session must carry: a test-mode event
// reaching a live deployment (or the reverse) credits nothing.

export const TOP_UP_CURRENCY = "usd";

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  livemode: boolean;
  apiBaseUrl: URL | null;
}

/** The settings, or null when top-up is not configured (STRIPE_SECRET_KEY unset). */
export function stripeSettings(env: NodeJS.ProcessEnv = process.env): StripeSettings | null {
  const secretKey = env.STRIPE_SECRET_KEY?.trim();
  if (!secretKey) return null;
  return {
    secretKey,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET?.trim() ?? "",
    livemode: /^(sk|rk)_live_/.test(secretKey),
    apiBaseUrl: env.STRIPE_API_BASE_URL ? new URL(env.STRIPE_API_BASE_URL) : null,
  };
}

export function isTopUpConfigured(): boolean {
  return stripeSettings() !== null;
}

/** Start-up problems: a key without a webhook secret would take money it could never credit. */
export function stripeConfigProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  if (!env.STRIPE_SECRET_KEY?.trim()) return problems;
  if (!env.STRIPE_WEBHOOK_SECRET?.trim()) {
    problems.push(
      "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: payments could be taken and never credited " +
        "(set the endpoint's signing secret, whsec_…; see .env.example)",
    );
  }
  if (env.STRIPE_API_BASE_URL) {
    try {
      const url = new URL(env.STRIPE_API_BASE_URL);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
    } catch {
      problems.push("STRIPE_API_BASE_URL is not an http(s) URL");
    }
  }
  return problems;
}

const globalForStripe = globalThis as unknown as { tokenflowStripe?: { key: string; client: Stripe } };

/** The SDK client; throws when Stripe is not configured (callers check isTopUpConfigured first). */
export function stripeClient(): Stripe {
  const settings = stripeSettings();
  if (!settings) throw new Error("Stripe is not configured (STRIPE_SECRET_KEY is unset)");
  const cached = globalForStripe.tokenflowStripe;
  if (cached && cached.key === settings.secretKey) return cached.client;
  const base = settings.apiBaseUrl;
  const client = new Stripe(settings.secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: "TokenFlow" },
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === "https:" ? 443 : 80)),
          protocol: base.protocol === "https:" ? "https" : "http",
        }
      : {}),
  });
  globalForStripe.tokenflowStripe = { key: settings.secretKey, client };
  return client;
}
