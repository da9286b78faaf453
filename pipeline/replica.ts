/**
 * Elasticsearch as a replica of the node's SQLite store: events follow a durable cursor
 * (the store's `seq`), so Elasticsearch being slow or down never holds up ingest — it
 * catches up from where it stopped, in bulk, with the adapter's retries and its bound on
 * what is in flight. Detector output (alerts, incidents, reputation) is sent as it is
 * made. SQLite stays the system of record the API answers from; Elasticsearch serves
 * Kibana (dashboards/kibana) and search over horizons one disk does not hold.
 */
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchStore, type SqliteStore } from '../store/index.js';
import type { DetectorOutput } from '../store/index.js';
import type { Logger } from './logger.js';

export interface ReplicaOptions {
  url: string;
  /** Index name prefix. @default 'vigil' */
  prefix?: string;
  username?: string | undefined;
  password?: string | undefined;
  apiKey?: string | undefined;
  /** Events per bulk round. @default 5000 */
  batch?: number;
  /** Wait between rounds when caught up, or after a failure, milliseconds. @default 1000 */
  idleMs?: number;
}

const CURSOR = 'elasticsearch.eventSeq';

export class ElasticsearchReplica {
  readonly es: ElasticsearchStore;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: SqliteStore,
    private readonly options: ReplicaOptions,
    private readonly logger: Logger,
    es?: ElasticsearchStore,
  ) {
    const auth = options.apiKey ? { apiKey: options.apiKey } : options.username ? { username: options.username, password: options.password ?? '' } : undefined;
    this.es = es ?? new ElasticsearchStore({ client: new Client({ node: options.url, ...(auth ? { auth } : {}) }), templates: { prefix: options.prefix ?? 'vigil' } });
  }

  /** Install templates and start following the store. */
  async start(): Promise<void> {
    await this.es.setup();
    this.loop = this.follow();
  }

  /** Events the replica has not indexed yet. */
  get lag(): number {
    return this.store.lastEventSeq() - Number(this.store.getMeta(CURSOR) ?? '0');
  }

  /** New events were stored: index them soon. */
  poke(): void {
    this.wake?.();
  }

  /** Send detector output; failures are logged (the store has it, and the API answers from the store). */
  replicate(output: DetectorOutput): void {
    this.es.saveDetectorOutput(output).catch((err: unknown) => this.logger.warn({ err }, 'elasticsearch: detector output not replicated'));
  }

  private async follow(): Promise<void> {
    const batch = this.options.batch ?? 5_000;
    const idleMs = this.options.idleMs ?? 1_000;
    while (!this.stopped) {
      let indexed = 0;
      try {
        const after = Number(this.store.getMeta(CURSOR) ?? '0');
        const rows = this.store.eventsAfter(after, batch);
        if (rows.length > 0) {
          await this.es.writeEvents(rows.map((r) => ({ event: r.event, source: r.source, receivedAt: r.receivedAt })));
          this.store.setMeta(CURSOR, String(rows[rows.length - 1]!.seq));
          indexed = rows.length;
        }
      } catch (err) {
        this.logger.warn({ err, lag: this.lag }, 'elasticsearch: bulk indexing failed; retrying from the same place');
      }
      if (indexed < batch && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, idleMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.es.close().catch((err: unknown) => this.logger.warn({ err }, 'elasticsearch: client did not close cleanly'));
  }
}
