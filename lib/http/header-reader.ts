/**
 * Read access to request headers, as web Headers give it (names in any case, repeated values joined
 * by ", "): all that code reading a request's headers needs, so it takes web Headers and the
 * gateway's own (lib/server/node-exchange.ts) alike.
 */
export interface HeaderReader {
  get(name: string): string | null;
}
