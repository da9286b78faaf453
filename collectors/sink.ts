/**
 * The port every collector delivers into. Only `pipeline/` implements it; a collector
 * never reaches the store, the bus or another collector itself.
 */
import type { Rejection, VigilEvent } from '../events/index.js';

/** One input as received: the verbatim bytes and what validation made of them. */
export type IngestItem =
  | { raw: string | Uint8Array; event: VigilEvent; rejection?: undefined }
  | { raw: string | Uint8Array; rejection: Rejection; event?: undefined };

export interface SubmitOptions {
  /**
   * When the pipeline is full: `true` waits for room (MQTT, Kafka, files, TCP syslog: the
   * sender is slowed down by not being read); `false` fails at once with a
   * `PipelineFullError` (HTTP answers 429 with Retry-After).
   * @default true
   */
  wait?: boolean;
}

/** What became of a submitted batch, once it is durably stored. */
export interface IngestReceipt {
  /** Events newly stored. */
  accepted: number;
  /** Events already stored before (same id: a redelivery), counted as accepted too. */
  duplicates: number;
  /** Rejections written to the dead-letter store. */
  rejected: number;
  /** Per item, in order: the stored event's id, or the rejection. */
  results: Array<{ id: string } | { rejection: Rejection }>;
}

export interface IngestSink {
  /**
   * Hand a batch to the pipeline. Resolves only once every event and dead letter in it is
   * durably stored (SQLite commit), so a collector may acknowledge its sender then.
   */
  submit(source: string, items: readonly IngestItem[], options?: SubmitOptions): Promise<IngestReceipt>;
  /**
   * Count inputs a collector received but had to drop before it could submit them (UDP
   * datagrams it had no room for: UDP cannot push back). Never for anything that could
   * have waited. They count as received and dropped, so that
   * received = accepted + rejected + dropped holds per source. `where`: `kernel` for what
   * the operating system dropped before the collector could read it (a full UDP receive
   * buffer). @default 'collector'
   */
  dropped(source: string, count: number, reason: string, where?: 'collector' | 'kernel'): void;
}

/** A collector: one source of input. */
export interface EventSource {
  readonly name: string;
  start(sink: IngestSink): Promise<void>;
  /** Stop taking input, finish what was taken, release sockets and files. */
  stop(): Promise<void>;
}

/** Thrown by `submit({ wait: false })` when the pipeline has no room. */
export class PipelineFullError extends Error {
  override readonly name = 'PipelineFullError';
  /** A retry after this many milliseconds is likely to succeed. */
  constructor(readonly retryAfterMs: number) {
    super(`pipeline full: retry after ${retryAfterMs} ms`);
  }
}
