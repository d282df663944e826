import Link from "next/link";
import { ResetPasswordForm } from "@/components/accounts/reset-password-form";
import { buttonClass } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";
import { isPasswordResetLinkLive } from "@/lib/accounts/password-reset";

// The link's secret is in the URL: no Referer may carry it to another site.
export const metadata = {
  title: "Choose a new password",
  description: "Choose a new password for your TokenFlow account.",
  referrer: "no-referrer",
};

export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<{ token?: string }> }) {
  const { token } = await searchParams;
  const isLive = typeof token === "string" && (await isPasswordResetLinkLive(token));
  return (
    <main className="mx-auto max-w-sm px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Choose a new password</h1>
      {isLive ? (
        <>
          <p className="mt-2 text-sm text-slate-600">
            After this, you are signed out everywhere else and sign in with the new password.
          </p>
          <ResetPasswordForm token={token} />
        </>
      ) : (
        <div className="mt-8 grid gap-4">
          <Notice tone="error">This link has expired or was already used. Reset links work once, for one hour.</Notice>
          <Link href="/forgot-password" className={buttonClass("primary", "w-full")}>
            Send a new link
          </Link>
        </div>
      )}
    </main>
  );
}
