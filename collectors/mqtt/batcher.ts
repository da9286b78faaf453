/**
 * Many MQTT messages per pipeline submission. Each store transaction costs one fsync, so
 * one message per submit would cap throughput at the disk's sync rate; messages that
 * arrive in the same turn of the event loop (a socket chunk holds hundreds of BSMs, and
 * several clients' chunks are read together) go into one batch, and each message's
 * acknowledgement waits for that batch to be stored.
 */
import type { IngestItem, IngestSink } from '../sink.js';
import { keepOriginals } from '../original.js';

export type Ack = (err: Error | null) => void;

export class SubmitBatcher {
  private items: IngestItem[] = [];
  private acks: Ack[] = [];
  private scheduled = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly sink: IngestSink,
    private readonly source: string,
    /** Most messages per submission. */
    private readonly maxBatch: number,
    /** Keep each payload as `event.original`, at most this many bytes (collectors/original.ts); undefined: not kept. */
    private readonly originalMax?: number,
  ) {}

  /** Queue one message; `ack` is called once it is stored (null) or could not be (an error). */
  add(item: IngestItem, ack: Ack): void {
    this.items.push(item);
    this.acks.push(ack);
    if (this.items.length >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Submit what is queued now. */
  flush(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    const acks = this.acks;
    this.items = [];
    this.acks = [];
    keepOriginals(items, this.originalMax);
    // wait: true — when the pipeline is full the acks are simply late, and the broker does
    // not read more from those clients meanwhile: the publishers are slowed, nothing dropped.
    const p = this.sink.submit(this.source, items, { wait: true }).then(
      () => {
        for (const ack of acks) ack(null);
      },
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        for (const ack of acks) ack(e);
      },
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Submit what is queued and wait for every submission to settle. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}
