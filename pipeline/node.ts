/**
 * One Vigil node: the one place where the parts are wired together (DESIGN.md). Everything
 * else receives what it needs through its options.
 */
import { resolveValidationOptions, type ResolvedValidationOptions } from '../events/index.js';
import { ConnectionGuard, SYSLOG_TLS_SOURCE, createHttpCollector, type EventSource, type IngestAccess } from '../collectors/index.js';
import { readCityFile, readCityGeoJson } from './city.js';
import { SimulatorSource, cityGeoJson, describeNetwork, roadNetwork, type CityDescription } from '../collectors/index.js';
import { startAnalysis, type Analysis } from './analysis.js';
import { MqttBrokerCollector, MqttClientCollector, SyslogCollector, SYSLOG_TCP_SOURCE, SYSLOG_UDP_SOURCE, KafkaCollector } from '../collectors/index.js';
import { readFileSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Authenticator, createGraphiql, hostCheck, ledgerAuditLog, type Limits } from '../api/index.js';
import { startNotifications, type Notifications } from './notify.js';
import { createApiMetrics, type ApiMetrics } from './api-metrics.js';
import { MemoryBus, type Bus } from './bus.js';
import { KafkaBus, createKafkaClient } from './bus-kafka.js';
import { BusRelay } from './bus-relay.js';
import { startDetectionSink, storeGroupId, type DetectionSink } from './detections.js';
import { startDecisionPublisher, type DecisionPublisher } from './authority-kafka.js';
import { KafkaLagMonitor, type LagGroup } from './kafka-lag.js';
import { ConfigError } from './config.js';
import { SensorKeyStore, SqliteStore } from '../store/index.js';
import { isLoopback, openListeners, sensorAuthenticator, type OpenListener } from './sensor-auth.js';
import { IngestPipeline } from './ingest.js';
import { InlineStoreWriter, WorkerStoreWriter, type StoreWriter } from './store-writer.js';
import { createMetrics, type Metrics } from './metrics.js';
import { HttpServer } from './server.js';
import { createDashboards } from '../dashboards/index.js';
import type { VigilConfig } from './config.js';
import { AnchorWiring, prepareChain, startLocalWitnesses, witnessPolicy, type ChainSetup, type LocalWitnesses } from './anchor.js';
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
  private readonly writer: StoreWriter;
  readonly http: HttpServer;
  readonly validation: ResolvedValidationOptions;
  /** Where stored events go to their consumers (config `bus`): subscribe the detector here. */
  readonly bus: Bus;
  /** The network collectors this node runs (per config), for their bound ports. */
  readonly mqttBroker: MqttBrokerCollector | undefined;
  readonly syslog: SyslogCollector | undefined;
  /** Ledger, detector and API; present once the node has started. */
  analysis: Analysis | undefined;
  /** The simulated city (demo mode), served at /city.json for the map. */
  readonly city: CityDescription | undefined;
  /** The city the map page draws (GeoJSON, TRANSFER-SPEC §1): the operator's city file, else the simulated city. */
  private cityMapJson: string | undefined;
  /** The collectors' credentials (`vigil sensor`, the API's createSensorKey). */
  readonly sensorKeys: SensorKeyStore;
  /** Collectors that take input from anyone (allowed on loopback; the node warns at start). */
  readonly openListeners: readonly OpenListener[];
  private sensorKeyTimer: NodeJS.Timeout | undefined;
  private readonly sources: EventSource[] = [];
  private readonly busRelay: BusRelay | undefined;
  private readonly kafkaLag: KafkaLagMonitor | undefined;
  /** What the detector workers publish, stored here (config `bus.detectionsTopic`). */
  private detections: DetectionSink | undefined;
  private decisions: DecisionPublisher | undefined;
  private address: { host: string; port: number } | undefined;
  private stopping: Promise<void> | undefined;
  /** Anchoring on chain (config `anchor`), once started; and the witnesses run beside the node. */
  anchoring: AnchorWiring | undefined;
  private chain: ChainSetup | undefined;
  private localWitnesses: LocalWitnesses | undefined;
  private readonly apiMetrics: ApiMetrics;
  /** Outbound notifications (config `notify`), when connectors are configured. */
  notifications: Notifications | undefined;

  private constructor(
    readonly config: VigilConfig,
    private readonly deps: NodeDependencies,
  ) {
    const now = deps.now ?? Date.now;
    // Refuse before anything is opened: an open collector on a reachable address lets anyone forge events (issue 16).
    this.openListeners = openListeners(config);
    const exposed = this.openListeners.filter((l) => !isLoopback(l.host));
    if (exposed.length > 0 && !config.ingest.insecureOpen) {
      const list = exposed.map((l) => `${l.what} on ${l.host}`).join(', ');
      throw new ConfigError('ingest.insecureOpen', `refusing to start: ${list} would take events from anyone; set ingest.requireKeys (and syslog.tls, or syslog.udp/tcp false), or allow it with --insecure-open`);
    }
    this.validation = resolveValidationOptions({ ...config.validation, now });
    this.metrics = createMetrics();
    this.apiMetrics = createApiMetrics(this.metrics.registry);
    this.store = SqliteStore.open({ dataDir: config.dataDir, maxDeadLetterBytes: config.ingest.maxDeadLetterBytes, retentionDays: config.store.retentionDays, now });
    this.writer =
      config.ingest.writer === 'worker'
        ? new WorkerStoreWriter({ dataDir: config.dataDir, maxDeadLetterBytes: config.ingest.maxDeadLetterBytes, retentionDays: config.store.retentionDays }, this.store)
        : new InlineStoreWriter(this.store);
    const { queueCapacity, maxBatchItems } = config.ingest;
    this.ingest = new IngestPipeline(this.writer, this.metrics, {
      queueCapacity,
      maxBatchItems,
      now,
      onListenerError: (err) => deps.logger.error({ err }, 'a consumer of stored events failed (ledger, bus or replica)'),
    });
    this.sensorKeys = new SensorKeyStore(this.store.db);
    const keys = sensorAuthenticator(this.sensorKeys);
    const access: IngestAccess = config.ingest.requireKeys ? { mode: 'keys', keys } : { mode: 'open', keys };
    this.http = new HttpServer((err) => deps.logger.error({ err }, 'request failed'), {
      hostAllowed: hostCheck(config.api.allowedHosts, config.api.host),
      ...(config.api.tls ? { tls: { key: readKeyFile('api.tls.key', config.api.tls.key), cert: readKeyFile('api.tls.cert', config.api.tls.cert) } } : {}),
    });
    new ConnectionGuard(config.ingest.connections, (reason) => this.metrics.refused.inc({ source: 'http', reason })).attach(this.http.server);
    this.http.route('/healthz', (_req, res) => {
      const body = JSON.stringify({ status: 'ok', events: this.store.lastEventSeq(), queueDepth: this.ingest.depth });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    });
    const metricsAllowed = bearerCheck(config.api.metricsToken);
    this.http.route('/metrics', async (req, res) => {
      if (!metricsAllowed(req.headers.authorization)) {
        return void res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="vigil-metrics"' }).end('{"error":{"code":"UNAUTHENTICATED","message":"/metrics needs Authorization: Bearer <api.metricsToken>"}}');
      }
      const api = this.analysis?.api.metrics;
      const text = (await this.metrics.registry.metrics()) + (api ? await api.metrics() : '');
      res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text);
    });
    this.http.route(
      '/ingest',
      createHttpCollector(this.ingest, this.validation, {
        ...preserveOriginal(config, 'http'),
        maxBodyBytes: config.api.maxBodyBytes,
        maxInflightBytes: config.ingest.maxInflightBytes,
        allowedOrigins: config.ingest.allowedOrigins,
        access,
        onRefused: (reason) => this.metrics.refused.inc({ source: 'http', reason }),
      }),
    );
    // The investigators' API is made with the ledger and the rule book (pipeline/analysis.ts);
    // in the moment before they are open, it answers 503 rather than serve unaudited mutations.
    this.http.mount('/graphql', (req, res) => {
      if (this.analysis) return this.analysis.api.handler(req, res);
      return void res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' }).end('{"errors":[{"message":"starting: the ledger is being opened","extensions":{"code":"UNAVAILABLE"}}]}');
    });
    // GraphiQL from local assets, asking for a token before anything (api/graphiql.ts); off by default.
    if (config.api.graphiql) this.http.mount('/graphiql', createGraphiql().handler);
    this.http.upgrade('/graphql', (req, socket, head) => {
      if (this.analysis) this.analysis.api.ws.handleUpgrade(req, socket, head);
      else socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n');
    });
    // The web dashboards, bundled on the first request. Exact routes and longer prefixes (/graphql) win over '/'.
    this.http.mount(
      '/',
      createDashboards({
        onError: (err) => deps.logger.error({ err }, 'dashboards could not be built'),
        // The auditor's page checks anchors against the chain itself (its RPC URL), not through this node.
        connectSources: () => (this.chain ? [this.chain.browserRpcUrl] : []),
      }).handler,
    );
    this.http.route('/anchors.json', async (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' }).end(JSON.stringify(await this.anchorInfo()));
    });
    this.metrics.initSource('http');
    this.sources.push(...(deps.sources ?? []));
    const wired = networkSources(config, this.validation, deps.logger, access, (source, reason) => this.metrics.refused.inc({ source, reason }));
    this.mqttBroker = wired.mqttBroker;
    this.syslog = wired.syslog;
    this.sources.push(...wired.sources);
    this.city = config.demo.enabled ? describeNetwork(roadNetwork()) : undefined;
    if (config.demo.enabled) this.cityMapJson = JSON.stringify(cityGeoJson(roadNetwork(), 'demo'));
    // The city's roads and RSU positions are the deployment's layout: shown to signed-in users only.
    const cityAuth = new Authenticator(this.store, now);
    this.http.route('/city.json', (req, res) => {
      const who = cityAuth.check(req.headers.authorization ?? null);
      if (!('tokenId' in who)) return void res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: who }));
      if (!this.cityMapJson) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"no city file on this node (vigil start --city FILE)"}}');
      res.writeHead(200, { 'Content-Type': 'application/geo+json', 'Cache-Control': 'private, max-age=3600' }).end(this.cityMapJson);
    });
    if (config.demo.enabled) {
      const { seed, vehicles, devices, attackRate } = config.demo;
      this.sources.push(
        new SimulatorSource({
          seed,
          vehicles,
          devices,
          attackRate,
          clock: now,
          validation: { ...config.validation, now },
          onError: (err) => deps.logger.error({ err }, 'the demo simulator stopped'),
        }),
      );
    }
    for (const source of this.sources) if (source !== this.syslog) this.metrics.initSource(source.name);
    if (this.syslog) for (const name of [SYSLOG_UDP_SOURCE, SYSLOG_TCP_SOURCE, SYSLOG_TLS_SOURCE]) this.metrics.initSource(name);
    this.bus = wired.bus;
    const lagGroups: LagGroup[] = [];
    if (config.kafka.topics.length > 0) lagGroups.push({ groupId: config.kafka.groupId, topics: config.kafka.topics });
    if (config.bus.type === 'kafka') lagGroups.push({ groupId: config.bus.groupId, topics: [config.bus.topic] });
    // The node's own consumer of what the workers found: its lag is detections not yet stored.
    if (config.bus.detectionsTopic !== undefined) lagGroups.push({ groupId: storeGroupId(config.bus.groupId), topics: [config.bus.detectionsTopic] });
    if (lagGroups.length > 0) {
      this.kafkaLag = new KafkaLagMonitor(createKafkaClient(config.kafka).admin(), lagGroups, this.metrics.registry, {
        onError: (err) => deps.logger.warn({ err }, 'cannot read Kafka consumer lag'),
      });
    }
    if (this.bus instanceof KafkaBus) {
      // Kafka can be down: what it did not take is replayed from the store by cursor (pipeline/bus-relay.ts).
      const relay = new BusRelay(this.bus, this.store, { onError: (err, behind) => deps.logger.error({ err, behind }, 'bus publish failed; replaying from the store') });
      this.busRelay = relay;
      this.ingest.onStored((events) => relay.stored(events));
    } else {
      // The in-process bus fails only when a consumer throws: the events are stored, and the failure is logged.
      this.ingest.onStored((events) => this.bus.publish(events).catch((err: unknown) => deps.logger.error({ err, events: events.length }, 'bus publish failed')));
    }
  }

  static async start(config: VigilConfig, deps: NodeDependencies): Promise<VigilNode> {
    const node = new VigilNode(config, deps);
    try {
      if (node.writer instanceof WorkerStoreWriter) await node.writer.start();
      // Witnesses beside the node and the chain are up before the ledger opens: the ledger
      // is given the witness policy, and the anchorer the chain (pipeline/anchor.ts).
      if (config.detector.city) {
        const geo = await readCityGeoJson(config.detector.city);
        node.cityMapJson = geo ? JSON.stringify(geo) : undefined;
      }
      node.localWitnesses = await startLocalWitnesses(config, deps.logger);
      node.chain = await prepareChain(config, deps.logger);
      const witnesses = witnessPolicy(config, node.localWitnesses);
      // The ledger (with its crash catch-up) and the detector are ready before the port
      // opens: nothing can be stored that they would not see, and /healthz means ready.
      node.analysis = await startAnalysis({
        dataDir: config.dataDir,
        store: node.store,
        ingest: node.ingest,
        bus: node.bus,
        logger: deps.logger,
        metrics: node.metrics,
        writer: node.writer,
        now: deps.now ?? Date.now,
        ledger: config.ledger,
        // The config schema admits only known limits, each a positive whole number; unset ones are absent.
        api: { corsOrigins: config.api.corsOrigins, ws: config.api.ws, readThreads: config.api.readThreads, onOperation: node.apiMetrics.onOperation, ...(config.api.limits ? { limits: config.api.limits as Partial<Limits> } : {}) },
        ...(config.store.elasticsearch ? { elasticsearch: config.store.elasticsearch } : {}),
        // With detector workers (`vigil worker`), the detector runs in them, not here.
        detect: config.detector.enabled && config.bus.detectionsTopic === undefined,
        trainDemoModel: config.demo.enabled,
        tickMs: config.detector.tickMs,
        detectorThread: config.detector.thread,
        ...(config.detector.city ? { cityFile: config.detector.city } : {}),
        retentionDays: config.store.retentionDays,
        sensorKeys: node.sensorKeys,
        ...(node.city ? { city: node.city } : {}),
        ...(witnesses ? { witnesses } : {}),
        decorateEvidence: (bundle) => {
          const anchor = node.anchoring?.proofFor(bundle);
          return anchor ? { ...bundle, anchor } : bundle;
        },
        ...(config.detector.rules.length > 0 ? { rules: config.detector.rules } : {}),
        ...(config.detector.city ? { cityMap: await readCityFile(config.detector.city, (m) => deps.logger.warn(m)) } : {}),
      });
      await node.ledgerSensorKeyActions();
      const { api, ledger } = node.analysis;
      node.apiMetrics.attach(api, ledger, deps.now ?? Date.now);
      node.notifications = startNotifications({ config: config.notify, dataDir: config.dataDir, api, audit: ledgerAuditLog(ledger), store: node.store, registry: node.metrics.registry, logger: deps.logger, now: deps.now ?? Date.now });
      if (node.chain) {
        node.anchoring = new AnchorWiring(node.chain, node.analysis.ledger, config, node.metrics, deps.logger);
        await node.anchoring.start();
      }
      node.busRelay?.start();
      node.detections = await startDetectionSink(config, node.store, node.analysis, deps.logger, node.metrics.registry);
      node.decisions = await startDecisionPublisher(config, node.analysis.authority);
      node.kafkaLag?.start();
      const addr = await node.http.listen(config.api.port, config.api.host);
      node.address = { host: addr.address, port: addr.port };
      for (const source of node.sources) await source.start(node.ingest);
    } catch (err) {
      await node.stop();
      throw err;
    }
    deps.logger.info({ dataDir: config.dataDir, ...node.address }, 'vigil node started');
    if (node.openListeners.length > 0) {
      deps.logger.warn(
        { open: node.openListeners.map((l) => `${l.what} on ${l.host}`) },
        'OPEN INGEST: these collectors take events from anyone who can reach them (loopback here); a deployment sets ingest.requireKeys and syslog.tls (README, "Securing a deployment")',
      );
    }
    return node;
  }

  /**
   * Ledger the sensor-key changes `vigil sensor` made on this machine (a created key works
   * only once its action is in the ledger), now and every second.
   */
  private async ledgerSensorKeyActions(): Promise<void> {
    const flusher = this.analysis?.api.sensorKeyActions;
    if (!flusher) return;
    await flusher.flush();
    this.sensorKeyTimer = setInterval(() => {
      flusher.flush().catch((err: unknown) => this.deps.logger.error({ err }, 'sensor-key actions could not be ledgered; retrying'));
    }, 1_000);
    this.sensorKeyTimer.unref();
  }

  /** Where the HTTP port listens. */
  get url(): string {
    if (!this.address) throw new Error('node not listening');
    const host = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host;
    return `${this.config.api.tls ? 'https' : 'http'}://${host}:${this.address.port}`;
  }

  /** The anchors and witnesses, as /anchors.json serves them to the auditor's page. */
  async anchorInfo(): Promise<Record<string, unknown>> {
    const ledger = this.analysis?.ledger;
    const witnesses = [...this.config.witnesses.urls, ...(this.localWitnesses?.servers.map((s) => s.url) ?? [])];
    const published = witnesses.length > 0 ? ledger?.latestPublished : undefined;
    // The cosignatures of the latest published checkpoint, as a bundle of its last entry carries them.
    const cosignatures = published && published.size > 0 ? (await ledger!.prove(published.size - 1).catch(() => undefined))?.cosignatures : undefined;
    return {
      ...(this.anchoring ? this.anchoring.info() : { enabled: false }),
      witnesses,
      latestPublished: published ?? null,
      cosignatures: cosignatures ?? [],
    };
  }

  async addSource(source: EventSource): Promise<void> {
    this.sources.push(source);
    this.metrics.initSource(source.name);
    await source.start(this.ingest);
  }

  /** Stop sources, finish storing what was taken, close the port and the database. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.sensorKeyTimer);
      // Upgraded sockets are no longer the HTTP server's: closed here, or its close would wait for them.
      await this.analysis?.api.ws.close().catch((err: unknown) => this.deps.logger.warn({ err }, 'GraphQL WebSockets did not close cleanly'));
      for (const source of this.sources) await source.stop().catch((err: unknown) => this.deps.logger.warn({ err, source: source.name }, 'source did not stop cleanly'));
      await this.http.close();
      await this.ingest.close();
      await this.writer.close();
      await this.notifications?.stop().catch((err: unknown) => this.deps.logger.warn({ err }, 'notifications did not stop cleanly'));
      await this.detections?.stop().catch((err: unknown) => this.deps.logger.warn({ err }, 'detections consumer did not stop cleanly'));
      await this.decisions?.close();
      await this.analysis?.api.readPool?.close();
      await this.analysis?.stop().catch((err: unknown) => this.deps.logger.warn({ err }, 'ledger or detector did not stop cleanly'));
      // After the ledger's last checkpoint: the anchorer only reads it, and anvil goes last.
      await (this.anchoring ? this.anchoring.stop() : this.chain?.anvil?.stop())?.catch((err: unknown) => this.deps.logger.warn({ err }, 'anchoring did not stop cleanly'));
      await this.localWitnesses?.stop();
      await this.busRelay?.stop();
      await this.kafkaLag?.stop();
      await this.bus.close().catch((err: unknown) => this.deps.logger.warn({ err }, 'bus did not close cleanly'));
      this.store.close();
      this.deps.logger.info('vigil node stopped');
    })();
    return this.stopping;
  }
}

/**
 * A check of `Authorization: Bearer <secret>` against a configured secret (always true when
 * none is configured). Both sides are hashed first so the comparison is constant-time
 * whatever their lengths.
 */
