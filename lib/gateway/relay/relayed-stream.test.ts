import { PassThrough, Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { startedStream } from "../upstream";
import { RelayedStream, type RelayHooks } from "./relayed-stream";

const bytes = (text: string) => Buffer.from(text);

async function relay(upstream: PassThrough, overrides: Partial<RelayHooks> = {}) {
  const hooks = {
    translate: vi.fn((chunk: Uint8Array): string | null => Buffer.from(chunk).toString().toUpperCase()),
    finish: vi.fn(async () => "END"),
    cancel: vi.fn(),
    ...overrides,
  };
  const source = await startedStream(upstream);
  return { stream: new RelayedStream(source, hooks), hooks };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe("RelayedStream", () => {
  it("passes translated chunks on as they come, then the closing text once the upstream ends", async () => {
    const upstream = new PassThrough();
    upstream.write(bytes("a"));
    const { stream, hooks } = await relay(upstream);
    upstream.write(bytes("b"));
    upstream.end(bytes("c"));
    expect(await readAll(stream)).toBe("ABCEND");
    expect(hooks.finish).toHaveBeenCalledTimes(1);
    expect(hooks.cancel).not.toHaveBeenCalled();
  });

  it("finishes an upstream that had ended before the relay started (the whole answer in one read)", async () => {
    const upstream = new PassThrough();
    upstream.end(bytes("only"));
    const { stream, hooks } = await relay(upstream);
    expect(await readAll(stream)).toBe("ONLYEND");
    expect(hooks.finish).toHaveBeenCalledTimes(1);
  });

  it("finishes an upstream that had failed before the relay started", async () => {
    const upstream = new PassThrough();
    upstream.write(bytes("a"));
    const source = await startedStream(upstream);
    // Nobody relays it yet: its failure must still have a listener (else an uncaught exception).
    expect(upstream.listenerCount("error")).toBeGreaterThan(0);
    upstream.destroy(new Error("reset"));
    await new Promise((r) => setImmediate(r));
    const hooks = {
      translate: (c: Uint8Array) => Buffer.from(c).toString(),
      finish: vi.fn(async () => "CUT"),
      cancel: vi.fn(),
    };
    expect(await readAll(new RelayedStream(source, hooks))).toBe("aCUT");
  });

  it("skips empty translations and stops reading when the translation says so", async () => {
    const upstream = new PassThrough();
    upstream.write(bytes("keep"));
    const seen: string[] = [];
    const { stream, hooks } = await relay(upstream, {
      translate: (chunk) => {
        const text = Buffer.from(chunk).toString();
        seen.push(text);
        return text === "stop" ? null : text === "skip" ? "" : text;
      },
    });
    upstream.write(bytes("skip"));
    await new Promise((r) => setImmediate(r));
    upstream.write(bytes("stop"));
    await new Promise((r) => setImmediate(r));
    upstream.write(bytes("never")); // written after the stop: not read
    expect(await readAll(stream)).toBe("keepEND");
    expect(seen).toEqual(["keep", "skip", "stop"]);
    expect(upstream.destroyed).toBe(true); // closed, so the upstream connection stops too
    expect(hooks.finish).toHaveBeenCalledTimes(1);
  });

  it("pauses the upstream while the client is not reading, and resumes it when the client reads again", async () => {
    const upstream = new PassThrough();
    upstream.write(bytes("x".repeat(64 * 1024))); // past the relay's buffer at once
    const { stream } = await relay(upstream, { translate: (chunk) => Buffer.from(chunk).toString() });
    expect(upstream.isPaused()).toBe(true);
    upstream.write(bytes("more"));
    upstream.end();
    const text = await readAll(stream);
    expect(text).toBe(`${"x".repeat(64 * 1024)}moreEND`);
  });

  it("ends with the closing text when the upstream fails mid-stream", async () => {
    const upstream = new PassThrough();
    upstream.write(bytes("a"));
    const { stream, hooks } = await relay(upstream, { finish: async () => "FAILED" });
    upstream.destroy(new Error("connection reset"));
    expect(await readAll(stream)).toBe("AFAILED");
    expect(hooks.cancel).not.toHaveBeenCalled();
  });

  it("tells the producer once, by cancel and never finish, when the client goes away", async () => {
    const upstream = new PassThrough();
    upstream.write(bytes("a"));
    const { stream, hooks } = await relay(upstream);
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    stream.pipe(sink);
    await new Promise((r) => setImmediate(r));
    stream.destroy();
    stream.destroy();
    upstream.end(bytes("late"));
    await new Promise((r) => setImmediate(r));
    expect(hooks.cancel).toHaveBeenCalledTimes(1);
    expect(hooks.finish).not.toHaveBeenCalled();
  });

  it("fails the stream when settling fails, so the response is cut rather than ended as complete", async () => {
    const upstream = new PassThrough();
    upstream.write(bytes("a"));
    const { stream } = await relay(upstream, { finish: async () => Promise.reject(new Error("settlement lost")) });
    upstream.end();
    await expect(readAll(stream)).rejects.toThrow("settlement lost");
  });

  it("an upstream that ends before any bytes is a failure the caller can fail over from", async () => {
    const upstream = new PassThrough();
    upstream.end();
    await expect(startedStream(upstream)).rejects.toThrow("ended before any data");
    const reset = new PassThrough();
    reset.destroy();
    await new Promise((r) => setImmediate(r)); // its close was reported before anyone listened
    await expect(startedStream(reset)).rejects.toThrow("ended before any data");
  });
});
