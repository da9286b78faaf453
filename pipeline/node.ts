/**
 * One Vigil node: the one place where the parts are wired together (DESIGN.md). Everything
 * else receives what it needs through its options.
 */
import { resolveValidationOptions, type ResolvedValidationOptions } from '../events/index.js';
import { createHttpCollector, type EventSource } from '../collectors/index.js';
import { SqliteStore } from '../store/index.js';
import { IngestPipeline } from './ingest.js';
import { createMetrics, type Metrics } from './metrics.js';
import { HttpServer } from './server.js';
import type { VigilConfig } from './config.js';
import type { Logger } from './logger.js';

export interface NodeDependencies {
  logger: Logger;
  /** Clock, epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Extra sources to run (the demo simulator, tests). */
  sources?: EventSource[];
}

export class VigilNode {
  readonly store: SqliteStore;
  readonly metrics: Metrics;
  readonly ingest: IngestPipeline;
  readonly http: HttpServer;
  readonly validation: ResolvedValidationOptions;
  private readonly sources: EventSource[] = [];
  private address: { host: string; port: number } | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: VigilConfig,
    private readonly deps: NodeDependencies,
  ) {
    const now = deps.now ?? Date.now;
    this.validation = resolveValidationOptions({ ...config.validation, now });
    this.metrics = createMetrics();
    this.store = SqliteStore.open({ dataDir: config.dataDir, maxDeadLetterBytes: config.ingest.maxDeadLetterBytes });
    this.ingest = new IngestPipeline(this.store, this.metrics, { ...config.ingest, now });
    this.http = new HttpServer((err) => deps.logger.error({ err }, 'request failed'));
    this.http.route('/healthz', (_req, res) => {
      const body = JSON.stringify({ status: 'ok', events: this.store.lastEventSeq(), queueDepth: this.ingest.depth });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    });
    this.http.route('/metrics', async (_req, res) => {
      const text = await this.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text);
    });
    this.http.route('/ingest', createHttpCollector(this.ingest, this.validation, { maxBodyBytes: config.api.maxBodyBytes }));
    this.metrics.initSource('http');
    this.sources.push(...(deps.sources ?? []));
    for (const source of this.sources) this.metrics.initSource(source.name);
  }

  static async start(config: VigilConfig, deps: NodeDependencies): Promise<VigilNode> {
    const node = new VigilNode(config, deps);
    try {
      const addr = await node.http.listen(config.api.port, config.api.host);
      node.address = { host: addr.address, port: addr.port };
      for (const source of node.sources) await source.start(node.ingest);
    } catch (err) {
      await node.stop();
      throw err;
    }
    deps.logger.info({ dataDir: config.dataDir, ...node.address }, 'vigil node started');
    return node;
  }

  /** Where the HTTP port listens. */
  get url(): string {
    if (!this.address) throw new Error('node not listening');
    const host = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host;
    return `http://${host}:${this.address.port}`;
  }

  async addSource(source: EventSource): Promise<void> {
    this.sources.push(source);
    this.metrics.initSource(source.name);
    await source.start(this.ingest);
  }

  /** Stop sources, finish storing what was taken, close the port and the database. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const source of this.sources) await source.stop().catch((err: unknown) => this.deps.logger.warn({ err, source: source.name }, 'source did not stop cleanly'));
      await this.http.close();
      await this.ingest.close();
      this.store.close();
      this.deps.logger.info('vigil node stopped');
    })();
    return this.stopping;
  }
}
