"use client";

import { useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { apiRequest } from "@/components/api-request";
import { formatMs } from "@/lib/admin/channel-display";

// "Test" per channel and "Test all": POST /api/admin/channels/{id}/test sends one real one-token
// request through the SSRF guard; the answer (latency or the reason) shows beside the channel, and
// the page reloads its figures (the test records the channel's last check).

interface TestResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

type TestState = { pending: true } | { pending: false; result: TestResult };

interface ChannelTestsValue {
  states: Record<string, TestState>;
  run: (id: string) => Promise<TestResult>;
  runAll: () => Promise<void>;
  runningAll: boolean;
}

const ChannelTestsContext = createContext<ChannelTestsValue | null>(null);

function useChannelTests(): ChannelTestsValue {
  const value = useContext(ChannelTestsContext);
  if (!value) throw new Error("useChannelTests outside <ChannelTests>");
  return value;
}

export function ChannelTests({ channelIds, children }: { channelIds: string[]; children: ReactNode }) {
  const router = useRouter();
  const [states, setStates] = useState<Record<string, TestState>>({});
  const [runningAll, setRunningAll] = useState(false);

  const test = useCallback(async (id: string): Promise<TestResult> => {
    setStates((s) => ({ ...s, [id]: { pending: true } }));
    let result: TestResult;
    try {
      result = await apiRequest<TestResult>("POST", `/api/admin/channels/${encodeURIComponent(id)}/test`);
    } catch (err) {
      result = { ok: false, latencyMs: 0, error: (err as Error).message };
    }
    setStates((s) => ({ ...s, [id]: { pending: false, result } }));
    return result;
  }, []);

  const value = useMemo<ChannelTestsValue>(
    () => ({
      states,
      runningAll,
      run: async (id) => {
        const result = await test(id);
        router.refresh();
        return result;
      },
      runAll: async () => {
        setRunningAll(true);
        // A few at a time: each is a real request to an upstream account.
        const queue = [...channelIds];
        const worker = async () => {
          for (let id = queue.shift(); id !== undefined; id = queue.shift()) await test(id);
        };
        await Promise.all([worker(), worker(), worker()]);
        setRunningAll(false);
        router.refresh();
      },
    }),
    [states, runningAll, test, channelIds, router],
  );
  return <ChannelTestsContext.Provider value={value}>{children}</ChannelTestsContext.Provider>;
}

export function TestAllButton({ count }: { count: number }) {
  const { runAll, runningAll, states } = useChannelTests();
  const done = Object.values(states).filter((s) => !s.pending);
  const failed = done.filter((s) => !s.pending && !s.result.ok).length;
  return (
    <div className="flex flex-wrap items-center gap-3">
      {!runningAll && done.length > 0 && (
        <p role="status" className="text-sm text-slate-600" data-testid="test-all-summary">
          {done.length - failed} of {done.length} tested channel{done.length === 1 ? "" : "s"} answered
        </p>
      )}
      <Button variant="secondary" onClick={() => void runAll()} disabled={runningAll || count === 0}>
        {runningAll ? "Testing…" : "Test all"}
      </Button>
    </div>
  );
}

export function TestButton({ id, name }: { id: string; name: string }) {
  const { run, states, runningAll } = useChannelTests();
  const state = states[id];
  return (
    <Button
      variant="secondary"
      aria-label={`Test “${name}”`}
      onClick={() => void run(id)}
      disabled={runningAll || state?.pending === true}
    >
      {state?.pending ? "Testing…" : "Test"}
    </Button>
  );
}

/** The latest test's outcome for one channel (nothing until it was tested on this page). */
export function TestOutcome({ id }: { id: string }) {
  const state = useChannelTests().states[id];
  if (!state) return null;
  if (state.pending)
    return (
      <p role="status" className="text-sm text-slate-600">
        Sending a one-token request…
      </p>
    );
  const { result } = state;
  return result.ok ? (
    <p role="status" className="text-sm text-emerald-700" data-testid="test-result">
      Test passed: answered in {formatMs(result.latencyMs)}.
    </p>
  ) : (
    <p role="alert" className="text-sm break-words text-red-700" data-testid="test-result">
      Test failed{result.latencyMs > 0 ? ` after ${formatMs(result.latencyMs)}` : ""}: {result.error}
    </p>
  );
}
