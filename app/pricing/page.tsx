import { listPublicModels } from "@/lib/models/public-models";

export const dynamic = "force-dynamic";
export const metadata = { title: "Pricing — TokenFlow" };

export default async function PricingPage() {
  const models = await listPublicModels();
  return (
    <main className="mx-auto max-w-5xl px-6 py-12">
      <h1 className="text-3xl font-semibold tracking-tight">Pricing</h1>
      <p className="mt-2 text-slate-600">
        Pay only for the tokens you use, from a prepaid balance. Prices in USD per 1 million tokens.
      </p>
      <div className="mt-8 overflow-x-auto rounded-lg border border-slate-200">
        <table className="w-full text-left text-sm" data-testid="price-table">
          <thead className="bg-slate-50 text-slate-600">
            <tr>
              <th className="px-4 py-3 font-medium">Model</th>
              <th className="px-4 py-3 font-medium">Provider</th>
              <th className="px-4 py-3 text-right font-medium">Input / 1M</th>
              <th className="px-4 py-3 text-right font-medium">Output / 1M</th>
              <th className="px-4 py-3 text-right font-medium">Context</th>
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
                  ${m.inputUsdPer1M}
                </td>
                <td className="px-4 py-3 text-right tabular-nums" data-col="output">
                  ${m.outputUsdPer1M}
                </td>
                <td className="px-4 py-3 text-right tabular-nums">{formatTokens(m.contextWindow)}</td>
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
