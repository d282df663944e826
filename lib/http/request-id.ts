import { randomBytes } from "node:crypto";

// Ids come from a pool of random bytes drawn 4 KiB at a time: the same CSPRNG as a randomBytes(12)
// per request, without its per-call cost (one request id per API call is on the hot path).
const POOL_BYTES = 4096;
const ID_BYTES = 12;
let pool = Buffer.alloc(0);
let offset = 0;

/** The id of one request, answered in x-request-id and used as the receipt's and the hold's id. */
export function newRequestId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const id = pool.toString("hex", offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return `req_${id}`;
}
