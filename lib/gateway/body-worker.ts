import { parentPort } from "node:worker_threads";
import { prepareAnyBody, transferables, type AnyBodyKind } from "./body-kinds";
import { toPrepareFailure, type BodyLimits } from "./prepared-body";

// The body worker (started by body-pool.ts): decodes, scans, parses, validates and measures one
// body per message, answering with the prepared body; its large fields' bytes are transferred, not copied.

export interface BodyJob {
  id: number;
  kind: AnyBodyKind;
  bytes: Uint8Array;
  limits: BodyLimits;
}

parentPort?.on("message", (job: BodyJob) => {
  try {
    const prepared = prepareAnyBody(job.kind, job.bytes, job.limits);
    parentPort!.postMessage({ id: job.id, prepared }, transferables(prepared));
  } catch (error) {
    const failure = toPrepareFailure(error);
    parentPort!.postMessage({ id: job.id, failure, crash: failure ? undefined : String(error) });
  }
});
