/**
 * Starting a kafkajs consumer again after a crash kafkajs does not recover from itself.
 *
 * kafkajs restarts a crashed consumer only when the error was retriable (its
 * `retry.restartOnFailure`); a non-retriable one — a broker's MESSAGE_TOO_LARGE or an
 * authorisation failure when the handler publishes, a TypeError in the handler — emits
 * `consumer.crash` with `restart: false` and leaves the consumer stopped for good while the
 * process lives on: it leaves the group, and alone in it nobody consumes again (the lag
 * grows). A consumer that commits only what its handler finished loses nothing by being
 * started afresh: the uncommitted batch is delivered again. The delay doubles with each
 * crash without a good batch in between (`healthy()`), up to a bound, so a crash that
 * repeats (a topic limit an operator must raise) does not spin.
 */
import type { Consumer } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';

/** `vigil_kafka_consumer_restarts_total{consumer}` on a registry (the node's or a worker's /metrics), made once per registry. */
export function consumerRestartsCounter(registry: Registry): Counter<'consumer'> {
  const name = 'vigil_kafka_consumer_restarts_total';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'consumer'>;
  return new Counter({ name, help: 'Kafka consumers started again after a crash kafkajs does not restart (a non-retriable error)', labelNames: ['consumer'], registers: [registry] });
}

export interface CrashRestartOptions {
  /** Delay before the first restart, milliseconds. @default 1000 */
  initialDelayMs?: number;
  /** Longest delay between restarts, milliseconds. @default 30000 */
  maxDelayMs?: number;
  /** Told of each crash or failed start, before the restart is scheduled. */
  onRestart?: (err: unknown, info: { restarts: number; delayMs: number }) => void;
}

/** What of a kafkajs consumer is watched (its instrumentation events). */
export type CrashWatchable = Partial<Pick<Consumer, 'on' | 'events'>>;

export class CrashRestarter {
  /** Consumers started again after a crash kafkajs did not restart, or a failed start. */
  restarts = 0;
  private failures = 0;
  private current: unknown;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  /**
   * `start`: makes, connects and runs a new consumer, and calls `watch` on it before it runs.
   * `retire`: disconnects a crashed consumer (kafkajs has already; this frees what is left).
   */
  constructor(
    private readonly start: () => Promise<void>,
    private readonly retire: (consumer: unknown) => Promise<void>,
    private readonly options: CrashRestartOptions = {},
  ) {
    this.initialDelayMs = options.initialDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    if (!(this.initialDelayMs > 0) || !(this.maxDelayMs >= this.initialDelayMs)) throw new RangeError(`CrashRestarter: expected 0 < initialDelayMs <= maxDelayMs, got ${this.initialDelayMs} and ${this.maxDelayMs}`);
  }

  /** Starts the first consumer; a failure here is the caller's (a wrong broker at start fails the start). */
  async begin(): Promise<void> {
    this.stopped = false;
    await this.start();
  }

  /** Watches the consumer `start` made; only the latest one watched can trigger a restart. */
  watch(consumer: CrashWatchable): void {
    this.current = consumer;
    if (!consumer.on || !consumer.events) return;
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || this.stopped || this.current !== consumer) return;
      this.schedule(event.payload.error, consumer);
    });
  }

  /** A batch went through: the next crash waits the shortest delay again. */
  healthy(): void {
    this.failures = 0;
  }

  /** No more restarts (the owner is stopping its consumer). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(err: unknown, crashed: unknown): void {
    this.current = undefined;
    const delayMs = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    this.restarts++;
    this.options.onRestart?.(err, { restarts: this.restarts, delayMs });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void (async () => {
        if (crashed !== undefined) await this.retire(crashed).catch(() => {});
        if (this.stopped) return;
        // A start that fails (the broker unreachable just now) is one more crash to back off from.
        await this.start().catch((startErr: unknown) => {
          if (!this.stopped) this.schedule(startErr, this.current);
        });
      })();
    }, delayMs);
    this.timer.unref();
  }
}
