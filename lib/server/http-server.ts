import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { isV1Path, routeV1 } from "@/lib/gateway/router";
import { logger } from "@/lib/log";
import { handlePlaygroundChat, PLAYGROUND_CHAT_PATH } from "@/lib/playground/chat";
import type { GatewayRequest, GatewayResponse } from "@/lib/gateway/http";
import { Lifecycle } from "./lifecycle";
import { NodeRequest, sendGatewayResponse } from "./node-exchange";
import { isOpsPath, serveOps } from "./ops-endpoints";

// TokenFlow's one HTTP server: /v1 goes straight to the gateway core, everything else (pages,
// /api/*) to Next.js. Owning the server lets us drain it on SIGTERM (lib/server/shutdown.ts) and
// tell the app the socket's peer address.

const log = logger("server");

export type NextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Always set by this server from the socket (a client-sent value is dropped): the peer's address. */
export const PEER_ADDRESS_HEADER = "x-tokenflow-peer-address";

export interface TokenflowServer {
  server: http.Server;
  lifecycle: Lifecycle;
}

export function createTokenflowServer(nextHandler: NextHandler): TokenflowServer {
  const lifecycle = new Lifecycle();
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const peer = req.socket.remoteAddress ?? "";
    req.headers[PEER_ADDRESS_HEADER] = peer;
    const pathname = pathOf(req.url);
    // Health and metrics: cheap, and answered even while Next.js is busy (ops-endpoints.ts).
    if (isOpsPath(pathname)) {
      lifecycle.track(res);
      serveOps(pathname, req, res, lifecycle).catch((err: unknown) => {
        log.error({ err }, "ops endpoint failed");
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        } else res.destroy();
      });
      return;
    }
    // The playground's billed chat runs in the gateway too (lib/playground/chat.ts), cut and billed alike.
    const playground = pathname === PLAYGROUND_CHAT_PATH;
    if (isV1Path(pathname) || playground) {
      const controller = new AbortController();
      lifecycle.track(res, controller);
      // Client gone before the answer was complete: the gateway stops the upstream and settles.
      res.once("close", () => {
        if (!res.writableFinished) controller.abort();
      });
      const request = new NodeRequest(req, controller.signal, { [PEER_ADDRESS_HEADER]: peer });
      void serveGateway(request, res, (request) =>
        playground ? handlePlaygroundChat(request) : routeV1(request, pathname),
      );
      return;
    }
    lifecycle.track(res);
    nextHandler(req, res).catch((err: unknown) => {
      log.error({ err, path: pathname }, "page handler failed");
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end("Internal Server Error");
      } else res.destroy();
    });
  });
  // A socket error (reset by peer, bad HTTP) concerns one connection, never the process.
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return { server, lifecycle };
}

async function serveGateway(
  request: GatewayRequest,
  res: ServerResponse,
  handle: (request: GatewayRequest) => Promise<GatewayResponse>,
) {
  try {
    await sendGatewayResponse(res, await handle(request));
  } catch (err) {
    // The gateway answers its own errors; anything here is a bug of ours.
    log.error({ err }, "/v1 handler failed");
    if (!res.headersSent) {
      res.statusCode = 500;
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          error: {
            message: "The server had an error while processing your request.",
            type: "api_error",
            param: null,
            code: "internal_error",
          },
        }),
      );
    } else res.destroy();
  }
}

function pathOf(url: string | undefined): string {
  if (!url) return "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
