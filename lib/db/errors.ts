// Is this error "the database is not there right now" (rather than a bug or a bad query)? Such
// errors answer 503 on /v1 (retry later, nothing charged), never 500.

// SQLSTATE classes and codes that mean the server is unavailable, overloaded or shutting down:
// 08 connection exception, 53 insufficient resources, 57P0x operator intervention (admin shutdown,
// crash shutdown, cannot connect now), 57014 statement timeout, 55P03 lock timeout, 40001/40P01
// serialization failure / deadlock (transient by definition).
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57P0.|57014|55P03|40001|40P01)$/;

// node-postgres and socket failures carry no SQLSTATE: recognise them by code or message. Prisma's
// own codes: P1001 cannot reach, P1002 and P1008 timed out, P1017 the server closed the connection,
// P2024 pool timeout, P2039 the driver adapter lost its connection.
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "P1001",
  "P1002",
  "P1008",
  "P1017",
  "P2024",
  "P2039",
]);
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|connection is not open|Connection ended unexpectedly|timeout expired|the database system is (starting up|shutting down)/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_CODES.has(code))) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.test(message)) return true;
  }
  return false;
}
