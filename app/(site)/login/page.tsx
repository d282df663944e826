import Link from "next/link";
import { Suspense } from "react";
import { OAuthButtons } from "@/components/accounts/oauth-buttons";
import { LoginForm } from "@/components/login-form";
import { Notice } from "@/components/ui/card";
import { OAUTH_REFUSAL_MESSAGES, type OAuthRefusal } from "@/lib/accounts/oauth-sign-in";
import { configuredOAuthProviders } from "@/lib/auth/oauth-providers";
import { safeRedirectPath } from "@/lib/auth/safe-redirect";

export const metadata = { title: "Sign in", description: "Sign in to your TokenFlow dashboard." };

// What next-auth (and our OAuth sign-in rules) put in ?error= after a failed provider sign-in.
function errorMessage(code: string | undefined): string | null {
  if (!code) return null;
  if (code in OAUTH_REFUSAL_MESSAGES) return OAUTH_REFUSAL_MESSAGES[code as OAuthRefusal];
  if (code === "CredentialsSignin") return "Wrong email or password.";
  return "Signing in did not work. Try again, or use your email and password.";
}

const NOTES: Record<string, string> = {
  "password-reset": "Your password was changed. Sign in with the new one.",
  "password-reset-keys-revoked":
    "Your password was changed. The API keys this account made before its address was confirmed were revoked, since anyone could have made them: create new ones after you sign in.",
  "email-verified": "Your email address is confirmed. Sign in to start.",
};

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string; error?: string; note?: string }>;
}) {
  const params = await searchParams;
  const callbackUrl = safeRedirectPath(params.callbackUrl, "/dashboard");
  // Carried over to the other page only when it is a path on this site.
  const isCallbackSafe = safeRedirectPath(params.callbackUrl, "") !== "";
  const error = errorMessage(typeof params.error === "string" ? params.error : undefined);
  const note = typeof params.note === "string" ? NOTES[params.note] : undefined;
  const signupHref = `/signup${isCallbackSafe ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : ""}`;
  return (
    <main className="mx-auto max-w-sm px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in to TokenFlow</h1>
      {(error || note) && (
        <div className="mt-6">
          {error ? <Notice tone="error">{error}</Notice> : <Notice tone="success">{note}</Notice>}
        </div>
      )}
      <OAuthButtons providers={configuredOAuthProviders()} callbackUrl={callbackUrl} />
      <Suspense>
        <LoginForm />
      </Suspense>
      <div className="mt-6 grid gap-2 text-center text-sm text-slate-600">
        <Link href="/forgot-password" className="font-medium text-indigo-600 hover:text-indigo-500">
          Forgot password?
        </Link>
        <p>
          New to TokenFlow?{" "}
          <Link href={signupHref} className="font-medium text-indigo-600 hover:text-indigo-500">
            Create account
          </Link>
        </p>
      </div>
    </main>
  );
}
