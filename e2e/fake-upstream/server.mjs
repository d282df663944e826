// Fake OpenAI-compatible upstream for TokenFlow's integration/e2e tests and benchmarks (it speaks the Anthropic
// Messages API too).
//
// Run:    node e2e/fake-upstream/server.mjs      (env FAKE_UPSTREAM_PORT=0, FAKE_UPSTREAM_HOST=127.0.0.1)
//         → prints exactly one stdout line "FAKE_UPSTREAM_LISTENING <port>".
// Import: const srv = await startFakeUpstream({ port, host }); … await srv.close();
//
// Plain ESM, node:* modules only. See e2e/fake-upstream/README.md for the full API table.
//
// Determinism rules (tests rely on these):
//   * 1 output token = 1 whitespace-separated word of generated text. The answer words are
//     ["Echo:", ...words(last user message text)] repeated cyclically until N words.
//   * N = x-fake-output-tokens header | body.fake_output_tokens | 8, capped by
//     max_completion_tokens | max_tokens (finish_reason "length" when the cap cut it, else "stop").
//   * prompt_tokens = Σ over messages (words(message text) + 3). Text = string content or the
//     "text" parts of an array content joined by " ".
//   * Streaming: one SSE chunk per token (per choice); the first word has no leading space,
//     the others have one, so concatenating deltas gives exactly the non-stream content.
//   * JSON mode (response_format json_object/json_schema): content = {"echo":"<the N words>"};
//     the prefix {"echo":" rides on the first word's chunk and the suffix "} on the last one,
//     so completion_tokens is still N (with N = 0 the whole {"echo":""} is one 1-token chunk).
//   * "reasoner" models: 4 reasoning words (REASONING_WORDS) come first, in
//     message.reasoning_content / delta.reasoning_content; they count in completion_tokens
//     (usage.completion_tokens_details.reasoning_tokens = 4) and in the max_tokens cap.
//   * Tool calls: the arguments JSON string is streamed in pieces of 8 characters;
//     1 piece = 1 completion token. finish_reason "tool_calls", content null.
//   * n > 1: every choice gets the same output; completion_tokens = per-choice tokens × n.
//   * Leaky faults (leaky:<status>, context-length, content-filter, stream-error) put the fixed
//     provider identifiers of leaks.json plus the request's bearer key in the error body: text a
//     gateway must never relay to its tenant.
//   * Anthropic Messages API (POST /v1/messages, /v1/messages/count_tokens): x-api-key auth, the
//     same words, knobs and faults in Anthropic's shapes and event sequence; input_tokens = the
//     chat prompt count with a system prompt as one more message, minus x-fake-cache's cached part;
//     `thinking` enabled → a thinking block of REASONING_WORDS first (counted in output_tokens).

import http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

const DEFAULT_OUTPUT_TOKENS = 8;
const PROMPT_TOKENS_PER_MESSAGE = 3;
const REASONING_WORDS = ["Thinking", "about", "the", "request."];
const TOOL_ARG_PIECE_CHARS = 8;
const DEFAULT_EMBEDDING_DIMS = 8;
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const MAX_N = 16;
const DEFAULT_MAX_RECORDS = Number(process.env.FAKE_UPSTREAM_MAX_RECORDS) || 10_000; // oldest records are dropped
const MODELS = ["gpt-4o-mini", "gpt-4o", "deepseek-reasoner", "text-embedding-3-small"];
const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout fires at once beyond this
// JSON so that client.ts (loaded by TS test runners that may not take ESM) can import the same values.
const LEAKS = JSON.parse(readFileSync(new URL("./leaks.json", import.meta.url), "utf8"));
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
const DEFAULT_REDIRECT_LOCATION = "http://169.254.169.254/latest/meta-data/"; // cloud metadata: an SSRF target
const CAP_FIELDS = ["max_tokens", "max_completion_tokens"];

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const words = (text) => (typeof text === "string" ? text.split(/\s+/).filter(Boolean) : []);

/** Text of a message content: a string, or the `text` parts of a content-part array. */
function textOf(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((p) => p && p.type === "text" && typeof p.text === "string")
    .map((p) => p.text)
    .join(" ");
}

/** Non-negative integer from a header/body value, else undefined. */
function intOrUndef(v) {
  if (v === undefined || v === null || v === "") return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

const randomId = (prefix) => prefix + randomBytes(12).toString("hex");

/** Resolves after `ms` or as soon as `signal` aborts (never rejects). ms=0 yields one macrotask. */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      if (ms > 0) clearTimeout(timer);
      else clearImmediate(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = ms > 0 ? setTimeout(done, Math.min(ms, MAX_TIMER_MS)) : setImmediate(done);
    signal.addEventListener("abort", done, { once: true });
  });
}

function sendJson(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data), ...headers });
  res.end(data);
}

/** OpenAI-shaped error envelope for a status code (a defined errorCode overrides the default `code`). */
function errorEnvelope(status, message, errorCode) {
  const defaults = { 401: "invalid_api_key", 404: "not_found", 429: "rate_limit_exceeded" };
  const code = errorCode !== undefined ? errorCode : (defaults[status] ?? null);
  let type = status >= 500 ? "server_error" : "invalid_request_error";
  if (status === 403) type = "permission_error";
  if (status === 429) type = code === "insufficient_quota" ? "insufficient_quota" : "requests";
  return { error: { message, type, param: null, code } };
}

// ---------------------------------------------------------------------------------------------
// Leaky provider errors: what real upstreams say, with the details a gateway must keep to itself
// ---------------------------------------------------------------------------------------------

/** The provider-identifying tail every leaky message carries (account, owner, key tail, hosts, URL). */
function leakTrailer(apiKey) {
  return (
    `(organization ${LEAKS.orgId}, account ${LEAKS.accountId}, owner ${LEAKS.ownerEmail}, ` +
    `key sk-...${apiKey.slice(-8)}, served by ${LEAKS.internalHost}; see ${LEAKS.billingUrl})`
  );
}

/** Response headers of the leaky faults: a gateway that copies upstream headers leaks these too. */
const leakHeaders = () => ({ "openai-organization": LEAKS.orgId, server: LEAKS.internalHost });

const providerError = (message, type, code, param = null) => ({ error: { message, type, param, code } });

