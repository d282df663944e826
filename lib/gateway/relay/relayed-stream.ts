import { Readable } from "node:stream";
import type { UpstreamStream } from "../providers/adapter";

// The client's side of a relayed stream, as a Node readable the server pipes into the response.
// Upstream bytes are translated as they arrive and pushed on at once: no promise, no await per
// chunk (at 20 events a stream, that bookkeeping cost more than the translation itself). While the
// client is not keeping up the upstream is paused, so nothing is buffered ahead of it. When the
// upstream ends, fails or is closed under us, the stream settles (`finish`) and pushes the closing
// text. The server destroys it when the client goes away: the upstream is closed and `cancel` settles.

export interface RelayHooks {
  /** Translates upstream bytes: the text to send now ("" for nothing), or null to stop reading. */
  translate(chunk: Uint8Array): string | null;
  /** The upstream is over (ended, failed or closed): settle, and give the closing text. */
  finish(): Promise<string>;
  /** The client went away before the end: stop the upstream and settle. */
  cancel(): void;
}

export class RelayedStream extends Readable {
  private over = false;

  constructor(
    private readonly source: UpstreamStream,
    private readonly hooks: RelayHooks,
  ) {
    super();
    const body = source.body;
    body.on("data", this.onData);
    body.once("end", this.onUpstreamOver);
    body.once("error", this.onUpstreamOver);
    body.once("close", this.onUpstreamOver);
    // The first bytes were read while the upstream could still fail over; the rest follow them.
    this.onData(source.first);
    if (this.over) return;
    // A whole short answer can arrive with the headers: its end (or failure) was then reported
    // before anyone here listened, and will not be again.
    if (body.readableEnded || body.destroyed) this.onUpstreamOver();
    else if (this.readableLength < this.readableHighWaterMark) body.resume();
  }

  private onData = (chunk: Uint8Array): void => {
    if (this.over) return;
    const text = this.hooks.translate(chunk);
    if (text === null) return this.onUpstreamOver();
    if (text && !this.push(text)) this.source.body.pause();
  };

  private onUpstreamOver = (): void => {
    if (this.over) return;
    this.over = true;
    this.detach();
    this.source.close();
    this.hooks.finish().then(
      (closing) => {
        if (this.destroyed) return; // the client left while it settled
        if (closing) this.push(closing);
        this.push(null);
      },
      (err: Error) => this.destroy(err),
    );
  };

  override _read(): void {
    if (!this.over && this.source.body.isPaused()) this.source.body.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.over) {
      this.over = true;
      this.detach();
      this.hooks.cancel();
    }
    callback(err);
  }

  private detach(): void {
    const body = this.source.body;
    body.off("data", this.onData);
    body.off("end", this.onUpstreamOver);
    body.off("error", this.onUpstreamOver);
    body.off("close", this.onUpstreamOver);
    body.on("error", () => undefined); // closing it may still report an abort: nobody listens now
  }
}
