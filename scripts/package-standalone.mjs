// Packages a production build as a self-contained folder: what the Docker image runs, and what the
// standalone integration test starts from a clean directory. After `next build` (output: "standalone"):
//
//   node scripts/package-standalone.mjs [--out <dir>]     (default: dist/standalone)
//
// The folder holds Next's standalone output (.next/standalone: the server files of the build and the
// node_modules its traced imports need), the static assets Next leaves out of it (.next/static,
// public/), the SQL migrations, and our own entry points bundled by esbuild, since the server is
// ours (scripts/server.ts: /v1 plus Next), not Next's server.js:
//   start.mjs       migrations, first-start seed, then the server (scripts/start-standalone.ts)
//   body-worker.mjs the worker threads that prepare large /v1 bodies (lib/gateway/body-worker.ts)
// Run it with `node start.mjs` from any working directory; only environment variables configure it.
// Our bundle leaves `next` (and React) to the traced node_modules, so the server and Next's route
// code share one Next; everything else it needs (pg, ioredis, zod, the Prisma client…) is inside it.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = path.resolve(values.out ?? path.join(root, "dist", "standalone"));
const standalone = path.join(root, ".next", "standalone");

// Resolved at run time from the standalone node_modules (Next's trace put them there), never bundled:
// one copy of Next for our server and the route code it runs.
const EXTERNAL = ["next", "next/*", "react", "react/*", "react-dom", "react-dom/*", "styled-jsx", "@next/*"];
// Optional native add-ons their packages load inside try/catch; absent in the image too.
const OPTIONAL = ["pg-native", "@electric-sql/pglite", "@electric-sql/pglite-socket"];

async function main() {
  if (!existsSync(path.join(standalone, ".next", "BUILD_ID"))) {
    throw new Error(
      `no standalone build in ${standalone}: run \`npx next build\` first (next.config.mjs sets output: "standalone")`,
    );
  }
  if (out === root || root.startsWith(out + path.sep)) throw new Error(`refusing to package into ${out}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  // Copied, not linked: nothing in the folder may point back into this checkout.
  const copy = (from, to) => cpSync(from, to, { recursive: true, dereference: true });
  for (const entry of readdirSync(standalone)) {
    // Next's server.js would serve the pages without /v1 and without our lifecycle: not shipped.
    if (entry === "server.js") continue;
    copy(path.join(standalone, entry), path.join(out, entry));
  }
  copy(path.join(root, ".next", "static"), path.join(out, ".next", "static"));
  copy(path.join(root, "public"), path.join(out, "public"));
  copy(path.join(root, "prisma", "migrations"), path.join(out, "prisma", "migrations"));
  // The password policy reads its list from the working directory's lib/accounts (the tracing
  // include in next.config.mjs puts it there for Next's routes; ours runs in the same folder).
  copy(
    path.join(root, "lib", "accounts", "common-passwords.txt"),
    path.join(out, "lib", "accounts", "common-passwords.txt"),
  );

  await build({
    entryPoints: {
      start: path.join(root, "scripts", "start-standalone.ts"),
      "body-worker": path.join(root, "lib", "gateway", "body-worker.ts"),
    },
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // The tsconfig's "@/…" paths, as in the sources.
    tsconfig: path.join(root, "tsconfig.json"),
    external: [...EXTERNAL, ...OPTIONAL],
    define: { TOKENFLOW_STANDALONE: "true", "process.env.NODE_ENV": '"production"' },
    // Bundled CommonJS packages call require() for Node's built-ins; an ES module has none of its own.
    banner: {
      js: "import { createRequire as __tfCreateRequire } from 'node:module'; const require = __tfCreateRequire(import.meta.url);",
    },
    legalComments: "none",
    logLevel: "warning",
  });
  console.log(`standalone TokenFlow in ${out}: start it there with \`node start.mjs\``);
}

await main();
