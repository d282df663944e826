"use client";

import Link from "next/link";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useActionState, useEffect, useRef, useState } from "react";
import { signUpAction, type SignUpState } from "@/app/(site)/signup/actions";
import { Notice } from "@/components/ui/card";
import { TextField } from "@/components/ui/field";
import { buttonClass } from "@/components/ui/button";

const INITIAL: SignUpState = { status: "idle" };

/**
 * Creates the account with a server action, then signs straight in with the same credentials
 * (next-auth's client), and goes to `callbackUrl` (already checked to be a path on this site).
 */
export function SignUpForm({ callbackUrl, defaultEmail }: { callbackUrl: string; defaultEmail: string }) {
  const router = useRouter();
  const [state, action, isPending] = useActionState(signUpAction, INITIAL);
  const credentials = useRef<{ email: string; password: string } | null>(null);
  const [signInError, setSignInError] = useState<string | null>(null);
  const [isSigningIn, setIsSigningIn] = useState(false);

  useEffect(() => {
    if (state.status !== "done" || state.needsEmailVerification || !credentials.current) return;
    const { email, password } = credentials.current;
    credentials.current = null;
    setIsSigningIn(true);
    signIn("credentials", { email, password, redirect: false }).then((result) => {
      if (!result || result.error) {
        setIsSigningIn(false);
        setSignInError("Your account is ready, but signing in failed. Sign in with your new password.");
        return;
      }
      router.push(callbackUrl);
      router.refresh();
    });
  }, [state, callbackUrl, router]);

  if (state.status === "done" && state.needsEmailVerification) {
    return (
      <div className="mt-8" aria-live="polite">
        <Notice tone="success">
          <p className="font-medium">Check your inbox</p>
          <p className="mt-1">
            We sent a link to <strong>{state.values?.email}</strong>. Open it to confirm your address, then sign in.
          </p>
        </Notice>
      </div>
    );
  }

  const errors = state.fieldErrors ?? {};
  const busy = isPending || isSigningIn;
  return (
    <form
      action={action}
      onSubmit={(event) => {
        const form = new FormData(event.currentTarget);
        credentials.current = {
          email: String(form.get("email") ?? "").trim(),
          password: String(form.get("password") ?? ""),
        };
        setSignInError(null);
      }}
      className="mt-8 grid gap-4"
      noValidate
    >
      <TextField
        id="email"
        label="Email"
        type="email"
        autoComplete="email"
        required
        maxLength={320}
        defaultValue={state.values?.email ?? defaultEmail}
        error={errors.email}
      />
      <TextField
        id="name"
        label="Name (optional)"
        autoComplete="name"
        maxLength={100}
        defaultValue={state.values?.name ?? ""}
        hint="Shown to people in your organizations."
        error={errors.name}
      />
      <TextField
        id="password"
        label="Password"
        type="password"
        autoComplete="new-password"
        required
        maxLength={200}
        hint="At least 8 characters, and not a common password."
        error={errors.password}
      />
      <TextField
        id="confirmPassword"
        label="Confirm password"
        type="password"
        autoComplete="new-password"
        required
        maxLength={200}
        error={errors.confirmPassword}
      />
      <div aria-live="polite" className="empty:hidden">
        {state.status === "error" && state.message && <Notice tone="error">{state.message}</Notice>}
        {signInError && (
          <Notice tone="error">
            {signInError}{" "}
            <Link href="/login" className="font-medium underline">
              Sign in
            </Link>
          </Notice>
        )}
      </div>
      <button type="submit" disabled={busy} className={buttonClass("primary", "w-full")}>
        {isSigningIn ? "Signing in…" : isPending ? "Creating account…" : "Create account"}
      </button>
    </form>
  );
}
