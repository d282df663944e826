import {
  ASK_CUES,
  CJK_CHAR,
  CODE_REQUEST,
  type Cue,
  DESIGN,
  HARD_MATH,
  MATH,
  PROOF,
  SIMPLE_REWRITE,
  SMALL_TALK_PHRASES,
  SYSTEM_SCALE,
  WHY,
} from "./cues";

// How hard a chat request looks, from its text alone: no model call, no I/O, a bounded amount of work.
//
// The estimate is a sum of points, one entry per signal (what raised it). Roughly, 2 points is what it takes
// for a request to stop being "simple": one ordinary cue (an explanation, a bit of code, some maths) makes a
// request moderate, two or three strong ones make it complex, and a proof, a system design with trade-offs
// or a big multi-file refactor reach expert. Every cue adds (only "translate this" and a client's low
// reasoning effort subtract), so adding code or a reasoning cue to a prompt never lowers its tier (as long
// as the prompt fits the windows that are read: see INSTRUCTION_WINDOW_CHARS and ASK_SAMPLE_CHARS).
//
// What is asked now (the last user message) counts fully; the conversation before it only adds its topic
// (code, maths, design) at a discount, its length and its depth, so "and why?" after a proof stays hard
// but a long chat about nothing does not become expert.

export type Difficulty = "simple" | "moderate" | "complex" | "expert";

const TIER_FLOORS: [Difficulty, number][] = [
  ["expert", 8],
  ["complex", 5],
  ["moderate", 2],
];

/** Points → score in [0, 1): monotone, about 0.28 at moderate, 0.57 at complex, 0.74 at expert. */
const SCORE_SCALE = 6;

/** Text already cut to a bounded sample, with the size of what it stands for. */
export interface TextSample {
  text: string;
  /** Characters of the whole text the sample was taken from (≥ text.length). */
  totalChars: number;
}

export interface DifficultyInput {
  /** The last user message: what is asked now. */
  ask: TextSample;
  /** A sample of the rest of the conversation (instructions and recent turns). */
  context: TextSample;
  /** Estimated tokens of everything but the ask. */
  contextTokens: number;
  userTurns: number;
  reasoningEffort: unknown;
}

export interface DifficultyEstimate {
  difficulty: Difficulty;
  score: number;
  signals: string[];
}

export function estimateDifficulty(input: DifficultyInput): DifficultyEstimate {
  const tally = new Tally();
  for (const [signal, points] of analyzeText(input.ask, true)) tally.add(signal, points);
  // An acknowledgement ("thanks!", "好的") ends a hard topic rather than continuing it.
  if (!isSmallTalk(input.ask.text)) addContext(tally, input);

  if (input.reasoningEffort === "high" || input.reasoningEffort === "xhigh") tally.add("reasoning-effort", 3);
  if (input.reasoningEffort === "low" || input.reasoningEffort === "minimal") tally.add("", -1);

  const points = tally.total();
  const difficulty = TIER_FLOORS.find(([, floor]) => points >= floor)?.[0] ?? "simple";
  return { difficulty, score: 1 - Math.exp(-Math.max(0, points) / SCORE_SCALE), signals: tally.signals() };
}

// Topics of earlier turns carry over at this weight, capped: they colour a follow-up, they do not make it.
const CONTEXT_WEIGHT = 0.4;
const CONTEXT_CAP = 3;
/** How a topic found in the context is named: "context-code", "context-math", "context-proof", "context-design". */
const CONTEXT_LABELS: Record<string, string> = {
  "long-code": "code",
  "multi-file": "code",
  "hard-math": "math",
  "system-design": "design",
};

function addContext(tally: Tally, input: DifficultyInput) {
  if (input.context.text) {
    const topics = [...analyzeText(input.context, false)].filter(([, points]) => points > 0);
    const points = Math.min(CONTEXT_CAP, CONTEXT_WEIGHT * topics.reduce((sum, [, p]) => sum + p, 0));
    if (points > 0) {
      const [top] = topics.reduce((best, entry) => (entry[1] > best[1] ? entry : best));
      tally.add(`context-${CONTEXT_LABELS[top] ?? top}`, points);
    }
  }
  if (input.userTurns >= 6) tally.add("deep-conversation", 1);
  else if (input.userTurns >= 3) tally.add("deep-conversation", 0.5);
  const tokens = input.contextTokens;
  if (tokens >= 2_000) tally.add("long-context", tokens >= 32_000 ? 2 : tokens >= 8_000 ? 1 : 0.5);
}

/** Signal → points, summed per signal; signals come out strongest first. */
class Tally {
  private readonly bySignal = new Map<string, number>();
  add(signal: string, points: number) {
    this.bySignal.set(signal, (this.bySignal.get(signal) ?? 0) + points);
  }
  total(): number {
    let sum = 0;
    for (const points of this.bySignal.values()) sum += points;
    return sum;
  }
  signals(): string[] {
    return [...this.bySignal]
      .filter(([signal, points]) => signal && points > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([signal]) => signal);
  }
}

