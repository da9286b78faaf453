/**
 * Stored events onto a bus that can fail (Kafka), without losing any: the store is the
 * record, and a cursor (the store's `seq` of the last event the bus acknowledged) says how
 * far the bus has it. While the bus keeps up, each committed batch is published as it is
 * committed; when a publish fails, nothing is lost or reordered — the relay stops
 * publishing new batches directly and replays from the store after the cursor, in `seq`
 * order, retrying with a growing pause until it has caught up. Ingest never waits for a
 * broken bus: the events are stored, and their delivery is late, not gone.
 *
 * The cursor is kept in the store's meta table, written at most every `persistMs` (and at
 * stop), not per batch: a crash replays what was published since the last write. That is
 * at-least-once, which the bus promises anyway (an event's id makes a redelivery known).
 */
import type { Bus } from './bus.js';
import type { StoredEvent } from './ingest.js';

/** What of the store the relay reads (SqliteStore has it). */
export interface RelayStorePort {
  eventsAfter(afterSeq: number, limit: number): Array<StoredEvent & { seq: number }>;
  lastEventSeq(): number;
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}

export interface BusRelayOptions {
  /** Meta key of the cursor. @default 'bus.eventSeq' */
  cursorKey?: string;
  /** Events per replayed publish. @default 5000 */
  batch?: number;
  /** First pause after a failed publish, milliseconds; doubled per failure up to `maxRetryMs`. @default 500 */
  retryMs?: number;
  /** @default 30000 */
  maxRetryMs?: number;
  /** Least time between cursor writes while publishing directly, milliseconds. @default 1000 */
  persistMs?: number;
  /** Told of each failed publish, with how many stored events the bus is behind. */
  onError?: (err: unknown, behind: number) => void;
  /** Clock, epoch milliseconds. @default Date.now */
  now?: () => number;
}

export class BusRelay {
  private readonly cursorKey: string;
  private readonly batch: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly persistMs: number;
  private readonly onError: (err: unknown, behind: number) => void;
  private readonly now: () => number;
  /** The last stored event's seq the bus has acknowledged. */
  private cursor = 0;
  private persisted = 0;
  private persistedAt = 0;
  private replaying: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly bus: Pick<Bus, 'publish'>,
    private readonly store: RelayStorePort,
    options: BusRelayOptions = {},
  ) {
    this.cursorKey = options.cursorKey ?? 'bus.eventSeq';
    this.batch = options.batch ?? 5_000;
    this.retryMs = options.retryMs ?? 500;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.persistMs = options.persistMs ?? 1_000;
    this.onError = options.onError ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  /**
   * Read the cursor. With none (the first start with this bus), the bus starts from the
   * events stored from now on; with one, what was stored after it and not published (a
   * crash, a bus that was down) is replayed first.
   */
  start(): void {
    const saved = this.store.getMeta(this.cursorKey);
    const last = this.store.lastEventSeq();
    if (saved === undefined) {
      this.cursor = last;
      this.writeCursor();
    } else {
      this.cursor = Number(saved);
      this.persisted = this.cursor;
      if (last > this.cursor) this.startReplay();
    }
  }

  /** Stored events the bus has not acknowledged yet. */
  get behind(): number {
    return Math.max(0, this.store.lastEventSeq() - this.cursor);
  }

  /**
   * A batch was committed (the ingest pipeline's stored-events listener). Published at once
   * when the bus is caught up; otherwise the replay will reach it from the store.
   */
  async stored(events: readonly StoredEvent[]): Promise<void> {
    // While replaying, the replay reaches these events in the store, in order.
    if (this.stopped || events.length === 0 || this.replaying) return;
    // The pipeline calls its listeners before it commits the next batch, so the store's last
    // seq is this batch's last. If the batch is not exactly what follows the cursor (another
    // writer, a skipped notification), the store decides what to send, not this call.
    const last = this.store.lastEventSeq();
    if (last - this.cursor !== events.length) {
      this.startReplay();
      return;
    }
    try {
      await this.bus.publish(events);
    } catch (err) {
      this.onError(err, this.behind);
      this.startReplay(this.retryMs);
      return;
    }
    this.cursor = last;
    if (this.now() - this.persistedAt >= this.persistMs) this.writeCursor();
  }

  /** Finish (a replay stops where it is), and write the cursor. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Cut a retry pause short.
    this.wake?.();
    await this.replaying;
    this.writeCursor();
  }

  private startReplay(firstPauseMs = 0): void {
    if (this.replaying || this.stopped) return;
    this.replaying = this.replay(firstPauseMs).finally(() => {
      this.replaying = undefined;
      // A batch committed as the replay found nothing more was not published directly: go on.
      if (!this.stopped && this.store.lastEventSeq() > this.cursor) this.startReplay();
    });
  }

  private async replay(firstPauseMs: number): Promise<void> {
    let pause = firstPauseMs;
    let failures = firstPauseMs > 0 ? 1 : 0;
    while (!this.stopped) {
      if (pause > 0) await this.sleep(pause);
      if (this.stopped) return;
      const rows = this.store.eventsAfter(this.cursor, this.batch);
      if (rows.length === 0) return;
      try {
        await this.bus.publish(rows.map((r) => ({ event: r.event, source: r.source, receivedAt: r.receivedAt })));
      } catch (err) {
        failures++;
        this.onError(err, this.behind);
        pause = Math.min(this.maxRetryMs, this.retryMs * 2 ** (failures - 1));
        continue;
      }
      failures = 0;
      pause = 0;
      this.cursor = rows[rows.length - 1]!.seq;
      this.writeCursor();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private writeCursor(): void {
    if (this.cursor === this.persisted && this.persistedAt !== 0) return;
    this.store.setMeta(this.cursorKey, String(this.cursor));
    this.persisted = this.cursor;
    this.persistedAt = this.now();
  }
}
