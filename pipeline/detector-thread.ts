/**
 * The detector on a thread of its own (config `detector.thread: 'worker'`): the main thread
 * ingests and serves the API, this thread scores, so a 2-core node uses both cores.
 *
 * It is fed the committed batches in commit order (the in-process bus orders them), so each
 * entity's events reach the one detector in order, as with `vigil worker` over Kafka
 * (detector-worker.ts). A batch crosses as one string, the events' stored JSON lines (each
 * event's canonical text, events/canonical.ts `eventJson`), not as a structured clone of
 * objects. What the thread decides comes back per batch and goes, on the main thread, through
 * detector-output.ts to the store and the ledger, as the inline detector's output does.
 *
 * Nothing the detector decides is lost: a batch stays queued here until its decisions are
 * back; if the thread dies it is restarted and every batch since its last answer is scored
 * again. Alert ids are a hash of the alert's content, so a replayed alert the store already
 * holds is not stored or ledgered twice. As with a Kafka rebalance, the restarted detector
 * has no feature history: alerts that depend on an entity's history (windows, speed between
 * reports) may differ for the replayed batches; alerts of single events are the same, by id.
 */
import { Worker } from 'node:worker_threads';
import { eventJson } from '../events/index.js';
import type { Alert, Incident, ReputationPoint } from '../detector/index.js';
import type { ExceptionSpec, RuleItem, SuppressionSpec } from '../api/index.js';
import type { StoredEvent } from './ingest.js';
import type { Logger } from './logger.js';

/** What the thread needs to build the same detector as the inline one (all plain data). */
export interface DetectorThreadSetup {
  dataDir: string;
  /** Rule sources, as analysis.ts gives them to `Detector.create`; absent: the defaults. */
  rules?: string[] | undefined;
  /** The operator's city file (config `detector.city`). */
  cityFile?: string | undefined;
  /** The simulated city (the demo), a plain CityDescription. */
  city?: unknown;
}

/** A rule change made through the API, applied to the thread's rule book too (same order). */
export type RuleOp =
  | { op: 'addRule'; source: string; actor: string }
  | { op: 'addException'; spec: ExceptionSpec; actor: string; id: string }
  | { op: 'addSuppression'; spec: SuppressionSpec; actor: string }
  | { op: 'disable'; kind: RuleItem['kind']; id: string; actor: string };

export type ToThread =
  | { type: 'batch'; seq: number; lines: string }
  | { type: 'tick'; seq: number; now: number; evictBefore?: number }
  | { type: 'rule'; op: RuleOp }
  | { type: 'authority'; seq: number; decision: AuthorityDecisionOp; replay: boolean }
  | { type: 'reloadModel' };

/**
 * The transport authority's decision on one entity (pipeline/authority.ts), applied to the
 * thread's reputation book, where the live reputation is. `now` stands in for the entity's
 * last report time when the book has none.
 */
export interface AuthorityDecisionOp {
  decision: 'clear' | 'rogue';
  entity: string;
  entityType: 'vehicle' | 'device';
  now: number;
}