// ---------------------------------------------------------------------------------------------------------
// One text → points per signal.

/**
 * Instructions sit at the start or the end of a message, around whatever was pasted; cue words inside a
 * pasted article ("this analysis shows…") are not requests. So cues are looked for in the prose's first
 * and last kB, which also bounds the regex work (1-4 µs per kB per pattern, and there are 25 of them);
 * length and code are measured over the whole sample.
 */
const INSTRUCTION_WINDOW_CHARS = 1_024;

/**
 * Points per signal for one text. Topics (code, maths, proofs, system design) are found in any text; the
 * rest (length, requests to reason, kinds of task) only in the ask, the message being answered now.
 */
function analyzeText(sample: TextSample, isAsk: boolean): Map<string, number> {
  const points = new Map<string, number>();
  const add = (signal: string, value: number) => points.set(signal, (points.get(signal) ?? 0) + value);
  const { text } = sample;
  const lines = splitLines(text);
  // A sample of a huge message stands for all of it: scale what was counted in it.
  const scale = text.length > 0 ? Math.max(1, sample.totalChars / text.length) : 1;
  const prose = lines.prose.join("\n");
  const window =
    prose.length <= 2 * INSTRUCTION_WINDOW_CHARS
      ? prose
      : `${prose.slice(0, INSTRUCTION_WINDOW_CHARS)}\n${prose.slice(-INSTRUCTION_WINDOW_CHARS)}`;
  const hasCjk = CJK_CHAR.test(window);
  const has = (cue: Cue) => cue.words.test(window) || (hasCjk && cue.cjk !== undefined && cue.cjk.test(window));

  // Code: pasted code by its size (lines), or a request for code; the larger of the two, not both.
  const codeLines = lines.code * scale;
  const pastedCodePoints = codeLines === 0 ? 0 : codeLines <= 15 ? 2 : codeLines <= 80 ? 3.5 : 5;
  const isCodeRequested = has(CODE_REQUEST);
  add("code", Math.max(pastedCodePoints, isCodeRequested ? CODE_REQUEST.points : 0));
  if (codeLines > 250) add("long-code", 2);
  if (lines.fencedBlocks >= 3 || lines.fileHeaders >= 2) add("multi-file", 1.5);

  const isHardMath = has(HARD_MATH);
  const isMath = isHardMath || has(MATH);
  if (isMath) add(MATH.signal, MATH.points);
  if (isHardMath) add(HARD_MATH.signal, HARD_MATH.points);
  for (const cue of [PROOF, DESIGN, SYSTEM_SCALE]) if (has(cue)) add(cue.signal, cue.points);
  // A proof of something mathematical is the expert case; "prove to my landlord…" is not. Likewise
  // designing a distributed system is harder than designing a logo.
  if (isMath && points.has(PROOF.signal)) add(PROOF.signal, 2);
  if (points.has(DESIGN.signal) && points.has(SYSTEM_SCALE.signal)) add(SYSTEM_SCALE.signal, 1);
  if (!isAsk) return points;

  const proseTokens = approxTokens(prose) * scale;
  add(
    proseTokens >= 400 ? "long-prompt" : "length",
    LENGTH_STEPS.findLast(([tokens]) => proseTokens >= tokens)?.[1] ?? 0,
  );
  if (lines.hasStackTrace) add("stack-trace", 1);
  for (const cue of ASK_CUES) if (has(cue)) add(cue.signal, cue.points);
  const whys = countMatches(WHY.words, window, 2) + (hasCjk ? countMatches(WHY.cjk, window, 2) : 0);
  if (whys > 0) add("reasoning-cue", Math.min(2, whys));
  // Several words for the same thing ("analyse and compare, step by step") are one kind of request.
  for (const [signal, cap] of SIGNAL_CAPS) if ((points.get(signal) ?? 0) > cap) points.set(signal, cap);
  const parts = Math.max(countMatches(LIST_ITEM, window, 6), countMatches(QUESTION_MARK, window, 6));
  if (parts >= 3) add("multi-part", parts >= 6 ? 2 : 1);
  // Translating code is real work; translating prose is not.
  if (codeLines === 0 && !isCodeRequested && has(SIMPLE_REWRITE)) add(SIMPLE_REWRITE.signal, SIMPLE_REWRITE.points);
  return points;
}

const SIGNAL_CAPS: [string, number][] = [
  ["reasoning-cue", 3.5],
  ["writing", 2.5],
];

/** [prose tokens, points]: a paragraph is a little harder than a line, a long document much harder. */
const LENGTH_STEPS: [number, number][] = [
  [30, 1],
  [120, 1.5],
  [400, 2],
  [1_500, 3],
  [6_000, 4],
];

// Several questions or a list of requirements: a multi-part task.
const QUESTION_MARK = /[?？]/g;
const LIST_ITEM = /^[ \t]*(?:(?:\d{1,2}[.)]|[-*•]|[a-h][.)])[ \t]+\S|\d{1,2}、|[（(]\d{1,2}[)）])/gm;

