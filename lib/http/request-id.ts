import { randomBytes } from "node:crypto";

/** The id of one request, answered in x-request-id and used as the receipt's and the hold's id. */
export function newRequestId(): string {
  return `req_${randomBytes(12).toString("hex")}`;
}
