/**
 * Routes incident notices to connectors and delivers them: each connector has its own queue,
 * worked one delivery at a time, with retries on exponential backoff (kafkajs's scheme:
 * doubled each time, ±20 % jitter, capped) and a dead letter for what fails for good, so no
 * notice is dropped silently. Each outcome is reported once through `onDelivery`.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NotifyError } from './errors.js';
import { NOTICE_SEVERITIES, type Connector, type DeliveryRecord, type Notice, type NoticeSeverity } from './types.js';

export interface Route {
  connectors: readonly string[];
  minSeverity: NoticeSeverity;
  rules?: readonly string[] | undefined;
}

export interface NotifierOptions {
  connectors: readonly Connector[];
  /** Empty: every connector gets incidents of severity high or critical. */
  routes: readonly Route[];
  /** Where each connector's dead letters go, one NDJSON file per connector (mode 0600). */
  deadLetterDir: string;
  attempts: number;
  /** Milliseconds. */
  initialRetryMs: number;
  maxRetryMs: number;
  maxQueue: number;
  onDelivery: (record: DeliveryRecord) => void;
  /** Clock, epoch milliseconds. @default Date.now */
  now?: () => number;
  /** In [0, 1), for the jitter. @default Math.random */
  random?: () => number;
}

const DEFAULT_ROUTE: Omit<Route, 'connectors'> = { minSeverity: 'high' };

interface Job {
  notice: Notice;
  state: Record<string, unknown>;
}

export class Notifier {
  private readonly queues = new Map<string, Job[]>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly byName: Map<string, Connector>;
  private readonly wake = new Set<() => void>();
  private stopped = false;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly o: NotifierOptions) {
    this.byName = new Map(o.connectors.map((c) => [c.name, c]));
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
  }

  /** The connectors a notice goes to under the routes (per rule and per severity). */
  route(notice: Notice): string[] {
    const routes = this.o.routes.length > 0 ? this.o.routes : [{ ...DEFAULT_ROUTE, connectors: [...this.byName.keys()] }];
    const rank = NOTICE_SEVERITIES.indexOf(notice.incident.severity);
    const out = new Set<string>();
    for (const r of routes) {
      if (rank < NOTICE_SEVERITIES.indexOf(r.minSeverity)) continue;
      if (r.rules && !notice.alerts.some((a) => r.rules!.includes(a.rule))) continue;
      for (const c of r.connectors) out.add(c);
    }
    return [...out];
  }

  /** Queue a notice for the given connectors (those `route` chose, less any already told). */
  enqueue(notice: Notice, connectors: readonly string[]): void {
    for (const name of connectors) {
      const connector = this.byName.get(name);
      if (!connector) continue;
      const job: Job = { notice, state: {} };
      const queue = this.queues.get(name) ?? [];
      this.queues.set(name, queue);
      if (this.stopped) this.deadLetter(connector, job, 0, new NotifyError('STOPPED', 'the notifier is stopping', false));
      else if (queue.length >= this.o.maxQueue) this.deadLetter(connector, job, 0, new NotifyError('QUEUE_FULL', `more than ${this.o.maxQueue} deliveries waiting`, false));
      else {
        queue.push(job);
        if (!this.running.has(name)) this.running.set(name, this.work(connector, queue).finally(() => this.running.delete(name)));
      }
    }
  }

  /** Wait for what is queued to be delivered or dead-lettered (tests, a clean stop). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Stop retrying: what is still waiting goes to the dead letter (STOPPED), then connections close. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wake) w();
    await this.drain();
    for (const c of this.o.connectors) await c.close?.().catch(() => undefined);
  }

  private async work(connector: Connector, queue: Job[]): Promise<void> {
    for (let job = queue.shift(); job; job = queue.shift()) {
      if (this.stopped) {
        this.deadLetter(connector, job, 0, new NotifyError('STOPPED', 'the notifier stopped before this delivery', false));
        continue;
      }
      await this.deliver(connector, job);
    }
  }

  private async deliver(connector: Connector, job: Job): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { reference } = await connector.send(job.notice, job.state);
        this.o.onDelivery({ ...this.base(connector, job, attempt), outcome: 'delivered', ...(reference !== undefined ? { reference } : {}) });
        return;
      } catch (err) {
        const e = err instanceof NotifyError ? err : new NotifyError('NETWORK', (err as Error).message ?? String(err), true, { cause: err });
        if (!e.retriable || attempt >= this.o.attempts || this.stopped) return this.deadLetter(connector, job, attempt, e);
        await this.sleep(this.backoff(attempt, e.retryAfterMs));
      }
    }
  }

  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    const base = Math.min(this.o.maxRetryMs, this.o.initialRetryMs * 2 ** (attempt - 1));
    const jittered = base * (0.8 + 0.4 * this.random());
    return Math.min(this.o.maxRetryMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.add(done);
    });
  }

  private base(connector: Connector, job: Job, attempts: number): Omit<DeliveryRecord, 'outcome'> {
    return { connector: connector.name, type: connector.type, incidentId: job.notice.incident.id, severity: job.notice.incident.severity, attempts, ts: this.now() };
  }

  private deadLetter(connector: Connector, job: Job, attempts: number, err: NotifyError): void {
    const record: DeliveryRecord = { ...this.base(connector, job, attempts), outcome: 'dead-letter', error: { code: err.code, message: err.message } };
    try {
      mkdirSync(this.o.deadLetterDir, { recursive: true, mode: 0o700 });
      // The notice itself is kept so an operator can send it again; no secret is in it.
      appendFileSync(join(this.o.deadLetterDir, `${connector.name}.ndjson`), `${JSON.stringify({ ...record, notice: job.notice })}\n`, { mode: 0o600 });
    } catch (writeErr) {
      record.error = { code: err.code, message: `${err.message}; the dead-letter file could not be written (${(writeErr as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    this.o.onDelivery(record);
  }
}
