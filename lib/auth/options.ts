import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { safeRedirectPath } from "./safe-redirect";
import { authorizeCredentials } from "./sign-in";

// next-auth: email + password, JWT sessions (no session table round trip per request). The token
// carries the user id; anything that grants power (role, disabled) is re-read from the database by
// the code that needs it, so a demoted or disabled admin loses access at once.

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
  ],
  callbacks: {
    // Every callbackUrl next-auth follows (sign-in, sign-out, its cookie) stays on this site.
    redirect({ url, baseUrl }) {
      return `${baseUrl}${safeRedirectPath(url, "/", baseUrl)}`;
    },
    jwt({ token, user }) {
      if (user) token.sub = user.id;
      return token;
    },
    session({ session, token }) {
      if (session.user) (session.user as { id?: string }).id = token.sub;
      return session;
    },
  },
};
