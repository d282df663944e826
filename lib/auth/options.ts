import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { getPool } from "@/lib/db/pool";
import { getRateLimiter } from "@/lib/ratelimit";
import { verifyPassword } from "./password";

// next-auth: email + password, JWT sessions (no session table round trip per request). The token
// carries the user id; anything that grants power (role, disabled) is re-read from the database by
// the code that needs it, so a demoted or disabled admin loses access at once.

const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  password: z.string().min(1).max(1024),
});

// The same answer for an unknown email and a wrong password; attempts limited per email.
async function authorize(raw: unknown) {
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) return null;
  const { email, password } = parsed.data;
  const attempts = await getRateLimiter().consume([{ key: `login:${email}`, limit: 10, windowMs: 60_000, cost: 1 }]);
  if (!attempts.allowed) throw new Error("Too many sign-in attempts; try again in a minute.");
  const { rows } = await getPool().query<{
    id: string;
    email: string;
    name: string | null;
    passwordHash: string | null;
  }>(`SELECT id, email, name, "passwordHash" FROM "User" WHERE lower(email) = $1 AND "disabledAt" IS NULL`, [email]);
  const user = rows[0];
  if (!user?.passwordHash || !(await verifyPassword(password, user.passwordHash))) return null;
  return { id: user.id, email: user.email, name: user.name };
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      authorize,
    }),
  ],
  callbacks: {
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
