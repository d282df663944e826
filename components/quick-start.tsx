import { CopyButton } from "@/components/ui/copy-button";

// Quick-start snippets for the three ways people call us, filled with this server's base URL.
export function QuickStart({
  baseUrl,
  model,
  copyable = false,
}: {
  baseUrl: string;
  model: string;
  copyable?: boolean;
}) {
  const v1 = `${baseUrl}/v1`;
  const snippets = [
    {
      id: "python",
      title: "Python",
      code: `from openai import OpenAI

client = OpenAI(base_url="${v1}", api_key="tf-...")
reply = client.chat.completions.create(
    model="${model}",
    messages=[{"role": "user", "content": "Hello!"}],
)
print(reply.choices[0].message.content)`,
    },
    {
      id: "node",
      title: "Node.js",
      code: `import OpenAI from "openai";

const client = new OpenAI({ baseURL: "${v1}", apiKey: "tf-..." });
const reply = await client.chat.completions.create({
  model: "${model}",
  messages: [{ role: "user", content: "Hello!" }],
});
console.log(reply.choices[0].message.content);`,
    },
    {
      id: "curl",
      title: "curl",
      code: `curl ${v1}/chat/completions \\
  -H "Authorization: Bearer tf-..." \\
  -H "Content-Type: application/json" \\
  -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello!"}]}'`,
    },
  ];
  return (
    <div className="grid gap-4">
      {snippets.map((s) => (
        <section
          key={s.id}
          data-testid={`snippet-${s.id}`}
          className="overflow-hidden rounded-lg border border-slate-200"
        >
          <div className="flex items-center justify-between gap-3 border-b border-slate-200 bg-slate-50 px-4 py-2">
            <h3 className="text-sm font-medium text-slate-700">{s.title}</h3>
            {copyable && <CopyButton value={s.code} label={`Copy ${s.title} snippet`} />}
          </div>
          <pre className="overflow-x-auto bg-slate-950 p-4 font-mono text-sm leading-relaxed text-slate-100">
            <code>{s.code}</code>
          </pre>
        </section>
      ))}
    </div>
  );
}