/** Error body for leaky:<status>[:<errcode>], worded the way providers word that status. */
function leakyError(status, errorCode, model, apiKey) {
  const t = leakTrailer(apiKey);
  const m = model ?? "unknown";
  const e = (message, type, code, param) => providerError(`${message} ${t}`, type, errorCode ?? code, param);
  switch (status) {
    case 400:
      return e(
        `Invalid value for 'messages': request for model \`${m}\` rejected.`,
        "invalid_request_error",
        null,
        "messages",
      );
    case 401:
      return e(
        `Incorrect API key provided: ${apiKey}. You can find your API key at https://${LEAKS.host}/account/api-keys.`,
        "invalid_request_error",
        "invalid_api_key",
      );
    case 402:
      return e(
        `Insufficient balance: account ${LEAKS.accountId} has $0.00 left. Top up at ${LEAKS.billingUrl}.`,
        "insufficient_quota",
        "insufficient_balance",
      );
    case 403:
      return e(
        `Your account ${LEAKS.accountId} has been suspended, or your country, region, or territory is not supported. Contact ${LEAKS.ownerEmail}.`,
        "request_forbidden",
        "unsupported_country_region_territory",
      );
    case 404:
      return e(
        `The model \`${m}\` does not exist or you do not have access to it.`,
        "invalid_request_error",
        "model_not_found",
      );
    case 429:
      if (errorCode === "insufficient_quota")
        return e(
          `You exceeded your current quota, please check your plan and billing details at ${LEAKS.billingUrl}.`,
          "insufficient_quota",
        );
      return e(
        `Rate limit reached for ${m} in organization ${LEAKS.orgId} on tokens per min (TPM): Limit 30000, Used 29800, Requested 1200. Please try again in 1s. Visit https://${LEAKS.host}/account/rate-limits to learn more.`,
        "tokens",
        "rate_limit_exceeded",
      );
  }
  if (status >= 500) {
    const wording = {
      500: "The server had an error while processing your request. Sorry about that!",
      502: "Bad gateway: upstream connect error.",
      504: "Gateway timeout.",
    };
    return e(wording[status] ?? "The server is overloaded or not ready yet.", "server_error", null);
  }
  return e(`Request for model \`${m}\` rejected by ${LEAKS.host} (HTTP ${status}).`, "invalid_request_error", null);
}

/** stream-error on a non-stream request: nothing was sent yet, so the whole answer is the leaky 500. */
function sendLeakyServerError(res, body, rec) {
  sendJson(res, 500, leakyError(500, undefined, body.model, rec.apiKey), leakHeaders());
}

/** OpenAI's context-length 400, with the leaky details in its message. */
function contextLengthError(apiKey) {
  return providerError(
    "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. " +
      `Please reduce the length of the messages. ${leakTrailer(apiKey)}`,
    "invalid_request_error",
    "context_length_exceeded",
    "messages",
  );
}

/** Content-policy 400 in the shape a provider family uses: openai | azure | dashscope | moonshot. */
const CONTENT_FILTER_ERRORS = {
  openai: (t) =>
    providerError(
      `Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system. ${t}`,
      "invalid_request_error",
      "content_policy_violation",
    ),
  azure: (t) => ({
    error: {
      message: `The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. ${t}`,
      type: null,
      param: "prompt",
      code: "content_filter",
      status: 400,
      innererror: {
        code: "ResponsibleAIPolicyViolation",
        content_filter_result: {
          hate: { filtered: false, severity: "safe" },
          self_harm: { filtered: false, severity: "safe" },
          sexual: { filtered: false, severity: "safe" },
          violence: { filtered: true, severity: "high" },
        },
      },
    },
  }),
  dashscope: (t) =>
    providerError(
      `Input data may contain inappropriate content. ${t}`,
      "data_inspection_failed",
      "data_inspection_failed",
    ),
  moonshot: (t) => ({
    error: { message: `The request was rejected because it was considered high risk. ${t}`, type: "content_filter" },
  }),
};

// ---------------------------------------------------------------------------------------------
// Faults: "name[:arg]" items separated by ";" e.g. "slow-first-byte:200;no-usage"
// ---------------------------------------------------------------------------------------------

class FaultSyntaxError extends Error {}

/** Parses a fault spec into an options object. First occurrence of each option wins. */
export function parseFaults(spec, into = {}) {
  for (const raw of String(spec ?? "").split(";")) {
    const item = raw.trim();
    if (!item || item === "none") continue;
    const colon = item.indexOf(":");
    const name = (colon < 0 ? item : item.slice(0, colon)).toLowerCase();
    const arg = colon < 0 ? "" : item.slice(colon + 1).trim();
    const num = () => {
      const n = intOrUndef(arg);
      if (n === undefined) throw new FaultSyntaxError(`fault "${item}" needs a non-negative integer`);
      return n;
    };
    switch (name) {
      case "status": {
        const [code, errorCode] = arg.split(":");
        const status = Number(code);
        if (!Number.isInteger(status) || status < 100 || status > 599)
          throw new FaultSyntaxError(`fault "${item}": bad status code`);
        into.reply ??= { kind: "status", status, errorCode: errorCode || undefined };
        break;
      }
      case "leaky": {
        const [code, errorCode] = arg.split(":");
        const status = Number(code);
        if (!Number.isInteger(status) || status < 400 || status > 599)
          throw new FaultSyntaxError(`fault "${item}": use leaky:<4xx|5xx status>[:<errcode>]`);
        into.reply ??= { kind: "leaky", status, errorCode: errorCode || undefined };
        break;
      }
      case "context-length":
        into.reply ??= { kind: "context-length", status: 400 };
        break;
      case "content-filter": {
        const flavor = arg || "openai";
        if (!CONTENT_FILTER_ERRORS[flavor])
          throw new FaultSyntaxError(
            `fault "${item}": use content-filter[:${Object.keys(CONTENT_FILTER_ERRORS).join("|")}]`,
          );
        into.reply ??= { kind: "content-filter", status: 400, flavor };
        break;
      }
      case "redirect": {
        const sep = arg.indexOf(":");
        const status = Number(sep < 0 ? arg : arg.slice(0, sep));
        const location = sep < 0 ? DEFAULT_REDIRECT_LOCATION : arg.slice(sep + 1).replace(/^to=/, "");
        if (!REDIRECT_STATUSES.includes(status) || !URL.canParse(location))
          throw new FaultSyntaxError(`fault "${item}": use redirect:<${REDIRECT_STATUSES.join("|")}>[:<absolute url>]`);
        into.reply ??= { kind: "redirect", status, location };
        break;
      }
      case "stream-error":
        into.streamErrorAfter ??= num();
        break;
      case "honour":
      case "honor":
        if (!CAP_FIELDS.includes(arg))
          throw new FaultSyntaxError(`fault "${item}": use honour:${CAP_FIELDS.join("|honour:")}`);
        into.honour ??= arg;
        break;
      case "retry-after":
        into.retryAfter ??= String(num());
        break;
      case "hang":
        into.hang = true;
        break;
      case "slow-first-byte":
        into.firstByteDelayMs ??= num();
        break;
      case "slow-chunks":
        into.chunkDelayMs ??= num();
        break;
      case "cut-after":
        into.cutAfter ??= num();
        break;
      case "no-usage":
        into.noUsage = true;
        break;
      case "zero-usage":
        into.zeroUsage = true;
        break;
      case "malformed-sse":
        into.malformedSse = true;
        break;
      case "one-write":
        into.oneWrite = true;
        break;
      case "usage": {
        const [p, c] = arg.split(",").map(intOrUndef);
        if (p === undefined || c === undefined)
          throw new FaultSyntaxError(`fault "${item}": use usage:<prompt>,<completion>`);
        into.usage ??= { prompt: p, completion: c };
        break;
      }
      default:
        throw new FaultSyntaxError(`unknown fault "${item}"`);
    }
  }
  return into;
}

