import type { Metadata } from "next";
import Link from "next/link";
import { headers } from "next/headers";
import { QuickStart } from "@/components/quick-start";
import { publicBaseUrl } from "@/lib/http/public-url";

export const dynamic = "force-dynamic";

// The site's default title (the root layout's), with the description search results and link
// previews show for the home page.
export const metadata: Metadata = {
  description:
    "TokenFlow is an OpenAI-compatible LLM gateway: one API key and one prepaid balance for DeepSeek, Kimi, GLM, Qwen, GPT-4o and Claude.",
};

const FEATURES = [
  [
    "One API, every model",
    "DeepSeek, Kimi, GLM, Qwen, GPT-4o and Claude behind the OpenAI API you already use. Streaming included.",
  ],
  ["Keep your SDK", "Change the base URL and the key. Errors, streams and tool calls behave exactly like OpenAI's."],
  ["Pay per token", "One prepaid balance, priced per model per million tokens, with a receipt for every request."],
  [
    "Never down with one provider",
    "Requests fail over between channels before the first byte, with circuit breakers per upstream.",
  ],
];

export default async function HomePage() {
  const baseUrl = publicBaseUrl(await headers());
  return (
    <main className="mx-auto max-w-5xl px-6">
      <section className="py-20">
        <h1 className="max-w-3xl text-5xl font-semibold tracking-tight">
          One OpenAI-compatible API for every major LLM.
        </h1>
        <p className="mt-6 max-w-2xl text-lg text-slate-600">
          TokenFlow is an LLM gateway: point the official OpenAI SDK at TokenFlow, keep your code, and reach DeepSeek,
          Moonshot Kimi, Zhipu GLM, Alibaba Qwen, GPT-4o and Claude with one key and one balance.
        </p>
        <div className="mt-8 flex gap-4">
          <Link
            href="/#quick-start"
            className="rounded-md bg-indigo-600 px-5 py-2.5 font-medium text-white hover:bg-indigo-500"
          >
            Get started
          </Link>
          <Link
            href="/pricing"
            className="rounded-md border border-slate-300 px-5 py-2.5 font-medium hover:bg-slate-50"
          >
            See pricing
          </Link>
        </div>
      </section>
      <section className="grid gap-6 sm:grid-cols-2">
        {FEATURES.map(([title, text]) => (
          <div key={title} className="rounded-lg border border-slate-200 p-6">
            <h2 className="font-semibold">{title}</h2>
            <p className="mt-2 text-sm text-slate-600">{text}</p>
          </div>
        ))}
      </section>
      <section id="quick-start" className="py-16">
        <h2 className="text-2xl font-semibold tracking-tight">Quick start</h2>
        <p className="mt-2 text-slate-600">
          Base URL:{" "}
          <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-sm" data-testid="base-url">
            {baseUrl}/v1
          </code>
        </p>
        <div className="mt-6">
          <QuickStart baseUrl={baseUrl} model="deepseek-v3" />
        </div>
      </section>
    </main>
  );
}
