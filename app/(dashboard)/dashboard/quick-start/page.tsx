import Link from "next/link";
import { headers } from "next/headers";
import { QuickStart } from "@/components/quick-start";
import { ButtonLink } from "@/components/ui/button";
import { Card, CardHeader, PageHeader } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { publicBaseUrl } from "@/lib/http/public-url";
import { listPlaygroundKeys } from "@/lib/playground/keys";
import { requireTenant } from "@/lib/tenancy/context";

export const metadata = {
  title: "Quick start",
  description: "Point the OpenAI SDK, curl or the Anthropic SDK at TokenFlow in a minute.",
};

export default async function QuickStartPage() {
  const { organization } = await requireTenant("MEMBER", "/dashboard/quick-start");
  const baseUrl = publicBaseUrl(await headers());
  const keys = await listPlaygroundKeys(organization.id);
  const v1 = `${baseUrl}/v1`;
  return (
    <>
      <PageHeader
        title="Quick start"
        description="TokenFlow speaks the OpenAI API: keep your SDK, change the base URL and the key."
      />
      <div className="grid gap-6">
        <Card>
          <CardHeader title="1. Your base URL" description="Use it wherever an OpenAI client asks for a base URL." />
          <div className="flex flex-wrap items-center gap-3 px-5 py-4">
            <code
              data-testid="base-url"
              className="min-w-0 flex-1 basis-64 rounded-md bg-slate-100 px-3 py-2 font-mono text-sm break-all text-slate-900"
            >
              {v1}
            </code>
            <CopyButton value={v1} label="Copy base URL" />
          </div>
        </Card>

        <Card>
          <CardHeader
            title="2. An API key"
            description={
              keys.length > 0
                ? `${organization.name} has ${keys.length} active key${keys.length === 1 ? "" : "s"}.`
                : `${organization.name} has no active key yet.`
            }
            action={
              <ButtonLink href="/dashboard/keys" variant={keys.length > 0 ? "secondary" : "primary"}>
                {keys.length > 0 ? "Manage keys" : "Create a key"}
              </ButtonLink>
            }
          />
          <div className="grid gap-2 px-5 py-4 text-sm text-slate-700">
            <p>
              Keys look like <code className="rounded bg-slate-100 px-1 font-mono">tf-…</code>. Each is shown once when
              you create it and stored only as a hash, so copy it then; if one is lost or leaked, revoke it and create
              another on the{" "}
              <Link href="/dashboard/keys" className="font-medium text-indigo-700 underline">
                API keys
              </Link>{" "}
              page. Send it as <code className="rounded bg-slate-100 px-1 font-mono">Authorization: Bearer tf-…</code>,
              and keep it on your server, never in a web page.
            </p>
          </div>
        </Card>

        <Card>
          <CardHeader
            title="3. Make a request"
            description="Replace tf-... with your key. Every answer says what it cost in usage.cost_usd."
          />
          <div className="grid gap-4 px-3 py-4 sm:px-5">
            <p className="text-sm text-slate-700">
              <code className="rounded bg-slate-100 px-1 font-mono">model: &quot;auto&quot;</code> lets TokenFlow pick
              the cheapest model that fits each request (the{" "}
              <code className="rounded bg-slate-100 px-1 font-mono">x-tokenflow-route</code> header says which and why);{" "}
              <code className="rounded bg-slate-100 px-1 font-mono">auto:cheap</code>,{" "}
              <code className="rounded bg-slate-100 px-1 font-mono">auto:best</code> and{" "}
              <code className="rounded bg-slate-100 px-1 font-mono">auto:fast</code> trade cost against quality. Or name
              a model, such as <code className="rounded bg-slate-100 px-1 font-mono">deepseek-v3</code>: see{" "}
              <Link href="/pricing" className="font-medium text-indigo-700 underline">
                models and prices
              </Link>
              .
            </p>
            <QuickStart baseUrl={baseUrl} model="auto" copyable />
            <p className="text-sm text-slate-600">
              Rather try it here first?{" "}
              <Link href="/dashboard/playground" className="font-medium text-indigo-700 underline">
                Open the playground
              </Link>
              .
            </p>
          </div>
        </Card>
      </div>
    </>
  );
}