export type FromThread =
  | { type: 'ready' }
  | { type: 'fatal'; error: string }
  | { type: 'out'; seq: number; alerts: Alert[]; incidents: Incident[]; reputation: ReputationPoint[]; evicted?: number; entities?: number; latestTs?: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export interface DetectorThreadOptions {
  setup: DetectorThreadSetup;
  logger: Logger;
  /** The decisions of one batch or tick, in order (detector-output.ts `push`). */
  decided(out: Extract<FromThread, { type: 'out' }>): void;
  /**
   * Batches sent and not yet answered before the bus handler makes ingest wait (backpressure:
   * a detector slower than ingest slows the collectors down rather than queue without bound).
   * @default 8
   */
  maxInflight?: number;
  /** Restart delay after the thread dies, milliseconds; doubles while it keeps dying. @default 100 */
  restartMs?: number;
}

export class DetectorThread {
  /** The thread batches go to, once its detector is built. */
  private worker: Worker | undefined;
  /** The thread being started or running (its exit is the one that counts). */
  private current: Worker | undefined;
  private seq = 0;
  /** Sent and not yet answered, in order; ticks are `undefined` (not scored again on a restart). */
  private readonly unanswered = new Map<number, string | undefined>();
  private readonly ruleOps: RuleOp[] = [];
  /** Every authority decision, so that a restarted thread's reputation has them again. */
  private readonly decisions: AuthorityDecisionOp[] = [];
  private waiters: Array<() => void> = [];
  private stopping = false;
  private restartDelay: number;
  private readonly maxInflight: number;
  /** Times the thread was restarted after it died (counted for tests and /metrics). */
  restarts = 0;
  private everReady = false;

  constructor(private readonly options: DetectorThreadOptions) {
    this.maxInflight = options.maxInflight ?? 8;
    this.restartDelay = options.restartMs ?? 100;
  }

  /** Starts the thread; resolves once its detector is built (a bad setup fails here, at start). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./detector-thread-worker.js', import.meta.url), { workerData: this.options.setup });
      this.current = worker;
      // The node's servers keep the process alive; a node that failed to start must not hang on this thread.
      worker.unref();
      let ready = false;
      worker.on('message', (m: FromThread) => {
        if (m.type === 'ready') {
          ready = true;
          this.worker = worker;
          this.everReady = true;
          this.resend(worker);
          resolve();
        } else if (m.type === 'fatal') {
          if (!ready) reject(new Error(`detector thread: ${m.error}`));
        } else if (m.type === 'log') this.options.logger[m.level](m.message);
        else this.answered(m);
      });
      worker.on('error', (err) => {
        this.options.logger.error({ err }, 'detector thread failed');
        if (!ready) reject(err);
      });
      worker.on('exit', (code) => {
        if (this.current !== worker) return;
        this.current = undefined;
        this.worker = undefined;
        if (this.stopping || !this.everReady) return;
        this.options.logger.error({ code, unanswered: this.unanswered.size }, 'detector thread died; restarting it and scoring again what it had not answered');
        this.restarts++;
        const delay = this.restartDelay;
        this.restartDelay = Math.min(5_000, this.restartDelay * 2);
        setTimeout(() => void this.start().catch((err: unknown) => this.options.logger.error({ err }, 'detector thread did not restart')), delay).unref();
      });
    });
  }

  /** Every rule change and the batches not answered yet, in their order, to a new thread. */
  private resend(worker: Worker): void {
    for (const op of this.ruleOps) worker.postMessage({ type: 'rule', op } satisfies ToThread);
    // Put back without output: the points they made are stored already.
    for (const decision of this.decisions) worker.postMessage({ type: 'authority', seq: -1, decision, replay: true } satisfies ToThread);
    for (const [seq, lines] of this.unanswered) {
      if (lines !== undefined) worker.postMessage({ type: 'batch', seq, lines } satisfies ToThread);
    }
  }

  private answered(m: Extract<FromThread, { type: 'out' }>): void {
    this.unanswered.delete(m.seq);
    this.restartDelay = this.options.restartMs ?? 100;
    // Handed on before anything else: detector-output.ts queues and retries it from here on.
    this.options.decided(m);
    if (this.inflight < this.maxInflight) {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
  }

  private get inflight(): number {
    return this.unanswered.size;
  }

  /** A committed batch; resolves at once, or when the thread has caught up (backpressure). */
  score(batch: readonly StoredEvent[]): void | Promise<void> {
    // The lines are the texts the store was given (ingest.ts makes each once); joined in one
    // pass, with no array of lines in between.
    let joined = '';
    for (let i = 0; i < batch.length; i++) {
      const b = batch[i]!;
      joined += i === 0 ? (b.json ?? eventJson(b.event)) : `\n${b.json ?? eventJson(b.event)}`;
    }
    const seq = this.seq++;
    this.unanswered.set(seq, joined);
    this.worker?.postMessage({ type: 'batch', seq, lines: joined } satisfies ToThread);
    if (this.inflight < this.maxInflight) return;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Time-driven rules at `now`; and, with `evictBefore`, forget entities idle since then. */
  tick(now: number, evictBefore?: number): void {
    const seq = this.seq++;
    this.unanswered.set(seq, undefined);
    if (!this.worker) return void this.unanswered.delete(seq);
    this.worker.postMessage({ type: 'tick', seq, now, ...(evictBefore !== undefined ? { evictBefore } : {}) } satisfies ToThread);
  }

  rule(op: RuleOp): void {
    this.ruleOps.push(op);
    this.worker?.postMessage({ type: 'rule', op } satisfies ToThread);
  }

  /**
   * An authority decision for the thread's reputation. `replay`: a decision made before this
   * start (put back, no point answered); otherwise the point it makes comes back in order
   * like a tick's, for the output writer to store.
   */
  authority(decision: AuthorityDecisionOp, replay = false): void {
    this.decisions.push(decision);
    if (replay) return void this.worker?.postMessage({ type: 'authority', seq: -1, decision, replay } satisfies ToThread);
    const seq = this.seq++;
    this.unanswered.set(seq, undefined);
    if (!this.worker) return void this.unanswered.delete(seq);
    this.worker.postMessage({ type: 'authority', seq, decision, replay } satisfies ToThread);
  }

  /** The model in the data directory changed (the demo trained one): the thread loads it. */
  reloadModel(): void {
    this.worker?.postMessage({ type: 'reloadModel' } satisfies ToThread);
  }

  /** Batches not answered yet. */
  get pending(): number {
    return this.inflight;
  }

  /** Ends the thread as a crash would (tests: nothing it had not answered may be lost). */
  async kill(): Promise<void> {
    await this.current?.terminate();
  }

  /** Waits until every batch sent is answered (up to `timeoutMs`), then ends the thread. */
  async stop(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.unanswered.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (this.unanswered.size > 0) this.options.logger.error({ unanswered: this.unanswered.size }, 'detector thread did not finish scoring before stop');
    this.stopping = true;
    for (const w of this.waiters) w();
    this.waiters = [];
    await this.current?.terminate();
  }
}
