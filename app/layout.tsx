import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "TokenFlow — one API for every LLM",
  description: "OpenAI-compatible gateway to DeepSeek, Kimi, GLM, Qwen, GPT-4o and Claude, with one prepaid balance.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request: Next stamps proxy.ts's CSP nonce on its scripts only while
  // rendering, and a page prerendered at build time would carry none (its scripts would be blocked).
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">{children}</body>
    </html>
  );
}
