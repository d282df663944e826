import Link from "next/link";
import { verifyEmailAction } from "./actions";
import { buttonClass } from "@/components/ui/button";
import { Notice } from "@/components/ui/card";

export const metadata = {
  title: "Confirm your email",
  description: "Confirm the email address of your TokenFlow account.",
  referrer: "no-referrer",
};

// Opening the link shows a button rather than verifying at once: mail scanners that fetch every
// link in a message must not confirm an address on their own.
export default async function VerifyEmailPage({
  searchParams,
}: {
  searchParams: Promise<{ token?: string; expired?: string }>;
}) {
  const { token, expired } = await searchParams;
  return (
    <main className="mx-auto max-w-sm px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Confirm your email address</h1>
      {typeof token === "string" && token && !expired ? (
        <form action={verifyEmailAction} className="mt-8 grid gap-4">
          <input type="hidden" name="token" value={token} />
          <p className="text-sm text-slate-600">One click and your account is ready.</p>
          <button type="submit" className={buttonClass("primary", "w-full")}>
            Confirm email address
          </button>
        </form>
      ) : (
        <div className="mt-8 grid gap-4">
          <Notice tone="error">
            This link has expired or was already used. If your address is not confirmed yet, reset your password: that
            confirms it too.
          </Notice>
          <Link href="/forgot-password" className={buttonClass("primary", "w-full")}>
            Reset password
          </Link>
        </div>
      )}
    </main>
  );
}
