// A TCP proxy between the app under test and a service it depends on (Postgres, Redis), to make the
// service unreachable for one app without touching the server other tests share. Modes:
//   pass    forward both ways;
//   refuse  stop listening (new connections get ECONNREFUSED) and reset every open connection;
//   hang    accept new connections but forward nothing, and freeze the open ones (a silent network
//           or a stalled host: nothing is refused, nothing answers).
// Leaving `hang` resets the connections it froze, as a database that comes back after an outage
// would (their server side is gone): the app must notice and reconnect on its own.
// If the target itself is down, a connection through the proxy is closed as soon as it fails.
import net from "node:net";

export type ProxyMode = "pass" | "refuse" | "hang";

interface Link {
  client: net.Socket;
  upstream: net.Socket | null; // null: accepted while hanging, never connected
  frozen: boolean;
}

export interface TcpProxy {
  port: number;
  /** `url` (postgres://, redis://) with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  mode(): ProxyMode;
  setMode(mode: ProxyMode): Promise<void>;
  /** Connections currently open through the proxy (forwarding or frozen). */
  openConnections(): number;
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const links = new Set<Link>();
  let mode: ProxyMode = "pass";
  let server: net.Server | null = null;
  let port = 0;

  const drop = (link: Link) => {
    links.delete(link);
    link.client.resetAndDestroy();
    if (link.upstream && !link.upstream.destroyed) link.upstream.resetAndDestroy();
  };

  const accept = (client: net.Socket) => {
    client.on("error", () => undefined);
    const link: Link = { client, upstream: null, frozen: mode === "hang" };
    links.add(link);
    client.on("close", () => {
      links.delete(link);
      link.upstream?.destroy();
    });
    if (link.frozen) return; // accepted, then silence: the client's bytes go nowhere
    const upstream = net.connect(target);
    link.upstream = upstream;
    upstream.on("error", () => undefined);
    upstream.on("close", () => client.destroy());
    client.on("data", (chunk) => {
      if (!link.frozen) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!link.frozen) client.write(chunk);
    });
  };

  const listen = (onPort: number) =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(accept);
      s.once("error", reject);
      s.listen(onPort, "127.0.0.1", () => {
        s.off("error", reject);
        server = s;
        port = (s.address() as net.AddressInfo).port;
        resolve();
      });
    });

  const closeListener = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  await listen(0);

  return {
    get port() {
      return port;
    },
    urlFor(url) {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(port);
      return parsed.toString();
    },
    mode: () => mode,
    async setMode(next) {
      if (next === mode) return;
      const previous = mode;
      mode = next;
      if (next === "refuse") {
        const closed = closeListener();
        for (const link of [...links]) drop(link);
        await closed;
        return;
      }
      if (next === "hang") {
        for (const link of links) link.frozen = true;
        if (previous === "refuse") await listen(port);
        return;
      }
      // pass
      if (previous === "hang") for (const link of [...links]) if (link.frozen) drop(link);
      if (previous === "refuse") await listen(port);
    },
    openConnections: () => links.size,
    async stop() {
      const closed = closeListener();
      for (const link of [...links]) drop(link);
      await closed;
    },
  };
}
