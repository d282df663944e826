import type { ReactNode } from "react";
import { SiteHeader } from "@/components/site-header";

// The public site: landing, pricing, sign-in and sign-up pages.
export default function SiteLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <SiteHeader />
      {children}
      <footer className="mt-24 border-t border-slate-200 py-8 text-center text-sm text-slate-500">
        TokenFlow · OpenAI-compatible LLM gateway
      </footer>
    </>
  );
}
