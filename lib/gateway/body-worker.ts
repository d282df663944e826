import { parentPort } from "node:worker_threads";
import { prepareBody, toPrepareFailure, type BodyKind, type BodyLimits } from "./prepared-body";

// The body worker (started by body-pool.ts): decodes, scans, parses, validates and measures one
// body per message, answering with the prepared body; its large fields' bytes are transferred, not copied.

export interface BodyJob {
  id: number;
  kind: BodyKind;
  bytes: Uint8Array;
  limits: BodyLimits;
}

parentPort?.on("message", (job: BodyJob) => {
  try {
    const prepared = prepareBody(job.kind, job.bytes, job.limits);
    parentPort!.postMessage({ id: job.id, prepared }, [prepared.raw.bytes.buffer as ArrayBuffer]);
  } catch (error) {
    const failure = toPrepareFailure(error);
    parentPort!.postMessage({ id: job.id, failure, crash: failure ? undefined : String(error) });
  }
});