/** Collects faults from header, body and the first matching control-API scenario (in that priority). */
function resolveFaults(state, req, body, rec) {
  const specs = [];
  const header = req.headers["x-fake-fault"];
  if (header) specs.push(String(header));
  if (body && typeof body.fake_fault === "string") specs.push(body.fake_fault);
  const scenario = state.scenarios.find(
    (s) =>
      (s.match.model === undefined || s.match.model === rec.model) &&
      (s.match.apiKey === undefined || s.match.apiKey === rec.apiKey) &&
      (s.match.path === undefined || s.match.path === rec.path),
  );
  if (scenario) {
    specs.push(scenario.fault);
    rec.scenarioId = scenario.id;
    if (scenario.remaining !== null && --scenario.remaining <= 0) {
      state.scenarios.splice(state.scenarios.indexOf(scenario), 1);
    }
  }
  rec.faults = specs;
  const faults = {};
  for (const spec of specs) parseFaults(spec, faults);
  return faults;
}

/** The usage the response reports, after no-usage / zero-usage / usage:p,c faults. */
function reportedUsage(faults, real) {
  if (faults.noUsage) return undefined;
  if (faults.zeroUsage)
    return {
      ...real,
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      completion_tokens_details: { reasoning_tokens: 0 },
    };
  if (faults.usage) {
    const { prompt, completion } = faults.usage;
    return { ...real, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }
  return real;
}

// ---------------------------------------------------------------------------------------------
// Chat completions
// ---------------------------------------------------------------------------------------------

/** Decides whether to answer with a tool call; returns { name, arguments } or null. */
function pickToolCall(body, headers, lastMsg, userText) {
  const tools = Array.isArray(body.tools)
    ? body.tools.filter((t) => t && t.function && typeof t.function.name === "string")
    : [];
  if (!tools.length) return null;
  const choice = body.tool_choice;
  let name = headers["x-fake-tool-call"] || (typeof body.fake_tool_call === "string" ? body.fake_tool_call : undefined);
  if (!name && choice && typeof choice === "object" && choice.function?.name) name = choice.function.name;
  const auto = (tools.find((t) => /weather/i.test(t.function.name)) ?? tools[0]).function.name;
  if (!name && choice === "required") name = auto;
  if (!name && choice !== "none" && lastMsg?.role === "user" && /\bweather\b/i.test(userText)) name = auto;
  if (!name) return null;

  // Arguments: fill the tool's JSON-schema properties deterministically.
  const props = tools.find((t) => t.function.name === name)?.function.parameters?.properties ?? {};
  const args = {};
  for (const [key, schema] of Object.entries(props)) {
    const type = schema?.type;
    if (Array.isArray(schema?.enum) && schema.enum.length) args[key] = schema.enum[0];
    else if (type === "number" || type === "integer") args[key] = 1;
    else if (type === "boolean") args[key] = true;
    else if (type === "array") args[key] = [];
    else if (type === "object") args[key] = {};
    else args[key] = userText;
  }
  return { name, arguments: JSON.stringify(args) };
}

/**
 * Builds the deterministic output plan shared by stream and non-stream responses:
 * `pieces` = the per-choice token sequence, each { field: "reasoning_content"|"content"|"arguments", text }.
 */
function planChat(body, headers, faults) {
  const messages = body.messages;
  const lastUser = [...messages].reverse().find((m) => m && m.role === "user");
  const lastMsg = messages[messages.length - 1];
  const userText = textOf((lastUser ?? lastMsg)?.content);
  const promptTokens = messages.reduce((n, m) => n + words(textOf(m?.content)).length + PROMPT_TOKENS_PER_MESSAGE, 0);

  const n = Math.min(Math.max(intOrUndef(body.n) ?? 1, 1), MAX_N);
  const requested =
    intOrUndef(headers["x-fake-output-tokens"]) ?? intOrUndef(body.fake_output_tokens) ?? DEFAULT_OUTPUT_TOKENS;
  // Which cap field counts depends on the provider (honour:<field>); by default both, OpenAI's new one first.
  const capOf = (field) => intOrUndef(body[field]);
  const cap =
    (faults.honour ? capOf(faults.honour) : (capOf("max_completion_tokens") ?? capOf("max_tokens"))) ?? Infinity;
  const reasoning =
    typeof body.model === "string" && body.model.includes("reasoner") ? REASONING_WORDS.slice(0, cap) : [];
  const tool = pickToolCall(body, headers, lastMsg, userText);

  const pieces = reasoning.map((w, i) => ({ field: "reasoning_content", text: i ? " " + w : w }));
  let finishReason;
  let content = null;
  if (tool) {
    const chars = Array.from(tool.arguments);
    for (let i = 0; i < chars.length; i += TOOL_ARG_PIECE_CHARS)
      pieces.push({ field: "arguments", text: chars.slice(i, i + TOOL_ARG_PIECE_CHARS).join("") });
    finishReason = "tool_calls";
  } else {
    const count = Math.min(requested, cap - reasoning.length);
    const base = ["Echo:", ...words(userText)];
    const out = Array.from({ length: count }, (_, i) => base[i % base.length]);
    const json = ["json_object", "json_schema"].includes(body.response_format?.type);
    let texts = out.map((w, i) => (i ? " " + w : w));
    if (json) {
      // Escape each piece on its own: words have no whitespace so escaping composes.
      texts = texts.map((t) => JSON.stringify(t).slice(1, -1));
      if (texts.length === 0) texts = [""];
      texts[0] = '{"echo":"' + texts[0];
      texts[texts.length - 1] += '"}';
    }
    for (const text of texts) pieces.push({ field: "content", text });
    content = texts.join("");
    finishReason = requested + reasoning.length > cap ? "length" : "stop";
  }

  const perChoice = pieces.length;
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: perChoice * n,
    total_tokens: promptTokens + perChoice * n,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning.length * n },
  };
  return { n, pieces, content, reasoning: reasoning.join(" "), tool, finishReason, usage };
}

function chatCompletion(res, body, plan, faults, rec) {
  const message = () => {
    const m = { role: "assistant", content: plan.content, refusal: null };
    if (plan.reasoning) m.reasoning_content = plan.reasoning;
    if (plan.tool) {
      m.content = null;
      m.tool_calls = [
        { id: randomId("call_"), type: "function", function: { name: plan.tool.name, arguments: plan.tool.arguments } },
      ];
    }
    return m;
  };
  const usage = reportedUsage(faults, plan.usage);
  const response = {
    id: randomId("chatcmpl-"),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: Array.from({ length: plan.n }, (_, i) => ({
      index: i,
      message: message(),
      logprobs: null,
      finish_reason: plan.finishReason,
    })),
    ...(usage ? { usage } : {}),
    system_fingerprint: "fp_fake_upstream",
  };
  rec.tokensWritten = plan.pieces.length * plan.n;
  rec.usageSent = Boolean(usage);
  rec.usage = usage ?? null;
  sendJson(res, 200, response);
}

