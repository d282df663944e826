import path from "node:path";

// Set (to true) by scripts/package-standalone.mjs, which bundles the server into the root of the
// standalone folder; undefined when the sources run from the repository.
declare const TOKENFLOW_STANDALONE: boolean | undefined;

/**
 * The app's folder (the one holding .next, public and prisma/migrations): the repository root when
 * running from the sources (this file is in scripts/), the standalone folder when bundled into it.
 */
export function appRoot(): string {
  const bundled = typeof TOKENFLOW_STANDALONE !== "undefined" && TOKENFLOW_STANDALONE;
  return bundled ? import.meta.dirname : path.resolve(import.meta.dirname, "..");
}
