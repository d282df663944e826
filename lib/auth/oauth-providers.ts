import type { Provider } from "next-auth/providers/index";
import GitHubProvider from "next-auth/providers/github";
import GoogleProvider from "next-auth/providers/google";

// Optional OAuth sign-in, each provider switched on by its pair of env variables. A first OAuth
// sign-in creates the account (lib/accounts/oauth-sign-in.ts), and joins an existing account with
// the same email only when the provider vouches that the address is verified.

type Env = Record<string, string | undefined>;

export interface OAuthProviderInfo {
  id: "github" | "google";
  name: string;
}

/** Which OAuth providers are configured (for the buttons on /login and /signup). */
export function configuredOAuthProviders(env: Env = process.env): OAuthProviderInfo[] {
  const list: OAuthProviderInfo[] = [];
  if (env.GITHUB_ID && env.GITHUB_SECRET) list.push({ id: "github", name: "GitHub" });
  if (env.GOOGLE_ID && env.GOOGLE_SECRET) list.push({ id: "google", name: "Google" });
  return list;
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

export function oauthProviders(env: Env = process.env): Provider[] {
  const providers: Provider[] = [];
  for (const { id } of configuredOAuthProviders(env)) {
    if (id === "github") {
      const github = GitHubProvider({ clientId: env.GITHUB_ID!, clientSecret: env.GITHUB_SECRET! });
      providers.push({
        ...github,
        // GitHub's /user shows only a public email, and says nothing about verification: take the
        // primary address from /user/emails and only when GitHub marks it verified.
        userinfo: {
          url: "https://api.github.com/user",
          async request({ client, tokens }) {
            const profile = await client.userinfo(tokens.access_token!);
            const res = await fetch("https://api.github.com/user/emails", {
              headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: "application/vnd.github+json" },
            });
            const emails: GitHubEmail[] = res.ok ? await res.json() : [];
            const primary = emails.find((e) => e.primary && e.verified);
            return { ...profile, email: primary?.email ?? null, email_verified: Boolean(primary) };
          },
        },
      } as Provider);
    } else {
      // Google's profile carries email_verified.
      providers.push(GoogleProvider({ clientId: env.GOOGLE_ID!, clientSecret: env.GOOGLE_SECRET! }));
    }
  }
  return providers;
}
