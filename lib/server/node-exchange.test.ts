import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayResponse, type GatewayRequest, type StreamBody } from "@/lib/gateway/http";
import { NodeHeaders, NodeRequest, sendGatewayResponse } from "./node-exchange";

// The node:http ⇄ gateway exchange over a real server and real sockets.

let server: http.Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function serve(handler: (request: GatewayRequest, res: http.ServerResponse) => Promise<void>): Promise<string> {
  server = http.createServer((req, res) => {
    void handler(new NodeRequest(req, new AbortController().signal, { "x-server-fact": "set by us" }), res);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("NodeHeaders", () => {
  it("reads names in any case and joins repeated values like web Headers", () => {
    const headers = new NodeHeaders(["Authorization", "Bearer a", "X-Tag", "one", "x-tag", "two"]);
    expect(headers.get("authorization")).toBe("Bearer a");
    expect(headers.get("X-TAG")).toBe("one, two");
    expect(headers.get("missing")).toBeNull();
    const web = new Headers([
      ["X-Tag", "one"],
      ["x-tag", "two"],
    ]);
    expect(headers.get("x-tag")).toBe(web.get("x-tag"));
  });

  it("lets the server's own values win over what the client sent", () => {
    const headers = new NodeHeaders(["X-Tokenflow-Peer-Address", "6.6.6.6"], {
      "x-tokenflow-peer-address": "10.0.0.1",
    });
    expect(headers.get("x-tokenflow-peer-address")).toBe("10.0.0.1");
  });
});

describe("NodeRequest.readBody", () => {
  it("reads a chunked body and refuses one over the cap, leaving the connection usable for the answer", async () => {
    const url = await serve(async (request, res) => {
      const bytes = await request.readBody(1024);
      await sendGatewayResponse(
        res,
        bytes === null
          ? GatewayResponse.json({ refused: true }, { status: 413 })
          : GatewayResponse.json({ size: bytes.byteLength, headers: request.headers.get("x-server-fact") }),
      );
    });
    const small = await fetch(url, { method: "POST", body: "x".repeat(1000), headers: { "x-server-fact": "forged" } });
    expect(await small.json()).toEqual({ size: 1000, headers: "set by us" });

    // Streamed without a length: counted while read, refused once past the cap.
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(200).fill(0x20));
        controller.close();
      },
    });
    const big = await fetch(url, { method: "POST", body: chunked, duplex: "half" } as RequestInit);
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ refused: true });

    // A declared length over the cap is refused before any of it is read.
    const declared = await fetch(url, { method: "POST", body: "y".repeat(5000) });
    expect(declared.status).toBe(413);
  });
});

describe("sendGatewayResponse", () => {
  it("writes a JSON answer in one go with its status, headers and length", async () => {
    const url = await serve(async (_request, res) => {
      await sendGatewayResponse(
        res,
        GatewayResponse.json({ ok: "é" }, { status: 201, headers: { "x-request-id": "r1" } }),
      );
    });
    const response = await fetch(url);
    expect(response.status).toBe(201);
    expect(response.headers.get("x-request-id")).toBe("r1");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength('{"ok":"é"}')));
    expect(await response.json()).toEqual({ ok: "é" });
  });

  it("streams what the producer gives, in order, and ends", async () => {
    const parts = ["data: 1\n\n", "", "data: 2\n\n", "data: [DONE]\n\n"];
    const url = await serve(async (_request, res) => {
      const body: StreamBody = Readable.from(parts);
      await sendGatewayResponse(res, new GatewayResponse(200, { "content-type": "text/event-stream" }, body));
    });
    const response = await fetch(url);
    expect(await response.text()).toBe(parts.join(""));
  });

  it("sends a stream's headers at once when its first text is not ready yet", async () => {
    let release!: () => void;
    const url = await serve(async (_request, res) => {
      const body: StreamBody = new Readable({ read() {} });
      release = () => body.push(null);
      await sendGatewayResponse(res, new GatewayResponse(200, { "content-type": "text/event-stream" }, body));
    });
    const response = await fetch(url); // resolves on the headers, while the body has produced nothing
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    release();
    expect(await response.text()).toBe("");
  });

  it("destroys the producer when the client goes away mid-stream", async () => {
    let cancelled!: () => void;
    const wasCancelled = new Promise<void>((resolve) => (cancelled = resolve));
    const url = await serve(async (_request, res) => {
      let sent = 0;
      const body: StreamBody = new Readable({
        // One event, then nothing until destroyed (an upstream that stalls).
        read() {
          if (sent++ === 0) this.push("data: first\n\n");
        },
        destroy(err, callback) {
          cancelled();
          callback(err);
        },
      });
      await sendGatewayResponse(res, new GatewayResponse(200, { "content-type": "text/event-stream" }, body));
    });
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: first\n\n");
    controller.abort();
    await expect(wasCancelled).resolves.toBeUndefined();
  });
});
