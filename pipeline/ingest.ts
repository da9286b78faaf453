/**
 * The ingest path every collector delivers into: a bounded queue in front of one store
 * writer that commits many batches per transaction (group commit).
 *
 * Backpressure, never silent loss: when the queue is full a collector either waits
 * (`wait: true`: MQTT, Kafka, files and TCP syslog stop reading their sockets, which slows
 * the sender down) or is refused at once with PipelineFullError (`wait: false`: HTTP answers
 * 429 with Retry-After). A batch's promise resolves only after its transaction committed,
 * so acknowledging the sender then is safe against a crash.
 */
import { eventJson, type VigilEvent } from '../events/index.js';
import { PipelineFullError, type IngestItem, type IngestReceipt, type IngestSink, type SubmitOptions } from '../collectors/index.js';
import type { EventToStore, DeadLetterToStore } from '../store/index.js';
import type { StoreWriter } from './store-writer.js';
import type { Metrics } from './metrics.js';

export interface IngestOptions {
  /**
   * Most input items (events and rejections) waiting to be stored before collectors are
   * slowed down or refused.
   * @default 100000
   */
  queueCapacity?: number;
  /**
   * Most items written in one transaction.
   * @default 20000
   */
  maxBatchItems?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Told when a stored-events listener fails. @default process.emitWarning */
  onListenerError?: (err: unknown) => void;
}

/** A stored event on its way to the consumers (detector, ledger). */
export interface StoredEvent {
  event: VigilEvent;
  source: string;
  receivedAt: number;
  /** The event's stored JSON text (events/ `eventJson`), made once at the commit; absent on events from elsewhere (Kafka, a replay). */
  json?: string;
}

/** Called with every committed batch of newly stored events, in commit order. May apply backpressure by returning a promise. */
export type StoredListener = (events: readonly StoredEvent[]) => void | Promise<void>;

interface Pending {
  source: string;
  items: readonly IngestItem[];
  resolve: (receipt: IngestReceipt) => void;
  reject: (err: unknown) => void;
}

export class IngestPipeline implements IngestSink {
  private readonly capacity: number;
  private readonly maxBatch: number;
  private readonly now: () => number;
  private readonly onListenerError: (err: unknown) => void;
  private queue: Pending[] = [];
  private queued = 0;
  private waiters: Array<() => void> = [];
  private flushScheduled = false;
  /** A batch is with the writer (one at a time: the writer commits in order). */
  private writing = false;
  /** Batches taken whose senders and listeners have not been answered yet (at most two). */
  private unfinished = 0;
  /** Answering runs batch after batch, in commit order. */
  private answered: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly listeners: StoredListener[] = [];
  /** Recent commit throughput, to tell a refused client when to come back. */
  private lastCommitMs = 5;

  constructor(
    private readonly writer: StoreWriter,
    private readonly metrics: Metrics,
    options: IngestOptions = {},
  ) {
    this.capacity = options.queueCapacity ?? 100_000;
    this.maxBatch = options.maxBatchItems ?? 20_000;
    this.now = options.now ?? Date.now;
    this.onListenerError = options.onListenerError ?? ((err) => process.emitWarning(`a stored-events listener failed: ${err instanceof Error ? err.message : String(err)}`));
    for (const [k, v] of [['queueCapacity', this.capacity], ['maxBatchItems', this.maxBatch]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`ingest option ${k}: expected a positive integer, got ${v}`);
    }
  }

  /** Subscribe to newly stored events (after each commit). */
  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  get depth(): number {
    return this.queued;
  }

  get full(): boolean {
    return this.queued >= this.capacity;
  }

  async submit(source: string, items: readonly IngestItem[], options: SubmitOptions = {}): Promise<IngestReceipt> {
    if (this.closed) throw new Error('pipeline stopped: not accepting input');
    if (items.length === 0) return { accepted: 0, duplicates: 0, rejected: 0, results: [] };
    // A batch larger than the whole queue is still taken when the queue is empty: otherwise it could never go in.
    while (this.queued > 0 && this.queued + items.length > this.capacity) {
      if (options.wait === false) {
        throw new PipelineFullError(Math.max(1, Math.ceil((this.queued / this.maxBatch) * this.lastCommitMs)));
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      if (this.closed) throw new Error('pipeline stopped: not accepting input');
    }
    const receipt = new Promise<IngestReceipt>((resolve, reject) => this.queue.push({ source, items, resolve, reject }));
    this.queued += items.length;
    this.metrics.queueDepth.set(this.queued);
    this.scheduleFlush();
    return receipt;
  }

  dropped(source: string, count: number, reason: string, where: 'collector' | 'kernel' = 'collector'): void {
    if (count <= 0) return;
    this.metrics.received.inc({ source }, count);
    this.metrics.dropped.inc({ source, reason, where }, count);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.writing) return;
    this.flushScheduled = true;
    // setImmediate lets the other requests already in the sockets join this transaction.
    setImmediate(() => {
      this.flushScheduled = false;
      this.startFlush();
    });
  }

