// `npm test`: static checks (tsc, eslint, prettier), builds the app, runs vitest (unit + integration against real Postgres and `next start`),
// Playwright e2e in Debian's chromium, and the `npm start` smoke test; prints one closing line
// "N passed, N failed, N skipped" and exits non-zero on any failure or if a suite ran nothing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "test-results");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const args = process.argv.slice(2);
const only = (suite) => args.length === 0 || args.includes(suite);

function run(cmd, cmdArgs, env = {}) {
  console.log(`\n$ ${cmd} ${cmdArgs.join(" ")}`);
  return spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } }).status ?? 1;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];
const notes = []; // failed tests named again at the end (already counted)

// Static checks, each counted as one test: types, lint, formatting.
if (only("checks")) {
  for (const [name, cmd] of [
    ["typecheck", ["tsc", "--noEmit", "-p", "."]],
    ["lint", ["eslint", ".", "--max-warnings", "0"]],
    ["format", ["prettier", "--check", "--log-level", "warn", "."]],
  ]) {
    if (run("npx", cmd) === 0) totals.passed += 1;
    else {
      totals.failed += 1;
      console.log(`check failed: ${name}`);
    }
  }
}

if (process.env.TOKENFLOW_SKIP_BUILD !== "1" && (only("integration") || only("e2e") || only("smoke"))) {
  if (run("npx", ["next", "build"]) !== 0) {
    console.log("\nnext build failed\n0 passed, 1 failed");
    process.exit(1);
  }
}

// vitest: unit + integration projects, counted from its JSON report.
if (only("unit") || only("integration")) {
  const projects = ["unit", "integration"].filter(only).flatMap((p) => ["--project", p]);
  const file = path.join(out, "vitest.json");
  const status = run("npx", [
    "vitest",
    "run",
    ...projects,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${file}`,
  ]);
  if (existsSync(file)) {
    const report = JSON.parse(readFileSync(file, "utf8"));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + report.numTodoTests;
    if (report.numTotalTests === 0) problems.push("vitest ran no tests");
    // A file that fails to load has no failed tests but is a failure.
    const brokenSuites = report.testResults.filter(
      (r) => r.status === "failed" && r.assertionResults.every((a) => a.status !== "failed"),
    );
    const firstLine = (text) =>
      String(text ?? "")
        .split("\n")[0]
        .slice(0, 300);
    for (const suite of brokenSuites) {
      problems.push(`vitest suite failed to run: ${path.relative(root, suite.name)}: ${firstLine(suite.message)}`);
    }
    // Named again at the end, where a CI log's tail is read: which test failed, and why in one line.
    for (const suite of report.testResults) {
      for (const a of suite.assertionResults.filter((x) => x.status === "failed")) {
        notes.push(`failed: ${path.relative(root, suite.name)} › ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
      }
    }
    // An error thrown outside any test (an uncaught exception or unhandled rejection while the files
    // ran) fails vitest's run but no test of its report: counted here so the closing line shows it.
    if (status !== 0 && report.numFailedTests === 0 && brokenSuites.length === 0) {
      problems.push(
        `vitest exited with status ${status} without a failed test: an unhandled error (its output above says where)`,
      );
    }
  } else {
    problems.push("vitest wrote no report");
  }
}

// Playwright e2e, counted from its JSON report.
if (only("e2e")) {
  const file = path.join(out, "playwright.json");
  run("npx", ["playwright", "test", "--reporter=list,json"], { PLAYWRIGHT_JSON_OUTPUT_NAME: file });
  if (existsSync(file)) {
    const report = JSON.parse(readFileSync(file, "utf8"));
    const stats = report.stats;
    const walk = (suite) => {
      for (const spec of suite.specs ?? []) if (!spec.ok) notes.push(`failed: ${spec.file} › ${spec.title}`);
      for (const child of suite.suites ?? []) walk(child);
    };
    for (const suite of report.suites ?? []) walk(suite);
    totals.passed += stats.expected + stats.flaky;
    totals.failed += stats.unexpected;
    totals.skipped += stats.skipped;
    if (stats.expected + stats.unexpected + stats.flaky === 0) problems.push("Playwright ran no tests");
  } else {
    problems.push("Playwright wrote no report (did chromium start?)");
  }
}

// `npm start` smoke test: zero-config start on the embedded database.
if (only("smoke")) {
  const status = run("node", ["scripts/smoke-start.mjs"]);
  if (status === 0) totals.passed += 1;
  else totals.failed += 1;
}

for (const note of notes) console.log(note);
for (const problem of problems) console.log(`problem: ${problem}`);
const failed = totals.failed + problems.length;
console.log(`\n${totals.passed} passed, ${failed} failed, ${totals.skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
