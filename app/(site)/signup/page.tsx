import Link from "next/link";
import { redirect } from "next/navigation";
import { OAuthButtons } from "@/components/accounts/oauth-buttons";
import { SignUpForm } from "@/components/accounts/signup-form";
import { Notice } from "@/components/ui/card";
import { formatUsd } from "@/lib/format";
import { configuredOAuthProviders } from "@/lib/auth/oauth-providers";
import { safeRedirectPath } from "@/lib/auth/safe-redirect";
import { getSessionUser } from "@/lib/auth/session";
import { getPlatformSettings } from "@/lib/settings/platform";

export const metadata = {
  title: "Create account",
  description: "Create a TokenFlow account: one API key for DeepSeek, Kimi, GLM, Qwen, GPT-4o and Claude.",
};

// Invitation emails link here as /signup?callbackUrl=/invite/<token>&email=<invitee>.
export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string; email?: string }>;
}) {
  const params = await searchParams;
  const callbackUrl = safeRedirectPath(params.callbackUrl, "/dashboard");
  // Carried over to the other page only when it is a path on this site.
  const isCallbackSafe = safeRedirectPath(params.callbackUrl, "") !== "";
  if (await getSessionUser()) redirect(callbackUrl);
  const settings = await getPlatformSettings();
  const loginHref = `/login${isCallbackSafe ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : ""}`;
  const defaultEmail = typeof params.email === "string" ? params.email.slice(0, 320) : "";
  return (
    <main className="mx-auto max-w-sm px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Create your TokenFlow account</h1>
      {settings.signupOpen ? (
        <>
          <p className="mt-2 text-sm text-slate-600">
            One key for DeepSeek, Kimi, GLM, Qwen, GPT-4o and Claude, and one prepaid balance
            {settings.signupCreditNanos > 0n
              ? `, with ${formatUsd(settings.signupCreditNanos)} of credit to start`
              : ""}
            .
          </p>
          <OAuthButtons providers={configuredOAuthProviders()} callbackUrl={callbackUrl} />
          <SignUpForm callbackUrl={callbackUrl} defaultEmail={defaultEmail} />
        </>
      ) : (
        <div className="mt-8">
          <Notice tone="info">
            Sign-up is closed on this TokenFlow. If someone invited you, ask them to send the invitation again, or ask
            an administrator for an account.
          </Notice>
        </div>
      )}
      <p className="mt-6 text-center text-sm text-slate-600">
        Already have an account?{" "}
        <Link href={loginHref} className="font-medium text-indigo-600 hover:text-indigo-500">
          Sign in
        </Link>
      </p>
    </main>
  );
}