  /**
   * Hands the queued inputs to the writer as one transaction. The writer gets the next batch
   * as soon as it has committed this one, while this thread answers this one's senders and
   * listeners: the two overlap, and at most one batch waits to be answered while another
   * commits, so a slow listener still holds the queue and pushes back on collectors.
   */
  private startFlush(): void {
    if (this.writing || this.unfinished >= 2 || this.queue.length === 0) return;
    const taken: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0 && (count === 0 || count + this.queue[0]!.items.length <= this.maxBatch)) {
      const p = this.queue.shift()!;
      taken.push(p);
      count += p.items.length;
    }
    const receivedAt = this.now();
    const events: EventToStore[] = [];
    const deadLetters: DeadLetterToStore[] = [];
    for (const p of taken) {
      for (const item of p.items) {
        // Its JSON text made once here: the store's row and the detector thread's line are the same text.
        if (item.event) events.push({ event: item.event, source: p.source, receivedAt, json: eventJson(item.event) });
        else deadLetters.push({ raw: item.raw, rejection: item.rejection, source: p.source, receivedAt });
      }
    }
    this.writing = true;
    this.unfinished++;
    const t0 = performance.now();
    const committed = this.writer.writeBatch(events, deadLetters).then(
      (inserted) => {
        this.lastCommitMs = Math.max(1, performance.now() - t0);
        this.metrics.commitSeconds.observe(this.lastCommitMs / 1000);
        return { inserted };
      },
      (err: unknown) => ({ err }),
    );
    void committed.then(() => {
      this.writing = false;
      this.release(count);
      this.startFlush();
    });
    this.answered = this.answered
      .then(async () => {
        const outcome = await committed;
        if ('err' in outcome) {
          // Nothing of these batches is stored: every sender is told so and may retry.
          for (const p of taken) p.reject(outcome.err);
        } else await this.answer(taken, events, outcome.inserted);
      })
      .finally(() => {
        this.unfinished--;
        this.startFlush();
      });
  }

  private async answer(taken: readonly Pending[], events: readonly EventToStore[], inserted: readonly boolean[]): Promise<void> {
    const fresh: StoredEvent[] = [];
    let e = 0;
    for (const p of taken) {
      let accepted = 0;
      let duplicates = 0;
      let rejected = 0;
      const results: IngestReceipt['results'] = new Array(p.items.length);
      for (let i = 0; i < p.items.length; i++) {
        const item = p.items[i]!;
        if (item.event) {
          const isNew = inserted[e] === true;
          if (isNew) {
            accepted++;
            fresh.push(events[e]!); // the same { event, source, receivedAt } the store was given
          } else duplicates++;
          e++;
          results[i] = { id: item.event.id };
        } else {
          rejected++;
          results[i] = { rejection: item.rejection };
          this.metrics.rejectedByCode.inc({ source: p.source, code: item.rejection.code });
        }
      }
      // Counted at commit, so received = accepted + rejected + dropped holds exactly; a batch
      // whose transaction failed was refused to its sender and is not counted at all.
      this.metrics.received.inc({ source: p.source }, p.items.length);
      // A redelivered event is accepted (it is stored); duplicates are also counted on their own.
      this.metrics.accepted.inc({ source: p.source }, accepted + duplicates);
      if (duplicates > 0) this.metrics.duplicates.inc({ source: p.source }, duplicates);
      if (rejected > 0) this.metrics.rejected.inc({ source: p.source }, rejected);
      p.resolve({ accepted: accepted + duplicates, duplicates, rejected, results });
    }
    if (fresh.length > 0) {
      for (const listener of this.listeners) {
        // A slow consumer holds the answering here, which fills the queue and pushes back on collectors.
        // A failing one is reported, not fatal: the events are stored and their senders answered.
        try {
          await listener(fresh);
        } catch (err) {
          this.onListenerError(err);
        }
      }
    }
  }

  private release(count: number): void {
    this.queued -= count;
    this.metrics.queueDepth.set(this.queued);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Stop taking input and wait until everything taken is stored and answered. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing || this.unfinished > 0 || this.flushScheduled || this.queue.length > 0) {
      if (this.unfinished > 0) await this.answered;
      else await new Promise((r) => setImmediate(r));
    }
    for (const w of this.waiters) w();
    this.waiters = [];
  }
}
