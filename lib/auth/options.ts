import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { findUserForOAuthAccount, resolveOAuthSignIn } from "@/lib/accounts/oauth-sign-in";
import { oauthProviders } from "./oauth-providers";
import { safeRedirectPath } from "./safe-redirect";
import { isSessionCurrent, passwordVersion } from "./session-version";
import { authorizeCredentials, type SignedInUser } from "./sign-in";

// next-auth: email + password, JWT sessions (no session table round trip per request). The token
// carries the user id; anything that grants power (role, disabled) is re-read from the database by
// the code that needs it, so a demoted or disabled admin loses access at once. A session also
// ends when the password it was opened with changes (session-version.ts). GitHub and Google are
// offered when configured (oauth-providers.ts).

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      // Same answer and timing for unknown email and wrong password; throttled per address (sign-in.ts).
      authorize: (credentials, req) => authorizeCredentials(credentials, req.headers ?? {}),
    }),
    ...oauthProviders(),
  ],
  callbacks: {
    // Every callbackUrl next-auth follows (sign-in, sign-out, its cookie) stays on this site.
    redirect({ url, baseUrl }) {
      return `${baseUrl}${safeRedirectPath(url, "/", baseUrl)}`;
    },
    async signIn({ account, profile }) {
      if (!account || account.provider === "credentials") return true;
      const result = await resolveOAuthSignIn({
        provider: account.provider,
        providerAccountId: account.providerAccountId,
        email: profile?.email,
        isEmailVerified: (profile as { email_verified?: unknown } | undefined)?.email_verified === true,
        name: profile?.name,
      });
      return result.ok ? true : `/login?error=${result.refusal}`;
    },
    async jwt({ token, user, account }) {
      if (account && account.provider !== "credentials") {
        // The provider's user id is not ours: the signIn callback linked the account to our user.
        const linked = await findUserForOAuthAccount(account.provider, account.providerAccountId);
        if (!linked) return {};
        return { ...token, sub: linked.id, pv: passwordVersion(linked.passwordHash) };
      }
      if (user) return { ...token, sub: user.id, pv: (user as SignedInUser).passwordVersion };
      // Every later read of the session: an empty token is a signed-out session.
      if (token.sub && !(await isSessionCurrent(token.sub, token.pv))) return {};
      return token;
    },
    session({ session, token }) {
      if (session.user) (session.user as { id?: string }).id = token.sub;
      return session;
    },
  },
};