function isSmallTalk(text: string): boolean {
  if (text.length > 60) return false;
  return text.replace(SMALL_TALK_PHRASES, "").replace(/[\s\p{P}\p{S}]/gu, "") === "";
}

interface Lines {
  prose: string[];
  code: number;
  fencedBlocks: number;
  fileHeaders: number;
  hasStackTrace: boolean;
}

// Every pattern run on a line is linear in its length (no two adjacent unbounded runs over the same
// characters), so a 32 kB line of spaces or of "a=a=…" costs microseconds, not seconds: see the tests.
const FENCE = /^\s*(?:```|~~~)/;
// A line that only code writes: a declaration, an import, a control statement, a comment, a tag… (or a
// statement ending in ; { } or =>, checked apart: an unanchored pattern would scan every long prose line).
// LaTeX also ends lines in "}", so a line with a LaTeX command is maths, not code.
const CODE_LINE = new RegExp(
  [
    String.raw`^\s*(?:const|let|var)\s+[\w$[{][^=]*=`,
    String.raw`^\s*(?:async\s+)?(?:def|fn|func|function)\s+[\w$]+\s*[(<]`,
    String.raw`^\s*(?:pub\s+)?(?:class|struct|enum|interface|impl|trait|type)\s+\w+.*[{:=]\s*$`,
    String.raw`^\s*(?:import|export|package|using|#include|#define|from\s+[\w.]+\s+import)\b`,
    String.raw`^\s*(?:(?:if|while|switch|for)\s*\(|for\s+\w+(?:,\s*\w+)*\s+in\s+\S.*:\s*$|(?:else|try|finally)\s*[:{]|return\b)`,
    String.raw`^\s*(?:\/\/|\/\*|\*\/|<\/?[a-zA-Z][\w-]*[\s>/])`,
  ].join("|"),
);
const LATEX_COMMAND = /\\[a-zA-Z]{2,}/;
const STACK_TRACE_LINE =
  /^\s*(?:at\s+[^\s(]+\s*\([^()]*:\d+(?::\d+)?\)|at\s+[^\s(]+:\d+|File "[^"]+", line \d+|Traceback \(most recent call last\)|Caused by:|Exception in thread|[\w.]*(?:Error|Exception)(?::\s|$)|thread '[^']+' panicked at|goroutine \d+ \[|fatal error:|panic:)/;
const FILE_HEADER =
  /^\s*(?:(?:\/\/|#|--|\*\*)\s*)?(?:file:\s*)?[\w./-]+\.(?:ts|tsx|js|jsx|py|go|rs|java|kt|cpp|cc|c|h|hpp|rb|php|cs|swift|sql|ya?ml|json|toml|vue)(?:\s*\*\*)?:?\s*$/;

/** Sorts lines into prose and code: fenced blocks, lines only code writes, and indented lines following code. */
function splitLines(text: string): Lines {
  const result: Lines = { prose: [], code: 0, fencedBlocks: 0, fileHeaders: 0, hasStackTrace: false };
  let isInFence = false;
  let isAfterCode = false;
  for (const line of text.split("\n")) {
    if (FENCE.test(line)) {
      if (!isInFence) result.fencedBlocks++;
      isInFence = !isInFence;
      continue;
    }
    if (line.trim() === "") continue;
    if (isInFence) {
      result.code++;
      continue;
    }
    const isStackTrace = STACK_TRACE_LINE.test(line);
    result.hasStackTrace ||= isStackTrace;
    const isCode: boolean =
      isStackTrace ||
      ((CODE_LINE.test(line) || hasCodeEnding(line)) && !LATEX_COMMAND.test(line)) ||
      (isAfterCode && /^(?: {2}|\t)/.test(line));
    if (FILE_HEADER.test(line)) result.fileHeaders++;
    if (isCode) {
      result.code++;
    } else {
      result.prose.push(line);
    }
    isAfterCode = isCode;
  }
  return result;
}

function hasCodeEnding(line: string): boolean {
  const trimmed = line.trimEnd();
  const last = trimmed[trimmed.length - 1];
  return last === ";" || last === "{" || last === "}" || trimmed.endsWith("=>");
}

/**
 * Tokens, roughly: about 4 ASCII characters or 1 CJK character make a token. Counted from the UTF-8 length
 * (native, ≈ 0.1 ns per character) by taking every multi-byte character as a 3-byte CJK one, which is close
 * enough for a difficulty estimate (tokens.ts's estimateTokens looks at each character and costs ≈ 15 ns per
 * CJK character: 0.3 ms for a 20 kB Chinese prompt, too much for a decision that should take microseconds).
 */
export function approxTokens(text: string): number {
  const wideChars = (Buffer.byteLength(text, "utf8") - text.length) / 2;
  return (text.length - wideChars) / 4 + wideChars;
}

function countMatches(pattern: RegExp, text: string, cap: number): number {
  let count = 0;
  pattern.lastIndex = 0;
  while (count < cap && pattern.exec(text)) count++;
  return count;
}
