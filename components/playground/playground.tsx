"use client";

import { createParser } from "eventsource-parser";
import Link from "next/link";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Button } from "@/components/ui/button";
import { INPUT_CLASS } from "@/components/ui/field";
import { usdToNanos } from "@/lib/billing/money";
import { formatCount, formatUsd } from "@/lib/format";
import type { PlaygroundKey } from "@/lib/playground/keys";

// The playground: chat through one of the organization's keys (billed like any request with it),
// tokens rendered as they stream, and after each answer its receipt (cost, tokens, routed model).

interface Receipt {
  requestId: string | null;
  model: string | null;
  route: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: string | null;
  stopped: boolean;
}

interface Message {
  role: "user" | "assistant";
  content: string;
  receipt?: Receipt;
}

interface Problem {
  title: string;
  detail: string;
  action?: { href: string; label: string };
}

const DEFAULT_MAX_TOKENS = 512;

export function Playground({ keys }: { keys: PlaygroundKey[] }) {
  const ids = useId();
  const [keyId, setKeyId] = useState(keys[0].id);
  const key = keys.find((k) => k.id === keyId) ?? keys[0];
  const defaultModel = (k: PlaygroundKey) => (k.models.some((m) => m.id === "auto") ? "auto" : (k.models[0]?.id ?? ""));
  const [model, setModel] = useState(() => defaultModel(keys[0]));
  const [system, setSystem] = useState("");
  const [temperature, setTemperature] = useState("1");
  const [maxTokens, setMaxTokens] = useState(String(DEFAULT_MAX_TOKENS));
  const [messages, setMessages] = useState<Message[]>([]);
  const [draft, setDraft] = useState("");
  const [streaming, setStreaming] = useState<string | null>(null); // the answer so far, while streaming
  const [problem, setProblem] = useState<Problem | null>(null);
  const [status, setStatus] = useState("");
  const controller = useRef<AbortController | null>(null);
  const endRef = useRef<HTMLDivElement>(null);

  // Braces matter: newer browsers return a promise from scrollIntoView, which React would call as cleanup.
  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: "nearest" });
  }, [messages, streaming]);

  const temperatureValue = Number(temperature);
  const temperatureError =
    temperature.trim() === "" || !Number.isFinite(temperatureValue) || temperatureValue < 0 || temperatureValue > 2
      ? "Between 0 and 2."
      : null;
  const maxTokensValue = Number(maxTokens);
  const maxTokensError =
    !Number.isInteger(maxTokensValue) || maxTokensValue < 1 || maxTokensValue > 32_768
      ? "A whole number from 1 to 32,768."
      : null;
  const busy = streaming !== null;

  function changeKey(id: string) {
    setKeyId(id);
    const next = keys.find((k) => k.id === id);
    if (next && !next.models.some((m) => m.id === model)) setModel(defaultModel(next));
  }

  async function send(event?: FormEvent) {
    event?.preventDefault();
    const content = draft.trim();
    if (!content || busy || temperatureError || maxTokensError || !model) return;
    const history: Message[] = [...messages, { role: "user", content }];
    setMessages(history);
    setDraft("");
    setProblem(null);
    setStreaming("");
    setStatus("Generating an answer…");
    const abort = new AbortController();
    controller.current = abort;
    const receipt: Receipt = {
      requestId: null,
      model: null,
      route: null,
      promptTokens: null,
      completionTokens: null,
      costUsd: null,
      stopped: false,
    };
    let text = "";
    try {
      const res = await fetch("/api/playground/chat", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          keyId,
          model,
          ...(system.trim() ? { system } : {}),
          messages: history.map(({ role, content: c }) => ({ role, content: c })),
          temperature: temperatureValue,
          maxTokens: maxTokensValue,
        }),
        signal: abort.signal,
      });
      receipt.requestId = res.headers.get("x-request-id");
      receipt.model = res.headers.get("x-tokenflow-model");
      receipt.route = res.headers.get("x-tokenflow-route");
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
        throw describeFailure(res.status, body?.error, res.headers.get("retry-after"));
      }
      let streamError: Problem | null = null;
      const parser = createParser({
        onEvent(message) {
          if (message.data === "[DONE]") return;
          let chunk: StreamChunk;
          try {
            chunk = JSON.parse(message.data) as StreamChunk;
          } catch {
            return;
          }
          if (chunk.error) {
            streamError = {
              title: "The answer stopped with an error",
              detail: chunk.error.message ?? "Unknown error.",
            };
            return;
          }
          if (chunk.model) receipt.model = chunk.model;
          const delta = chunk.choices?.[0]?.delta?.content;
          if (delta) {
            text += delta;
            setStreaming(text);
          }
          if (chunk.usage) {
            receipt.promptTokens = chunk.usage.prompt_tokens ?? null;
            receipt.completionTokens = chunk.usage.completion_tokens ?? null;
            receipt.costUsd = chunk.usage.cost_usd ?? null;
          }
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
      if (streamError) setProblem(streamError);
      setStatus("Answer complete.");
    } catch (err) {
      if (abort.signal.aborted) {
        receipt.stopped = true;
        setStatus("Stopped.");
      } else {
        setProblem(
          isProblem(err)
            ? err
            : { title: "Could not reach TokenFlow", detail: "Check your connection and send the message again." },
        );
        setStatus("");
      }
    } finally {
      controller.current = null;
      setStreaming(null);
      if (text || receipt.requestId) {
        setMessages((current) =>
          text || receipt.stopped ? [...current, { role: "assistant", content: text, receipt }] : current,
        );
      }
    }
  }

  function onComposerKey(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter adds a line (as in most chat apps).
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  }

  return (
    <div className="grid gap-6 lg:grid-cols-[18rem_1fr]">
      <section
        aria-labelledby={`${ids}-settings`}
        className="grid content-start gap-4 rounded-lg border border-slate-200 bg-white p-4 shadow-xs"
      >
        <h2 id={`${ids}-settings`} className="text-base font-semibold text-slate-900">
          Settings
        </h2>
        <div className="grid gap-1.5">
          <label htmlFor={`${ids}-key`} className="text-sm font-medium text-slate-800">
            API key
          </label>
          <select
            id={`${ids}-key`}
            className={INPUT_CLASS}
            value={keyId}
            onChange={(e) => changeKey(e.target.value)}
            disabled={busy}
            aria-describedby={`${ids}-key-hint`}
          >
            {keys.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.partialKey})
              </option>
            ))}
          </select>
          <p id={`${ids}-key-hint`} className="text-xs text-slate-500">
            Billed to this key, with its limits, like any request it makes.
          </p>
        </div>
        <div className="grid gap-1.5">
          <label htmlFor={`${ids}-model`} className="text-sm font-medium text-slate-800">
            Model
          </label>
          {key.models.length > 0 ? (
            <select
              id={`${ids}-model`}
              className={INPUT_CLASS}
              value={model}
              onChange={(e) => setModel(e.target.value)}
              disabled={busy}
              aria-describedby={`${ids}-model-hint`}
            >
              {key.models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id}
                </option>
              ))}
            </select>
          ) : (
            <select id={`${ids}-model`} className={INPUT_CLASS} disabled aria-describedby={`${ids}-model-hint`}>
              <option>No model available</option>
            </select>
          )}
          <p id={`${ids}-model-hint`} className="text-xs text-slate-500">
            {key.models.length === 0
              ? "No model this key may use is served right now."
              : (key.models.find((m) => m.id === model)?.description ?? "The models this key may use.")}
          </p>
        </div>
        <div className="grid gap-1.5">
          <label htmlFor={`${ids}-system`} className="text-sm font-medium text-slate-800">
            System prompt
          </label>
          <textarea
            id={`${ids}-system`}
            className={INPUT_CLASS}
            rows={3}
            value={system}
            onChange={(e) => setSystem(e.target.value)}
            placeholder="You are a helpful assistant."
            disabled={busy}
          />
        </div>
        <div className="grid grid-cols-2 gap-3">
          <NumberField
            id={`${ids}-temperature`}
            label="Temperature"
            value={temperature}
            onChange={setTemperature}
            error={temperatureError}
            step="0.1"
            min="0"
            max="2"
            disabled={busy}
          />
          <NumberField
            id={`${ids}-max-tokens`}
            label="Max tokens"
            value={maxTokens}
            onChange={setMaxTokens}
            error={maxTokensError}
            step="1"
            min="1"
            max="32768"
            disabled={busy}
          />
        </div>
      </section>

      <section
        aria-labelledby={`${ids}-conversation`}
        className="flex min-h-[28rem] min-w-0 flex-col rounded-lg border border-slate-200 bg-white shadow-xs"
      >
        <div className="flex items-center justify-between gap-3 border-b border-slate-100 px-4 py-3">
          <h2 id={`${ids}-conversation`} className="text-base font-semibold text-slate-900">
            Conversation
          </h2>
          <Button
            variant="ghost"
            onClick={() => {
              setMessages([]);
              setProblem(null);
              setStatus("Conversation cleared.");
            }}
            disabled={busy || messages.length === 0}
          >
            Clear conversation
          </Button>
        </div>
        <div
          role="log"
          aria-live="polite"
          aria-labelledby={`${ids}-conversation`}
          className="grid flex-1 content-start gap-4 overflow-y-auto px-4 py-4"
          data-testid="playground-log"
        >
          {messages.length === 0 && !busy && (
            <p className="py-10 text-center text-sm text-slate-500">
              Send a message to start. Each answer is a real request through the key you picked, and shows what it cost.
            </p>
          )}
          {messages.map((m, i) => (
            <MessageView key={i} message={m} />
          ))}
          {busy && (
            <div className="grid gap-1" data-testid="playground-streaming">
              <p className="text-xs font-medium text-slate-500">Assistant</p>
              <div className="rounded-lg bg-slate-50 px-3 py-2 text-sm whitespace-pre-wrap text-slate-900">
                {streaming || <span className="text-slate-400">Thinking…</span>}
              </div>
            </div>
          )}
          <div ref={endRef} />
        </div>
        {problem && (
          <div
            role="alert"
            className="mx-4 mb-3 rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900"
            data-testid="playground-error"
          >
            <p className="font-semibold">{problem.title}</p>
            <p>{problem.detail}</p>
            {problem.action && (
              <Link href={problem.action.href} className="mt-1 inline-block font-medium text-red-800 underline">
                {problem.action.label}
              </Link>
            )}
          </div>
        )}
        <p className="sr-only" aria-live="polite">
          {status}
        </p>
        <form onSubmit={send} className="grid gap-2 border-t border-slate-100 px-4 py-3">
          <label htmlFor={`${ids}-message`} className="text-sm font-medium text-slate-800">
            Message
          </label>
          <textarea
            id={`${ids}-message`}
            className={INPUT_CLASS}
            rows={3}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onComposerKey}
            placeholder="Ask anything…"
            aria-describedby={`${ids}-message-hint`}
          />
          <div className="flex flex-wrap items-center justify-between gap-2">
            <p id={`${ids}-message-hint`} className="text-xs text-slate-500">
              Enter sends, Shift+Enter adds a line.
            </p>
            {busy ? (
              <Button variant="secondary" onClick={() => controller.current?.abort()}>
                Stop
              </Button>
            ) : (
              <button
                type="submit"
                className="inline-flex items-center justify-center rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:opacity-60"
                disabled={!draft.trim() || !model || Boolean(temperatureError || maxTokensError)}
              >
                Send
              </button>
            )}
          </div>
        </form>
      </section>
    </div>
  );
}