function bearerCheck(secret: string | undefined): (header: string | undefined) => boolean {
  if (secret === undefined) return () => true;
  const want = createHash('sha256').update(secret).digest();
  return (header) => {
    const m = header === undefined ? null : /^Bearer\s+(\S{1,256})\s*$/i.exec(header);
    return m !== null && timingSafeEqual(createHash('sha256').update(m[1]!).digest(), want);
  };
}

function readKeyFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(key, `configuration ${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The collectors and bus the configuration asks for (mqtt, syslog, kafka, bus sections). */
function networkSources(config: VigilConfig, validation: ResolvedValidationOptions, logger: Logger, access: IngestAccess, refused: (source: string, reason: string) => void) {
  const sources: EventSource[] = [];
  const onError = (err: unknown, context?: string) => logger.warn({ err, context }, 'collector error');
  const readPem = (key: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(key, `configuration ${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  let mqttBroker: MqttBrokerCollector | undefined;
  const b = config.mqtt.broker;
  if (b.enabled) {
    mqttBroker = new MqttBrokerCollector(
      validation,
      {
        ...preserveOriginal(config, 'mqtt'),
        host: b.host,
        port: b.port,
        maxPacketBytes: b.maxPacketBytes,
        access,
        connections: config.ingest.connections,
        onRefused: (reason) => refused('mqtt', reason),
        ...(b.tls
          ? {
              tls: {
                key: readPem('mqtt.broker.tls.key', b.tls.key),
                cert: readPem('mqtt.broker.tls.cert', b.tls.cert),
                ...(b.tls.ca !== undefined ? { ca: readPem('mqtt.broker.tls.ca', b.tls.ca) } : {}),
              },
            }
          : {}),
        ...(b.username !== undefined && b.password !== undefined ? { username: b.username, password: b.password } : {}),
      },
      onError,
    );
    sources.push(mqttBroker);
  }
  const c = config.mqtt.client;
  if (c.url !== undefined) {
    sources.push(
      new MqttClientCollector(
        validation,
        {
          ...preserveOriginal(config, 'mqtt'),
          url: c.url,
          clientId: c.clientId,
          topics: c.topics,
          connections: c.connections,
          ...(c.username !== undefined ? { username: c.username } : {}),
          ...(c.password !== undefined ? { password: c.password } : {}),
          ...(c.ca !== undefined ? { ca: readPem('mqtt.client.ca', c.ca) } : {}),
        },
        onError,
      ),
    );
  }
  let syslog: SyslogCollector | undefined;
  const s = config.syslog;
  if (s.enabled) {
    const { idleTimeoutMs, maxPerAddress, maxConnections } = config.ingest.connections;
    const tls = s.tls && {
      port: s.tls.port,
      key: readPem('syslog.tls.key', s.tls.key),
      cert: readPem('syslog.tls.cert', s.tls.cert),
      allowFingerprints: s.tls.allowFingerprints,
      ...(s.tls.ca !== undefined ? { ca: readPem('syslog.tls.ca', s.tls.ca) } : {}),
    };
    syslog = new SyslogCollector(
      validation,
      {
        ...preserveOriginal(config, 'syslog'),
        host: s.host,
        port: s.port,
        udp: s.udp,
        tcp: s.tcp,
        maxMessageBytes: s.maxMessageBytes,
        udpBufferMessages: s.udpBufferMessages,
        udpReceiveBufferBytes: s.udpReceiveBufferBytes,
        maxConnections,
        connections: { idleTimeoutMs, maxPerAddress },
        onRefused: (reason, source) => refused(source, reason),
        ...(tls ? { tls } : {}),
      },
      (err) => onError(err, 'syslog'),
    );
    sources.push(syslog);
  }
  const kafka = config.kafka.brokers.length > 0 ? createKafkaClient(config.kafka) : undefined;
  if (kafka && config.kafka.topics.length > 0) {
    sources.push(new KafkaCollector(kafka, validation, { ...preserveOriginal(config, 'kafka'), topics: config.kafka.topics, groupId: config.kafka.groupId, fromBeginning: config.kafka.fromBeginning }, onError));
  }
  const bus: Bus = config.bus.type === 'kafka' && kafka ? new KafkaBus(kafka, { topic: config.bus.topic, onError }) : new MemoryBus();
  return { sources, mqttBroker, syslog, bus };
}

/** A collector's `event.original` options from `ingest.preserveOriginal` (off unless its source is listed). */
function preserveOriginal(config: VigilConfig, source: VigilConfig['ingest']['preserveOriginal'][number]): { preserveOriginal: boolean; originalMaxBytes: number } {
  return { preserveOriginal: config.ingest.preserveOriginal.includes(source), originalMaxBytes: config.ingest.originalMaxBytes };
}
