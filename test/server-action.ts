// Calls a Next.js server action over HTTP the way the browser does for a form with useActionState:
// POST to a page that uses it, the action's id (from the build's server-reference manifest) in the
// `Next-Action` header, and the arguments (previous state, FormData) encoded by React's own
// encodeReply (Next's compiled copy). Answers the RSC text.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const { encodeReply } = createRequire(import.meta.url)("next/dist/compiled/react-server-dom-webpack/client.edge") as {
  encodeReply(value: unknown): Promise<string | FormData>;
};

interface ManifestEntry {
  exportedName?: string;
  filename?: string;
  workers: Record<string, unknown>;
}

/** The id of `exportedName` from `filename` (e.g. "app/(site)/signup/actions.ts") in the build. */
export function serverActionId(filename: string, exportedName: string): string {
  const manifest = JSON.parse(
    readFileSync(path.join(process.cwd(), ".next", "server", "server-reference-manifest.json"), "utf8"),
  ) as { node: Record<string, ManifestEntry> };
  const found = Object.entries(manifest.node).find(
    ([, entry]) => entry.filename === filename && entry.exportedName === exportedName,
  );
  if (!found) throw new Error(`no server action ${exportedName} in ${filename} in the build`);
  return found[0];
}

export async function callFormAction(opts: {
  baseUrl: string;
  page: string;
  filename: string;
  exportedName: string;
  previousState: unknown;
  fields: Record<string, string>;
  cookie?: string;
}): Promise<{ status: number; text: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(opts.fields)) form.append(name, value);
  const body = await encodeReply([opts.previousState, form]);
  const res = await fetch(`${opts.baseUrl}${opts.page}`, {
    method: "POST",
    headers: {
      accept: "text/x-component",
      "next-action": serverActionId(opts.filename, opts.exportedName),
      origin: opts.baseUrl,
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}