interface StreamChunk {
  model?: string;
  choices?: Array<{ delta?: { content?: string | null } }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; cost_usd?: string } | null;
  error?: { message?: string; code?: string };
}

function NumberField(props: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  error: string | null;
  step: string;
  min: string;
  max: string;
  disabled: boolean;
}) {
  return (
    <div className="grid gap-1.5">
      <label htmlFor={props.id} className="text-sm font-medium text-slate-800">
        {props.label}
      </label>
      <input
        id={props.id}
        type="number"
        inputMode="decimal"
        className={INPUT_CLASS}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        step={props.step}
        min={props.min}
        max={props.max}
        disabled={props.disabled}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${props.id}-error` : undefined}
      />
      {props.error && (
        <p id={`${props.id}-error`} role="alert" className="text-xs text-red-700">
          {props.error}
        </p>
      )}
    </div>
  );
}

function MessageView({ message }: { message: Message }) {
  const mine = message.role === "user";
  return (
    <div
      className={`grid gap-1 ${mine ? "justify-items-end" : ""}`}
      data-testid={mine ? "message-user" : "message-assistant"}
    >
      <p className="text-xs font-medium text-slate-500">{mine ? "You" : "Assistant"}</p>
      <div
        className={`max-w-full rounded-lg px-3 py-2 text-sm whitespace-pre-wrap ${
          mine ? "bg-indigo-600 text-white" : "bg-slate-50 text-slate-900"
        }`}
      >
        {message.content || <span className="text-slate-500 italic">(stopped before any text)</span>}
      </div>
      {message.receipt && <ReceiptView receipt={message.receipt} />}
    </div>
  );
}

function ReceiptView({ receipt }: { receipt: Receipt }) {
  const parts: string[] = [];
  if (receipt.model) parts.push(receipt.model);
  if (receipt.promptTokens !== null && receipt.completionTokens !== null)
    parts.push(`${formatCount(receipt.promptTokens)} in / ${formatCount(receipt.completionTokens)} out tokens`);
  return (
    <div className="grid gap-0.5 text-xs text-slate-500" data-testid="playground-receipt">
      <p>
        {receipt.costUsd !== null ? (
          <>
            Cost <strong className="font-semibold text-slate-800">{formatCost(receipt.costUsd)}</strong>
          </>
        ) : receipt.stopped ? (
          "Stopped: billed for the tokens produced, see the request log"
        ) : (
          "Cost not reported"
        )}
        {parts.length > 0 && ` · ${parts.join(" · ")}`}
      </p>
      {receipt.route && <p>Routed: {receipt.route}</p>}
      {receipt.requestId && <p className="font-mono">{receipt.requestId}</p>}
    </div>
  );
}

function formatCost(costUsd: string): string {
  try {
    return formatUsd(usdToNanos(costUsd));
  } catch {
    return `$${costUsd}`;
  }
}

function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "title" in value && "detail" in value;
}

/** What went wrong, in words a member can act on (the server's message says the specifics). */
function describeFailure(
  status: number,
  error: { code?: string; message?: string } | undefined,
  retryAfter: string | null,
): Problem {
  const detail = error?.message ?? `The request failed (HTTP ${status}).`;
  switch (status) {
    case 402:
      return {
        title: "Insufficient balance",
        detail,
        action: { href: "/dashboard", label: "See the balance" },
      };
    case 429:
      return {
        title: "Rate limit reached",
        detail: retryAfter ? `${detail} Try again in ${retryAfter} s.` : detail,
      };
    case 401:
      return error?.code === "key_inactive"
        ? {
            title: "This key was revoked or has expired",
            detail,
            action: { href: "/dashboard/keys", label: "Manage keys" },
          }
        : {
            title: "You are signed out",
            detail: "Sign in again to use the playground.",
            action: { href: "/login?callbackUrl=/dashboard/playground", label: "Sign in" },
          };
    case 403:
      return { title: "Not allowed", detail };
    case 404:
      return { title: "Not found", detail };
    default:
      return { title: status >= 500 ? "The model could not answer" : "The request was refused", detail };
  }
}
