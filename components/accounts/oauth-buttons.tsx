"use client";

import { signIn } from "next-auth/react";
import { buttonClass } from "@/components/ui/button";
import type { OAuthProviderInfo } from "@/lib/auth/oauth-providers";

/** "Continue with GitHub/Google", only for providers the server has configured. */
export function OAuthButtons({ providers, callbackUrl }: { providers: OAuthProviderInfo[]; callbackUrl: string }) {
  if (providers.length === 0) return null;
  return (
    <div className="mt-6 grid gap-3">
      {providers.map((provider) => (
        <button
          key={provider.id}
          type="button"
          className={buttonClass("secondary", "w-full")}
          onClick={() => signIn(provider.id, { callbackUrl })}
        >
          Continue with {provider.name}
        </button>
      ))}
      <p className="flex items-center gap-3 text-xs text-slate-500 before:h-px before:flex-1 before:bg-slate-200 after:h-px after:flex-1 after:bg-slate-200">
        or with email
      </p>
    </div>
  );
}