/**
 * SSE writing for the streaming handlers. `write` = one res.write per event, waiting for 'drain'
 * under backpressure; resolves false once the connection is gone. `cut` destroys the socket once
 * what was already written is flushed (so the client sees exactly what was written, then a reset).
 */
function sseWriter(res, rec, signal) {
  let flushed = Promise.resolve(); // settles once the last write reached the kernel
  const write = async (text) => {
    if (signal.aborted || res.destroyed) return false;
    let ok;
    flushed = new Promise((resolve) => (ok = res.write(text, () => resolve())));
    if (!ok) {
      await new Promise((resolve) => {
        const done = () => {
          res.off("drain", done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        res.once("drain", done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
    return !signal.aborted;
  };
  const cut = async () => {
    rec.cut = true;
    await Promise.race([flushed, sleep(1000, signal)]);
    res.socket?.destroy();
  };
  return { write, cut };
}

/** Delay before each streamed token: slow-chunks fault, then header, then body field. */
function chunkDelayOf(req, body, faults) {
  return (
    faults.chunkDelayMs ?? intOrUndef(req.headers["x-fake-chunk-delay-ms"]) ?? intOrUndef(body.fake_chunk_delay_ms) ?? 0
  );
}

async function chatStream(req, res, body, plan, faults, rec, signal) {
  const delay = chunkDelayOf(req, body, faults);
  const includeUsage = body.stream_options?.include_usage === true;
  const base = {
    id: randomId("chatcmpl-"),
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    system_fingerprint: "fp_fake_upstream",
  };
  // Like OpenAI: with include_usage every non-final chunk carries "usage": null.
  const chunk = (index, delta, finish = null) => ({
    ...base,
    choices: [{ index, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });

  const { write, cut } = sseWriter(res, rec, signal);
  const send = (obj) => write(`data: ${JSON.stringify(obj)}\n\n`);
  const forEachChoice = async (fn) => {
    for (let i = 0; i < plan.n; i++) if (!(await send(fn(i)))) return false;
    return true;
  };

  // Mid-stream provider error: an SSE error event (leaky 500 body), then the body ends without [DONE].
  const streamError = async () => {
    if (await send(leakyError(500, undefined, body.model, rec.apiKey))) res.end();
  };

  const headers = { "content-type": "text/event-stream", "cache-control": "no-cache" };
  res.writeHead(200, faults.streamErrorAfter !== undefined ? { ...headers, ...leakHeaders() } : headers);
  if (faults.oneWrite) res.cork(); // the headers and every event leave in one write, at res.end()
  if (!(await forEachChoice((i) => chunk(i, { role: "assistant", content: plan.tool ? null : "" })))) return;
  if (faults.malformedSse && !(await write("data: {not json\n\n"))) return;

  const toolIds = Array.from({ length: plan.n }, () => randomId("call_"));
  let toolHeaderSent = false;
  for (let t = 0; t < plan.pieces.length; t++) {
    if (faults.cutAfter !== undefined && t >= faults.cutAfter) return cut();
    if (faults.streamErrorAfter !== undefined && t >= faults.streamErrorAfter) return streamError();
    await sleep(delay, signal);
    const piece = plan.pieces[t];
    if (piece.field === "arguments" && !toolHeaderSent) {
      // Tool-call header fragment (index, id, type, name) — not counted as a token.
      toolHeaderSent = true;
      const header = (i) => ({
        index: 0,
        id: toolIds[i],
        type: "function",
        function: { name: plan.tool.name, arguments: "" },
      });
      if (!(await forEachChoice((i) => chunk(i, { tool_calls: [header(i)] })))) return;
    }
    const delta =
      piece.field === "arguments"
        ? { tool_calls: [{ index: 0, function: { arguments: piece.text } }] }
        : { [piece.field]: piece.text };
    for (let i = 0; i < plan.n; i++) {
      if (!(await send(chunk(i, delta)))) return;
      rec.tokensWritten++;
    }
  }
  if (faults.cutAfter !== undefined) return cut(); // k >= total tokens: still no finish/usage/[DONE]
  if (faults.streamErrorAfter !== undefined) return streamError();

  await sleep(delay, signal);
  if (!(await forEachChoice((i) => chunk(i, {}, plan.finishReason)))) return;
  const usage = includeUsage ? reportedUsage(faults, plan.usage) : undefined;
  if (usage) {
    if (!(await send({ ...base, choices: [], usage }))) return;
    rec.usageSent = true;
    rec.usage = usage;
  }
  if (await write("data: [DONE]\n\n")) res.end();
}

async function handleChat(req, res, body, faults, rec, signal) {
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return sendJson(res, 400, errorEnvelope(400, "'messages' must be a non-empty array"));
  if (typeof body.model !== "string" || !body.model)
    return sendJson(res, 400, errorEnvelope(400, "you must provide a model parameter"));
  if (faults.honour === "max_completion_tokens" && body.max_tokens != null)
    return sendJson(
      res,
      400,
      providerError(
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        "invalid_request_error",
        "unsupported_parameter",
        "max_tokens",
      ),
    );
  const plan = planChat(body, req.headers, faults);
  if (body.stream === true) return chatStream(req, res, body, plan, faults, rec, signal);
  if (faults.cutAfter !== undefined) {
    rec.cut = true;
    return res.socket?.destroy();
  }
  if (faults.streamErrorAfter !== undefined) return sendLeakyServerError(res, body, rec);
  chatCompletion(res, body, plan, faults, rec);
}

// ---------------------------------------------------------------------------------------------
// Embeddings
// ---------------------------------------------------------------------------------------------

/** Deterministic unit vector of `dims` float32 values from sha256(text). */
function embed(text, dims) {
  const values = [];
  for (let block = 0; values.length < dims; block++) {
    const digest = createHash("sha256").update(`${block}:${text}`).digest();
    for (let o = 0; o + 4 <= digest.length && values.length < dims; o += 4)
      values.push((digest.readUInt32LE(o) / 0xffffffff) * 2 - 1);
  }
  const norm = Math.sqrt(values.reduce((s, v) => s + v * v, 0)) || 1;
  return values.map((v) => Math.fround(v / norm));
}

function toBase64(vector) {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString("base64");
}

function handleEmbeddings(req, res, body, faults, rec) {
  const input = body.input;
  const isTokens = (a) => Array.isArray(a) && a.length > 0 && a.every((x) => Number.isInteger(x));
  let inputs;
  if (typeof input === "string") inputs = [input];
  else if (isTokens(input)) inputs = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === "string" || isTokens(x)))
    inputs = input;
  else return sendJson(res, 400, errorEnvelope(400, "'input' must be a string, an array of strings or token arrays"));
  if (typeof body.model !== "string" || !body.model)
    return sendJson(res, 400, errorEnvelope(400, "you must provide a model parameter"));
  if (faults.cutAfter !== undefined) {
    rec.cut = true;
    return res.socket?.destroy();
  }
  if (faults.streamErrorAfter !== undefined) return sendLeakyServerError(res, body, rec);

  const dims = Math.min(intOrUndef(body.dimensions) || DEFAULT_EMBEDDING_DIMS, 4096);
  const base64 = body.encoding_format === "base64";
  const data = inputs.map((inp, index) => {
    const vector = embed(typeof inp === "string" ? inp : JSON.stringify(inp), dims);
    return { object: "embedding", index, embedding: base64 ? toBase64(vector) : vector };
  });
  // prompt_tokens = Σ words(input) (token-array inputs count their length).
  const promptTokens = inputs.reduce((s, inp) => s + (typeof inp === "string" ? words(inp).length : inp.length), 0);
  let usage = reportedUsage(faults, { prompt_tokens: promptTokens, total_tokens: promptTokens });
  if (usage) usage = { prompt_tokens: usage.prompt_tokens, total_tokens: usage.prompt_tokens }; // embeddings have no completion
  rec.usageSent = Boolean(usage);
  rec.usage = usage ?? null;
  sendJson(res, 200, { object: "list", data, model: body.model, ...(usage ? { usage } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages API: POST /v1/messages and /v1/messages/count_tokens
// (https://docs.anthropic.com/en/api/messages, …/messages-streaming, …/errors)
// ---------------------------------------------------------------------------------------------

const isAnthropicPath = (path) => path === "/v1/messages" || path.startsWith("/v1/messages/");

// The error type Anthropic answers each status with (https://docs.anthropic.com/en/api/errors).
const ANTHROPIC_ERROR_TYPES = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** Anthropic's error body: {"type":"error","error":{type,message},"request_id"}. */
function anthropicError(status, message) {
  const type = ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  return { type: "error", error: { type, message }, request_id: randomId("req_") };
}

const sendAnthropicError = (res, status, message, headers) =>
  sendJson(res, status, anthropicError(status, message), headers);

/** Auth, version header, route and body checks, then faults, for the Anthropic routes. */
async function handleAnthropicApi(state, req, res, url, { body, badJson, rec, signal }) {
  if (!rec.apiKey) return sendAnthropicError(res, 401, "x-api-key header is required");
  if (rec.apiKey === "bad-key") return sendAnthropicError(res, 401, "invalid x-api-key");
  if (!req.headers["anthropic-version"]) return sendAnthropicError(res, 400, "anthropic-version: header is required");
  const route = `${req.method} ${url.pathname}`;
  const handler = { "POST /v1/messages": handleMessages, "POST /v1/messages/count_tokens": handleCountTokens }[route];
  if (!handler) return sendAnthropicError(res, 404, `Not found (${route})`);
  if (badJson || !body || typeof body !== "object" || Array.isArray(body))
    return sendAnthropicError(res, 400, "There was an error parsing the body of your request as JSON.");

  let faults;
  try {
    faults = resolveFaults(state, req, body, rec);
  } catch (err) {
    return sendAnthropicError(res, 400, `fake upstream: ${err.message}`);
  }
  if (!(await delayOrHang(faults, signal))) return;
  if (faults.reply) return sendAnthropicFaultReply(res, faults, rec);
  return handler(req, res, body, faults, rec, signal);
}

/** The answer faults in Anthropic's shape; the leaky ones carry the same provider details as for chat. */
function sendAnthropicFaultReply(res, faults, rec) {
  const { kind, status, errorCode } = faults.reply;
  const retryAfter = status === 429 ? { "retry-after": faults.retryAfter ?? "1" } : {};
  switch (kind) {
    case "status":
      return sendAnthropicError(res, status, "fake upstream error", retryAfter);
    case "leaky": {
      const { message } = leakyError(status, errorCode, rec.model, rec.apiKey).error;
      return sendAnthropicError(res, status, message, { ...leakHeaders(), ...retryAfter });
    }
    case "context-length":
      return sendAnthropicError(
        res,
        400,
        `prompt is too long: 210000 tokens > 200000 maximum ${leakTrailer(rec.apiKey)}`,
        leakHeaders(),
      );
    case "content-filter": {
      const { message } = CONTENT_FILTER_ERRORS[faults.reply.flavor](leakTrailer(rec.apiKey)).error;
      return sendAnthropicError(res, 400, message, leakHeaders());
    }
    case "redirect":
      res.writeHead(status, { location: faults.reply.location, "content-length": 0 });
      return res.end();
  }
}

/** Anthropic-style validation of the fields every Messages request needs; an error message or null. */
function messagesBodyProblem(body, { needsMaxTokens }) {
  if (typeof body.model !== "string" || !body.model) return "model: Field required";
  if (needsMaxTokens) {
    if (body.max_tokens === undefined || body.max_tokens === null) return "max_tokens: Field required";
    if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1)
      return "max_tokens: Input should be greater than or equal to 1";
  }
  if (!Array.isArray(body.messages)) return "messages: Field required";
  if (body.messages.length === 0) return "messages: at least one message is required";
  const thinking = body.thinking;
  if (thinking && typeof thinking === "object" && thinking.type === "enabled") {
    if (!Number.isInteger(thinking.budget_tokens) || thinking.budget_tokens < 1024)
      return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
    if (needsMaxTokens && thinking.budget_tokens >= body.max_tokens)
      return "`max_tokens` must be greater than `thinking.budget_tokens`.";
  }
  return null;
}

/** Input tokens: the chat count (Σ words + 3 per message), with a non-empty system prompt as one more message. */
function anthropicInputTokens(body) {
  const systemText = typeof body.system === "string" ? body.system : textOf(body.system);
  const system = systemText ? words(systemText).length + PROMPT_TOKENS_PER_MESSAGE : 0;
  return body.messages.reduce((n, m) => n + words(textOf(m?.content)).length + PROMPT_TOKENS_PER_MESSAGE, system);
}

/** x-fake-cache / fake_cache "<read>,<write>" → { read, write }; undefined when absent; throws when malformed. */
function cacheKnob(req, body) {
  const raw = req.headers["x-fake-cache"] ?? body.fake_cache;
  if (raw === undefined || raw === null || raw === "") return undefined;
  const [read, write] = String(raw).split(",").map(intOrUndef);
  if (read === undefined || write === undefined) throw new FaultSyntaxError("x-fake-cache must be <read>,<write>");
  return { read, write };
}

/** Anthropic tools / tool_choice seen as OpenAI's, so pickToolCall decides the same way for both APIs. */
function asOpenAiTools(body) {
  const tools = Array.isArray(body.tools)
    ? body.tools
        .filter((t) => t && typeof t.name === "string")
        .map((t) => ({ type: "function", function: { name: t.name, parameters: t.input_schema } }))
    : undefined;
  const c = body.tool_choice;
  const toolChoice =
    c?.type === "any"
      ? "required"
      : c?.type === "none"
        ? "none"
        : c?.type === "tool"
          ? { type: "function", function: { name: c.name } }
          : undefined;
  return { tools, tool_choice: toolChoice, fake_tool_call: body.fake_tool_call };
}

/**
 * The deterministic answer to a Messages request: content blocks, each with its pieces (1 piece = 1
 * output token: a thinking word, a text word or an 8-character piece of the tool input JSON).
 */
function planMessages(req, body) {
  const messages = body.messages;
  const lastUser = [...messages].reverse().find((m) => m && m.role === "user");
  const lastMsg = messages[messages.length - 1];
  const userText = textOf((lastUser ?? lastMsg)?.content);
  const total = anthropicInputTokens(body);
  const cache = cacheKnob(req, body) ?? { read: 0, write: 0 };

  const requested =
    intOrUndef(req.headers["x-fake-output-tokens"]) ?? intOrUndef(body.fake_output_tokens) ?? DEFAULT_OUTPUT_TOKENS;
  const cap = body.max_tokens;
  const thinking = body.thinking?.type === "enabled" ? REASONING_WORDS.slice(0, cap) : [];
  const tool = pickToolCall(asOpenAiTools(body), req.headers, lastMsg, userText);

  const blocks = [];
  if (thinking.length) {
    const text = thinking.join(" ");
    const signature = createHash("sha256").update(`signature:${text}`).digest("base64");
    blocks.push({ type: "thinking", text, signature, pieces: thinking.map((w, i) => (i ? " " + w : w)) });
  }
  let stopReason;
  if (tool) {
    const chars = Array.from(tool.arguments);
    const pieces = [];
    for (let i = 0; i < chars.length; i += TOOL_ARG_PIECE_CHARS)
      pieces.push(chars.slice(i, i + TOOL_ARG_PIECE_CHARS).join(""));
    blocks.push({ type: "tool_use", id: randomId("toolu_"), name: tool.name, input: tool.arguments, pieces });
    stopReason = "tool_use";
  } else {
    const count = Math.min(requested, cap - thinking.length);
    const base = ["Echo:", ...words(userText)];
    const pieces = Array.from({ length: count }, (_, i) => (i ? " " : "") + base[i % base.length]);
    if (pieces.length) blocks.push({ type: "text", text: pieces.join(""), pieces });
    stopReason = requested + thinking.length > cap ? "max_tokens" : "end_turn";
  }
  const outputTokens = blocks.reduce((n, b) => n + b.pieces.length, 0);
  const usage = {
    input_tokens: Math.max(0, total - cache.read - cache.write),
    cache_creation_input_tokens: cache.write,
    cache_read_input_tokens: cache.read,
    output_tokens: outputTokens,
  };
  return { blocks, stopReason, usage };
}

/** The usage a Messages answer reports, after no-usage / zero-usage / usage:<input>,<output>. */
function reportedAnthropicUsage(faults, real) {
  if (faults.noUsage) return undefined;
  if (faults.zeroUsage)
    return { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 };
  if (faults.usage) return { ...real, input_tokens: faults.usage.prompt, output_tokens: faults.usage.completion };
  return real;
}

/** A plan block as it appears in a complete Message. */
function contentBlock(block) {
  if (block.type === "thinking") return { type: "thinking", thinking: block.text, signature: block.signature };
  if (block.type === "tool_use")
    return { type: "tool_use", id: block.id, name: block.name, input: JSON.parse(block.input) };
  return { type: "text", text: block.text };
}

async function handleMessages(req, res, body, faults, rec, signal) {
  const problem = messagesBodyProblem(body, { needsMaxTokens: true });
  if (problem) return sendAnthropicError(res, 400, problem);
  let plan;
  try {
    plan = planMessages(req, body);
  } catch (err) {
    return sendAnthropicError(res, 400, `fake upstream: ${err.message}`);
  }
  if (body.stream === true) return messagesStream(req, res, body, plan, faults, rec, signal);
  if (faults.cutAfter !== undefined) {
    rec.cut = true;
    return res.socket?.destroy();
  }
  // stream-error on a non-stream request: nothing was sent yet, so the answer is the overload itself.
  if (faults.streamErrorAfter !== undefined) return sendAnthropicError(res, 529, "Overloaded");
  const usage = reportedAnthropicUsage(faults, plan.usage);
  rec.tokensWritten = plan.usage.output_tokens;
  rec.usageSent = Boolean(usage);
  rec.usage = usage ?? null;
  sendJson(res, 200, {
    id: randomId("msg_"),
    type: "message",
    role: "assistant",
    model: body.model,
    content: plan.blocks.map(contentBlock),
    stop_reason: plan.stopReason,
    stop_sequence: null,
    ...(usage ? { usage } : {}),
  });
}

/** Thrown by a streaming handler's `send` once the client is gone: nothing more to write. */
class ClientGone extends Error {}

/**
 * Anthropic's event sequence: message_start, per block content_block_start / content_block_delta… /
 * content_block_stop (a ping after the first start), message_delta (stop_reason, cumulative usage
 * restating the input and cache counts, as the current API does) and message_stop.
 */
async function messagesStream(req, res, body, plan, faults, rec, signal) {
  const delay = chunkDelayOf(req, body, faults);
  const { write, cut } = sseWriter(res, rec, signal);
  const send = async (type, data = {}) => {
    if (!(await write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`))) throw new ClientGone();
  };
  const usage = reportedAnthropicUsage(faults, plan.usage);
  const startUsage = usage && { ...usage, output_tokens: Math.min(1, usage.output_tokens) };
  const streamError = async () => {
    await send("error", { error: { type: "overloaded_error", message: "Overloaded" } });
    res.end();
  };

  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  try {
    const message = { id: randomId("msg_"), type: "message", role: "assistant", model: body.model, content: [] };
    await send("message_start", {
      message: { ...message, stop_reason: null, stop_sequence: null, ...(startUsage ? { usage: startUsage } : {}) },
    });
    if (faults.malformedSse && !(await write("event: content_block_delta\ndata: {not json\n\n"))) return;
    let written = 0;
    for (const [index, block] of plan.blocks.entries()) {
      const start =
        block.type === "thinking"
          ? { type: "thinking", thinking: "", signature: "" }
          : block.type === "tool_use"
            ? { type: "tool_use", id: block.id, name: block.name, input: {} }
            : { type: "text", text: "" };
      await send("content_block_start", { index, content_block: start });
      if (index === 0) await send("ping");
      if (block.type === "tool_use")
        await send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: "" } });
      for (const piece of block.pieces) {
        if (faults.cutAfter !== undefined && written >= faults.cutAfter) return cut();
        if (faults.streamErrorAfter !== undefined && written >= faults.streamErrorAfter) return streamError();
        await sleep(delay, signal);
        const delta =
          block.type === "thinking"
            ? { type: "thinking_delta", thinking: piece }
            : block.type === "tool_use"
              ? { type: "input_json_delta", partial_json: piece }
              : { type: "text_delta", text: piece };
        await send("content_block_delta", { index, delta });
        written++;
        rec.tokensWritten++;
      }
      if (block.type === "thinking")
        await send("content_block_delta", { index, delta: { type: "signature_delta", signature: block.signature } });
      await send("content_block_stop", { index });
    }
    if (plan.blocks.length === 0) await send("ping");
    if (faults.cutAfter !== undefined) return cut(); // k >= total tokens: still no message_delta / message_stop
    if (faults.streamErrorAfter !== undefined) return streamError();

    await sleep(delay, signal);
    await send("message_delta", {
      delta: { stop_reason: plan.stopReason, stop_sequence: null },
      ...(usage ? { usage } : {}),
    });
    rec.usageSent = Boolean(usage);
    rec.usage = usage ?? null;
    await send("message_stop");
    res.end();
  } catch (err) {
    if (!(err instanceof ClientGone)) throw err;
  }
}

/** POST /v1/messages/count_tokens → {"input_tokens": N}, N as /v1/messages counts it (before caching). */
function handleCountTokens(req, res, body, faults, rec) {
  const problem = messagesBodyProblem(body, { needsMaxTokens: false });
  if (problem) return sendAnthropicError(res, 400, problem);
  if (faults.cutAfter !== undefined) {
    rec.cut = true;
    return res.socket?.destroy();
  }
  if (faults.streamErrorAfter !== undefined) return sendAnthropicError(res, 529, "Overloaded");
  sendJson(res, 200, { input_tokens: anthropicInputTokens(body) });
}

// ---------------------------------------------------------------------------------------------
// /v1/* dispatcher with recording, auth and faults
// ---------------------------------------------------------------------------------------------

/** Reads the request body; resolves null if the client goes away first or it is too large. */
function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        return resolve(null);
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("close", () => resolve(null)); // no-op if 'end' already resolved
    req.on("error", () => resolve(null));
  });
}

async function handleApi(state, req, res, url) {
  // The Anthropic surface (/v1/messages…) authenticates with x-api-key, the OpenAI one with a bearer token.
  const anthropic = isAnthropicPath(url.pathname);
  const auth = String(req.headers.authorization ?? "");
  const bearer = /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, "").trim() : "";
  const apiKey = anthropic ? String(req.headers["x-api-key"] ?? "").trim() : bearer;
  const rec = {
    id: ++state.seq,
    method: req.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...req.headers }, // node lower-cases header names
    body: null,
    rawBody: undefined,
    apiKey: apiKey || null,
    model: null,
    stream: false,
    receivedAt: Date.now(),
    status: null,
    finishedAt: null,
    closedEarly: false, // client closed the connection before the response finished
    closedAt: null,
    cut: false, // the fake itself destroyed the socket (cut-after fault)
    faults: [],
    scenarioId: null,
    tokensWritten: 0,
    usageSent: false,
    usage: null,
  };
  state.requests.push(rec);
  if (state.requests.length > state.maxRecords) state.requests.shift(); // bounded memory for long benchmarks
  bump(state.counts.byPath, rec.path);
  if (rec.apiKey) bump(state.counts.byApiKey, rec.apiKey);
  state.counts.total++;
  state.inFlight++;

  const ac = new AbortController();
  state.aborts.add(ac);
  res.on("finish", () => {
    rec.finishedAt = Date.now();
    rec.status = res.statusCode;
  });
  res.on("close", () => {
    state.inFlight--;
    state.aborts.delete(ac);
    if (!res.writableFinished && !rec.cut) {
      rec.closedEarly = true;
      rec.closedAt = Date.now();
    }
    rec.status ??= res.headersSent ? res.statusCode : null;
    ac.abort();
  });
  const { signal } = ac;

  const raw = await readBody(req);
  if (raw === null) return;
  let body = null;
  let badJson = false;
  if (raw.length) {
    try {
      body = JSON.parse(raw.toString("utf8"));
      rec.body = body;
      if (body && typeof body === "object") {
        rec.model = typeof body.model === "string" ? body.model : null;
        if (rec.model) bump(state.counts.byModel, rec.model);
        rec.stream = body.stream === true;
      }
    } catch {
      badJson = true;
      rec.rawBody = raw.toString("utf8").slice(0, 10_000);
    }
  }

  if (anthropic) return handleAnthropicApi(state, req, res, url, { body, badJson, rec, signal });
  if (!apiKey)
    return sendJson(
      res,
      401,
      errorEnvelope(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        null,
      ),
    );
  if (apiKey === "bad-key")
    return sendJson(res, 401, {
      error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" },
    });

  const route = `${req.method} ${url.pathname}`;
  const routes = {
    "POST /v1/chat/completions": handleChat,
    "POST /v1/embeddings": handleEmbeddings,
    "GET /v1/models": handleModels,
  };
  const handler = routes[route];
  if (!handler) return sendJson(res, 404, errorEnvelope(404, `Invalid URL (${route})`, null));
  if (req.method === "POST" && (badJson || !body || typeof body !== "object" || Array.isArray(body)))
    return sendJson(
      res,
      400,
      errorEnvelope(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
      ),
    );

  let faults;
  try {
    faults = resolveFaults(state, req, body, rec);
  } catch (err) {
    return sendJson(res, 400, errorEnvelope(400, `fake upstream: ${err.message}`, "invalid_fake_fault"));
  }
  if (!(await delayOrHang(faults, signal))) return;
  if (faults.reply) return sendFaultReply(res, faults, rec);
  return handler(req, res, body ?? {}, faults, rec, signal);
}

/** slow-first-byte and hang, before any answer; false when nothing more should be sent. */
async function delayOrHang(faults, signal) {
  if (faults.firstByteDelayMs) await sleep(faults.firstByteDelayMs, signal);
  if (signal.aborted) return false;
  if (faults.hang) {
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    return false;
  }
  return true;
}

/** Answers an error or redirect fault (status, leaky, context-length, content-filter, redirect). */
function sendFaultReply(res, faults, rec) {
  const { kind, status, errorCode } = faults.reply;
  const retryAfter = status === 429 ? { "retry-after": faults.retryAfter ?? "1" } : {};
  switch (kind) {
    case "status":
      return sendJson(res, status, errorEnvelope(status, "fake upstream error", errorCode), retryAfter);
    case "leaky":
      return sendJson(res, status, leakyError(status, errorCode, rec.model, rec.apiKey), {
        ...leakHeaders(),
        ...retryAfter,
      });
    case "context-length":
      return sendJson(res, status, contextLengthError(rec.apiKey), leakHeaders());
    case "content-filter":
      return sendJson(res, status, CONTENT_FILTER_ERRORS[faults.reply.flavor](leakTrailer(rec.apiKey)), leakHeaders());
    case "redirect":
      res.writeHead(status, { location: faults.reply.location, "content-length": 0 });
      return res.end();
  }
}

function handleModels(req, res) {
  const created = 1_700_000_000;
  sendJson(res, 200, {
    object: "list",
    data: MODELS.map((id) => ({ id, object: "model", created, owned_by: "fake-upstream" })),
  });
}

// ---------------------------------------------------------------------------------------------
// /__control/* API (not recorded)
// ---------------------------------------------------------------------------------------------

const bump = (map, key) => (map[key] = (map[key] ?? 0) + 1);

function clearRecords(state) {
  state.requests = [];
  const map = () => Object.create(null); // null prototype: model "__proto__" is just a key
  state.counts = { total: 0, byPath: map(), byModel: map(), byApiKey: map() };
}

async function handleControl(state, req, res, url) {
  const route = `${req.method} ${url.pathname}`;
  const q = url.searchParams;
  switch (route) {
    case "GET /__control/requests": {
      const requests = state.requests.filter(
        (r) =>
          (!q.has("model") || r.model === q.get("model")) &&
          (!q.has("apiKey") || r.apiKey === q.get("apiKey")) &&
          (!q.has("path") || r.path === q.get("path")),
      );
      return sendJson(res, 200, { requests });
    }
    case "DELETE /__control/requests": {
      const cleared = state.requests.length;
      clearRecords(state);
      return sendJson(res, 200, { ok: true, cleared });
    }
    case "GET /__control/stats": {
      // Counters survive the maxRecords cap; they reset with the request log.
      return sendJson(res, 200, {
        ...state.counts,
        open: state.sockets.size, // TCP connections currently open (incl. idle keep-alive ones)
        inFlight: state.inFlight, // /v1 requests whose response has not closed yet
      });
    }
    case "GET /__control/scenario":
      return sendJson(res, 200, { scenarios: state.scenarios });
    case "POST /__control/scenario": {
      const raw = await readBody(req);
      let s;
      try {
        s = JSON.parse(raw?.toString("utf8") || "null");
        if (!s || typeof s !== "object" || typeof s.fault !== "string")
          throw new FaultSyntaxError("body must be { match?, fault: string, times? }");
        parseFaults(s.fault); // validate now rather than on the first matching request
        if (s.times !== undefined && (!Number.isInteger(s.times) || s.times < 1))
          throw new FaultSyntaxError("times must be a positive integer");
      } catch (err) {
        return sendJson(res, 400, errorEnvelope(400, `fake upstream: ${err.message}`));
      }
      const m = s.match && typeof s.match === "object" ? s.match : {};
      const scenario = {
        id: ++state.seq,
        match: { model: m.model ?? undefined, apiKey: m.apiKey ?? undefined, path: m.path ?? undefined },
        fault: s.fault,
        remaining: s.times ?? null, // null = unlimited
      };
      state.scenarios.push(scenario);
      return sendJson(res, 201, { scenario });
    }
    case "DELETE /__control/scenario": {
      const before = state.scenarios.length;
      state.scenarios = q.has("id") ? state.scenarios.filter((s) => String(s.id) !== q.get("id")) : [];
      return sendJson(res, 200, { ok: true, cleared: before - state.scenarios.length });
    }
    case "POST /__control/reset":
      clearRecords(state);
      state.scenarios = [];
      return sendJson(res, 200, { ok: true });
    default:
      return sendJson(res, 404, errorEnvelope(404, `Unknown control route (${route})`));
  }
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

/** Starts the fake upstream. Resolves { url, baseUrl (= url + "/v1"), port, close() }. */
export function startFakeUpstream({ port = 0, host = "127.0.0.1", maxRecords = DEFAULT_MAX_RECORDS } = {}) {
  const state = {
    seq: 0,
    requests: [],
    counts: null,
    maxRecords,
    scenarios: [],
    sockets: new Set(),
    aborts: new Set(),
    inFlight: 0,
  };
  clearRecords(state);

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    req.on("error", () => {});
    res.on("error", () => {});
    const url = new URL(req.url ?? "/", "http://fake-upstream");
    let handling;
    if (url.pathname.startsWith("/__control/")) handling = handleControl(state, req, res, url);
    else if (url.pathname === "/v1" || url.pathname.startsWith("/v1/")) handling = handleApi(state, req, res, url);
    else if (url.pathname === "/health") handling = Promise.resolve(sendJson(res, 200, { ok: true }));
    else
      handling = Promise.resolve(
        sendJson(res, 404, errorEnvelope(404, `Invalid URL (${req.method} ${url.pathname})`, null)),
      );
    handling.catch((err) => {
      // Last-resort guard: a bug in the fake must never crash the process.
      console.error("[fake-upstream] handler error:", err);
      if (!res.headersSent) sendJson(res, 500, errorEnvelope(500, "fake upstream internal error"));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket) => {
    state.sockets.add(socket);
    socket.on("close", () => state.sockets.delete(socket));
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const actualPort = server.address().port;
      const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
      const url = `http://${urlHost}:${actualPort}`;
      let closing;
      const close = () =>
        (closing ??= new Promise((done) => {
          server.close(() => done());
          for (const ac of state.aborts) ac.abort(); // ends hangs / sleeps
          server.closeAllConnections();
          for (const s of state.sockets) s.destroy();
        }));
      resolve({ url, baseUrl: `${url}/v1`, port: actualPort, close });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// CLI entry point
// ---------------------------------------------------------------------------------------------

function isMainModule() {
  try {
    return Boolean(process.argv[1]) && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}
const isMain = isMainModule();
if (isMain) {
  const port = Number(process.env.FAKE_UPSTREAM_PORT || 0);
  const host = process.env.FAKE_UPSTREAM_HOST || "127.0.0.1";
  try {
    const srv = await startFakeUpstream({ port, host });
    process.stdout.write(`FAKE_UPSTREAM_LISTENING ${srv.port}\n`);
    const shutdown = () => srv.close().then(() => process.exit(0));
    process.on("SIGTERM", shutdown);
    process.on("SIGINT", shutdown);
    // When spawned by client.ts, exit if the parent dies (its end of our stdin closes).
    if (process.env.FAKE_UPSTREAM_EXIT_WITH_PARENT === "1") {
      process.stdin.on("end", shutdown);
      process.stdin.on("error", shutdown);
      process.stdin.resume();
    }
  } catch (err) {
    console.error(`[fake-upstream] failed to listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }
}
