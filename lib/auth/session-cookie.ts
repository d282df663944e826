import { cookies } from "next/headers";
import { encode } from "next-auth/jwt";
import { authOptions } from "./options";
import { passwordVersion } from "./session-version";

// After the user changes their own password, every session opened with the old one ends
// (session-version.ts), this one included: re-issue this browser's session cookie with the new
// password version, the way next-auth writes it (same name, encryption and lifetime).

export async function reissueSessionCookie(
  user: { id: string; email: string; name: string | null },
  passwordHash: string,
) {
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret) throw new Error("NEXTAUTH_SECRET is not set");
  const maxAge = authOptions.session?.maxAge ?? 30 * 24 * 3600;
  const isSecure = (process.env.NEXTAUTH_URL ?? "").startsWith("https:");
  const token = await encode({
    token: { sub: user.id, email: user.email, name: user.name, pv: passwordVersion(passwordHash) },
    secret,
    maxAge,
  });
  (await cookies()).set(`${isSecure ? "__Secure-" : ""}next-auth.session-token`, token, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: isSecure,
    maxAge,
  });
}
