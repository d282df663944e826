// The Docker files pass their lint, and the lint is not a rubber stamp: deliberately broken copies
// of the real files fail it, each for the reason planted.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lintCompose, lintDockerfile } from "./lint-docker";

const root = path.resolve(import.meta.dirname, "..");
const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
const compose = readFileSync(path.join(root, "docker-compose.yml"), "utf8");
const dir = mkdtempSync(path.join(tmpdir(), "tf-lint-docker-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real file with `from` replaced by `to` (which must change it), written to a temporary file. */
function broken(name: string, text: string, from: string | RegExp, to: string): string {
  const changed = text.replace(from, to);
  expect(changed, `${String(from)} not found in ${name}`).not.toBe(text);
  const file = path.join(dir, `${name}.${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, changed);
  return file;
}

const messages = (problems: { message: string }[]) => problems.map((p) => p.message).join("\n");

describe("Dockerfile lint", () => {
  it("passes on the Dockerfile", () => {
    expect(lintDockerfile(path.join(root, "Dockerfile"))).toEqual([]);
  });

  it.each([
    ["an unknown HEALTHCHECK flag", "--start-period=60s", "--start-perod=60s", /start-perod/],
    ["an instruction that does not exist", "USER node", "USR node", /USR/i],
    ["a COPY without a destination", "COPY --from=build /app ./", "COPY --from=build /app", /argument/i],
    ["an invalid port", "EXPOSE 3000", "EXPOSE port3000", /port/i],
  ])("fails on %s", (_what, from, to, reason) => {
    const problems = lintDockerfile(broken("Dockerfile", dockerfile, from, to));
    expect(problems.length).toBeGreaterThan(0);
    expect(messages(problems)).toMatch(reason);
  });
});

describe("docker-compose.yml lint", () => {
  it("passes on docker-compose.yml", () => {
    expect(lintCompose(path.join(root, "docker-compose.yml"))).toEqual([]);
  });

  it.each([
    [
      "a misspelt service key",
      "    healthcheck:\n      test:\n        - CMD",
      "    healtcheck:\n      test:\n        - CMD",
      /healtcheck/,
    ],
    ["replicas that are not a number", "replicas: 2", "replicas: two", /replicas/],
    ["an unknown dependency condition", "condition: service_healthy", "condition: service_ready", /condition/],
    ["a mount of an undeclared volume", "- app-data:/data", "- app-state:/data", /undeclared volume "app-state"/],
    [
      "a dependency on a missing service",
      "      redis:\n        condition",
      "      cache:\n        condition",
      /unknown service "cache"/,
    ],
    ["YAML that does not parse", "services:\n", "services:\n  - [\n", /YAML/],
  ])("fails on %s", (_what, from, to, reason) => {
    const problems = lintCompose(broken("docker-compose.yml", compose, from, to));
    expect(problems.length).toBeGreaterThan(0);
    expect(messages(problems)).toMatch(reason);
  });
});
