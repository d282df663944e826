"use client";

import { signOut } from "next-auth/react";

/** Signs out (next-auth clears the session cookie) and lands on the home page. */
export function SignOutButton({ className = "" }: { className?: string }) {
  return (
    <button type="button" className={className} onClick={() => signOut({ callbackUrl: "/" })}>
      Sign out
    </button>
  );
}
