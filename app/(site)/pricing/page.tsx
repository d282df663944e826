import { AUTO_VARIANT_DESCRIPTIONS } from "@/lib/gateway/auto/router";
import { listPublicModels } from "@/lib/models/public-models";

export const dynamic = "force-dynamic";
export const metadata = {
  title: "Pricing",
  description: "Prices per million input and output tokens for every model on TokenFlow.",
};

export default async function PricingPage() {
  const models = await listPublicModels();
  return (
    <main className="mx-auto max-w-5xl px-4 py-12 sm:px-6">
      <h1 className="text-3xl font-semibold tracking-tight">Pricing</h1>
      <p className="mt-2 text-slate-600">
        Pay only for the tokens you use, from a prepaid balance. Prices in USD per 1 million tokens.
      </p>
      <section className="mt-8 rounded-lg border border-indigo-100 bg-indigo-50/50 p-5" aria-labelledby="auto-heading">
        <h2 id="auto-heading" className="text-lg font-semibold text-slate-900">
          Automatic routing
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Send <code className="font-mono">model: &quot;auto&quot;</code> and TokenFlow picks a model for each request,
          locally and instantly: only models that support what the request needs (tools, images, JSON, its length), good
          enough for how hard it looks, healthy right now. You pay the chosen model&apos;s price below; the{" "}
          <code className="font-mono">x-tokenflow-route</code> header says which model and why, and a conversation stays
          on the model of its first turn.
        </p>
        <dl className="mt-4 grid gap-3 sm:grid-cols-2" data-testid="auto-variants">
          {Object.entries(AUTO_VARIANT_DESCRIPTIONS).map(([id, description]) => (
            <div key={id} className="rounded-md bg-white p-3 shadow-sm ring-1 ring-slate-200" data-variant={id}>
              <dt className="font-mono text-sm font-medium text-slate-900">
                {id}
                {id === "auto" && <span className="ml-2 text-xs font-normal text-slate-500">(= auto:balanced)</span>}
              </dt>
              <dd className="mt-1 text-sm text-slate-600">{description}</dd>
            </div>
          ))}
        </dl>
      </section>
      <div className="mt-8 overflow-x-auto rounded-lg border border-slate-200">
        <table className="w-full text-left text-sm" data-testid="price-table">
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th className="px-4 py-3 font-medium">Model</th>
              <th className="px-4 py-3 font-medium">Provider</th>
              <th className="px-4 py-3 text-right font-medium">Input / 1M</th>
              <th className="px-4 py-3 text-right font-medium">Output / 1M</th>
              <th className="px-4 py-3 text-right font-medium">Context</th>
              <th className="px-4 py-3 text-right font-medium">
                <abbr title="Quality tier used by auto routing: 1 basic … 5 frontier">Tier</abbr>
              </th>
              <th className="px-4 py-3 font-medium">Capabilities</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.id} className="border-t border-slate-100" data-model={m.id}>
                <td className="px-4 py-3">
                  <div className="font-mono text-slate-900">{m.id}</div>
                  <div className="text-xs text-slate-500">{m.displayName}</div>
                </td>
                <td className="px-4 py-3">{m.provider}</td>
                <td className="px-4 py-3 text-right tabular-nums" data-col="input">
                  ${m.inputPriceUsd}
                </td>
                <td className="px-4 py-3 text-right tabular-nums" data-col="output">
                  ${m.outputPriceUsd}
                </td>
                <td className="px-4 py-3 text-right tabular-nums">{formatTokens(m.contextWindow)}</td>
                <td className="px-4 py-3 text-right tabular-nums" data-col="tier">
                  {m.kind === "CHAT" ? m.qualityTier : "—"}
                </td>
                <td className="px-4 py-3 text-slate-600">{m.capabilities.join(", ") || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </main>
  );
}

function formatTokens(tokens: number): string {
  return tokens >= 1000 ? `${Math.round(tokens / 1000)}K` : String(tokens);
}
