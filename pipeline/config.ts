/**
 * Vigil's configuration, normalised once at start (STYLE.md 6): defaults filled in, every
 * value validated, and a wrong option fails with a message naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_LIMITS, type Limits } from '../api/index.js';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { anchorSection, refineAnchorConfig, witnessesSection } from './anchor-config.js';
import { notifySection } from '../notify/index.js';

/**
 * The data directory every command uses unless told otherwise (`--data-dir`, or `dataDir`
 * in the configuration): the database, the ledger and the model, so `vigil train` saves
 * the model where `vigil start` looks for it.
 */
export const DEFAULT_DATA_DIR = './data';

const port = z.number().int().min(0).max(65_535);

export const configSchema = z.strictObject({
  /** Where the database, ledger and model live. @default './data' */
  dataDir: z.string().min(1).default(DEFAULT_DATA_DIR),
  api: z
    .strictObject({
      /** @default '127.0.0.1' */
      host: z.string().min(1).default('127.0.0.1'),
      /** @default 4000 */
      port: port.default(4000),
      /** Largest POST /ingest body, bytes. @default 33554432 */
      maxBodyBytes: z.number().int().min(1024).default(32 * 1024 * 1024),
      /**
       * Host names (with or without `:port`) the `Host` header may carry, besides `localhost`,
       * `127.0.0.1`, `[::1]` and `api.host`. Anything else is refused with 421, so a page on
       * another site cannot reach this node through DNS rebinding. `*` allows any host (only
       * behind a proxy that checks it). @default []
       */
      allowedHosts: z.array(z.string().min(1).max(255)).default([]),
      /** Browser origins allowed to call /graphql cross-origin (CORS). @default [] (none) */
      corsOrigins: z.array(z.string().url()).default([]),
      /** Threads with read-only SQLite connections serving the API's reads (api/read-pool.ts); 0: on the main thread. @default 1 */
      readThreads: z.number().int().min(0).max(16).default(1),
      /** Serve HTTPS with this PEM key and certificate (paths). @default none (plain HTTP) */
      tls: z.strictObject({ key: z.string().min(1), cert: z.string().min(1) }).optional(),
      /**
       * A bearer token `GET /metrics` requires (`Authorization: Bearer …`); at least 16
       * characters. @default none (/metrics open, like /healthz)
       */
      metricsToken: z.string().min(16).max(256).optional(),
      /**
       * Serve GraphiQL at /graphiql from local assets (no CDN), under the dashboards' strict CSP;
       * it asks for an API token before it shows anything. `VIGIL_API_GRAPHIQL`. @default false
       */
      graphiql: z.boolean().default(false),
      /** graphql-ws subscriptions on /graphql (WebSocket), beside SSE. */
      ws: z
        .strictObject({
          /** Open sockets at once; more are refused with 503. @default 256 */
          maxConnections: z.number().int().min(1).max(100_000).default(256),
          /** Largest message, bytes. @default 65536 */
          maxPayloadBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(65_536),
          /** Milliseconds a client has to send connection_init. @default 10000 */
          connectionInitWaitMs: z.number().int().min(100).default(10_000),
          /** How often open sockets' tokens are checked again (revoked, expired: closed), milliseconds. @default 30000 */
          recheckMs: z.number().int().min(100).default(30_000),
        })
        .prefault({}),
      /** GraphQL limits (api/limits.ts `Limits`: maxDepth, maxCost, maxAliases, maxTokens, rateLimit, rateWindowMs, budgetMs, …). */
      limits: z
        .strictObject(Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((k) => [k, z.number().int().min(1).optional()])) as Record<keyof Limits, z.ZodOptional<z.ZodNumber>>)
        .optional(),
    })
    .prefault({}),
  validation: z
    .strictObject({
      /** Largest single input record, bytes. @default 65536 */
      maxRecordBytes: z.number().int().min(64).default(65_536),
      /** Allowed clock skew into the future, milliseconds. @default 600000 */
      maxFutureMs: z.number().int().min(0).default(600_000),
      /** Earliest accepted timestamp, epoch milliseconds. @default 946684800000 */
      minTimestampMs: z.number().int().min(0).default(Date.UTC(2000, 0, 1)),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** Inputs waiting to be stored before collectors are slowed or refused. @default 100000 */
      queueCapacity: z.number().int().min(1).default(100_000),
      /** Most inputs per store transaction. @default 20000 */
      maxBatchItems: z.number().int().min(1).default(20_000),
      /**
       * Where the store's writes run: `worker` (their own thread, so parsing and validation of
       * the next batch overlap with the commit) or `inline` (the node's main thread).
       * @default 'worker'
       */
      writer: z.enum(['worker', 'inline']).default('worker'),
      /** Largest dead-letter raw input kept, bytes. @default 65536 */
      maxDeadLetterBytes: z.number().int().min(0).default(65_536),
      /**
       * HTTP ingest and the MQTT broker take only senders with a live sensor key (`vigil sensor
       * create`), each event within its key's scope. Off, they are open: allowed on a loopback
       * address, refused at start on any other unless `insecureOpen`. `--require-keys`,
       * `VIGIL_INGEST_REQUIRE_KEYS`. @default false
       */
      requireKeys: z.boolean().default(false),
      /**
       * Let a collector that authenticates nobody (open HTTP ingest or MQTT, plain syslog UDP/TCP)
       * listen on a non-loopback address. `--insecure-open`, `VIGIL_INSECURE_OPEN`. @default false
       */
      insecureOpen: z.boolean().default(false),
      /**
       * Bytes of request bodies held at once across every concurrent POST /ingest; more answer
       * 429 with Retry-After. At least api.maxBodyBytes. @default 67108864 (64 MiB)
       */
      maxInflightBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
      /**
       * Sources whose events keep their raw input as ECS `event.original` (Elastic's "preserve
       * original event"): `http` (each NDJSON line), `mqtt` (each payload, broker and client),
       * `syslog` (each message, UDP, TCP and TLS), `kafka` (each record value). Off by default:
       * it about doubles the bytes stored per event. The original is not part of the event's id;
       * its SHA-256 is in the event's ledger leaf. `--preserve-original http,syslog`,
       * `VIGIL_PRESERVE_ORIGINAL`. @default []
       */
      preserveOriginal: z.array(z.enum(['http', 'mqtt', 'syslog', 'kafka'])).default([]),
      /**
       * Longest `event.original` kept, bytes of UTF-8; a longer input is cut at a character
       * boundary and ends with `…[truncated: N bytes]`. `VIGIL_ORIGINAL_MAX_BYTES`. @default 16384
       */
      originalMaxBytes: z.number().int().min(64).max(1024 * 1024).default(16_384),
      /** Browser origins besides the node's own that may POST /ingest (a dashboard elsewhere). @default [] */
      allowedOrigins: z.array(z.string().url()).default([]),
      /** Bounds on every collector TCP connection (syslog TCP/TLS, MQTT, the HTTP port). */
      connections: z
        .strictObject({
          /** Milliseconds without a byte before a connection is closed. @default 300000 */
          idleTimeoutMs: z.number().int().min(100).default(300_000),
          /** Most concurrent connections from one address, per listener. @default 128 */
          maxPerAddress: z.number().int().min(1).default(128),
          /** Most concurrent connections per listener. @default 1024 */
          maxConnections: z.number().int().min(1).default(1024),
        })
        .prefault({}),
    })
    .prefault({}),
  demo: z
    .strictObject({
      /** Run the city simulator into the pipeline. @default false */
      enabled: z.boolean().default(false),
      seed: z.number().int().default(1),
      vehicles: z.number().int().min(1).max(100_000).default(100),
      devices: z.number().int().min(0).max(100_000).default(50),
      attackRate: z.number().min(0).max(1).default(0.05),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** Keep events, dead letters and reputation points this many days (alerts, incidents and triage are kept). 0 keeps all. @default 0 */
      retentionDays: z.number().min(0).default(0),
      /** Replicate events, alerts and incidents to Elasticsearch (for Kibana and long-horizon search). */
      elasticsearch: z
        .strictObject({
          url: z.string().url(),
          /** Index name prefix. @default 'vigil' */
          prefix: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).default('vigil'),
          username: z.string().optional(),
          password: z.string().optional(),
          apiKey: z.string().optional(),
        })
        .optional(),
    })
    .prefault({}),
  ledger: z
    .strictObject({
      /** Cut a signed checkpoint after this many entries… @default 10000 */
      checkpointEvery: z.number().int().min(1).default(10_000),
      /** …or after this many milliseconds, whichever comes first. @default 1000 */
      checkpointIntervalMs: z.number().int().min(1).default(1_000),
      /**
       * The signing key (Ed25519, PKCS #8 PEM, mode 0600; made on first start if absent). Keep
       * it outside the data folder in a deployment, so a copy or backup of the log is not a
       * copy of the key. @default '<dataDir>/ledger/private.pem'
       */
      keyPath: z.string().min(1).optional(),
    })
    .prefault({}),
  detector: z
    .strictObject({
      /** Run the detector in this node (off for a node that only ingests into a Kafka bus). @default true */
      enabled: z.boolean().default(true),
      /** How often time-driven rules (a device gone silent) run, milliseconds. @default 5000 */
      tickMs: z.number().int().min(100).default(5_000),
      /**
       * The city file (GeoJSON: roads with speed limits, roadside units, service area; see
       * README "The city"). Without it the detector uses the city its model learnt from
       * training traffic, or runs without map checks and says so. @default none
       */
      city: z.string().min(1).optional(),
      /**
       * Extra Sigma rule folders or files, loaded after the starter pack and the data
       * directory's `rules/` folder (README "Rules"). @default none
       */
      rules: z.array(z.string().min(1)).default([]),
      /**
       * Where the detector scores: `worker`, a thread of its own fed with each committed batch
       * (pipeline/detector-thread.ts), so ingest and detection use both cores; `inline`, on
       * the event loop that ingests and serves the API. Alerts and incidents are the same.
       * `VIGIL_DETECTOR_THREAD`. @default 'worker'
       */
      thread: z.enum(['worker', 'inline']).default('worker'),
    })
    .prefault({}),
  mqtt: z
    .strictObject({
      /** The embedded broker (aedes) that devices and vehicles publish to. */
      broker: z
        .strictObject({
          /**
           * Run it. `vigil start` turns it on (COMMAND_DEFAULTS); a node built in code runs only
           * the listeners it is given, so tests and embedders do not fight over port 1883.
           * `--no-mqtt-broker`, `VIGIL_MQTT_BROKER=false`. @default false (true for `vigil start`)
           */
          enabled: z.boolean().default(false),
          /** @default '127.0.0.1' */
          host: z.string().min(1).default('127.0.0.1'),
          /** @default 1883 */
          port: port.default(1883),
          /** PEM files: key and cert set means MQTT over TLS; `ca` also requires client certificates it issued (mutual TLS). */
          tls: z.strictObject({ key: z.string().min(1), cert: z.string().min(1), ca: z.string().min(1).optional() }).optional(),
          /** Credentials every client must CONNECT with; unset lets anyone connect (loopback default). */
          username: z.string().min(1).optional(),
          password: z.string().min(1).optional(),
          /** Largest MQTT packet read, bytes; larger ones close the connection unread. @default 131072 */
          maxPacketBytes: z.number().int().min(64).max(268_435_455).default(131_072),
        })
        .prefault({})
        .refine((b) => (b.username === undefined) === (b.password === undefined), { message: 'set both username and password, or neither', path: ['password'] }),
      /** Client mode: subscribe to an external broker. Off unless `url` is set. */
      client: z
        .strictObject({
          /** e.g. mqtt://broker:1883 or mqtts://user:pass@broker:8883. `--mqtt-url`, `VIGIL_MQTT_URL`. */
          url: z
            .string()
            .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'expected a URL mqtt://host:port (or mqtts://, ws://, wss://)')
            .optional(),
          username: z.string().min(1).optional(),
          password: z.string().min(1).optional(),
          /** PEM CA file to trust for mqtts://. */
          ca: z.string().min(1).optional(),
          /** @default 'vigil' */
          clientId: z.string().min(1).max(64).default('vigil'),
          /** @default ['city/v2x/+/bsm', 'city/iot/+/+'] */
          topics: z.array(z.string().min(1)).min(1).default(['city/v2x/+/bsm', 'city/iot/+/+']),
          /** Parallel connections over a shared subscription. @default 1 */
          connections: z.number().int().min(1).max(64).default(1),
        })
        .prefault({}),
    })
    .prefault({}),
  syslog: z
    .strictObject({
      /** Listen for syslog. `--no-syslog`, `VIGIL_SYSLOG=false`. @default false (true for `vigil start`, like the broker) */
      enabled: z.boolean().default(false),
      /** @default '127.0.0.1' */
      host: z.string().min(1).default('127.0.0.1'),
      /** UDP and TCP. @default 5514 */
      port: port.default(5514),
      /** @default true */
      udp: z.boolean().default(true),
      /** @default true */
      tcp: z.boolean().default(true),
      /** Largest syslog message, bytes; larger TCP frames are rejected without being buffered. @default 65536 */
      maxMessageBytes: z.number().int().min(480).default(65_536),
      /** UDP messages held while the pipeline is busy; more are dropped and counted. @default 50000 */
      udpBufferMessages: z.number().int().min(1).default(50_000),
      /** The UDP socket's kernel receive buffer, bytes (Linux caps it at net.core.rmem_max). @default 8388608 */
      udpReceiveBufferBytes: z.number().int().min(1024).default(8 * 1024 * 1024),
      /**
       * Syslog over TLS (RFC 5425) with client certificates: PEM files of this server, and who may
       * send — a CA file, SHA-256 fingerprints of allowed client certificates, or both.
       */
      tls: z
        .strictObject({
          /** @default 6514 */
          port: port.default(6514),
          key: z.string().min(1),
          cert: z.string().min(1),
          ca: z.string().min(1).optional(),
          allowFingerprints: z.array(z.string().regex(/^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'expected a SHA-256 fingerprint in hex')).default([]),
        })
        .refine((t) => t.ca !== undefined || t.allowFingerprints.length > 0, { message: 'set ca or allowFingerprints: who may send', path: ['ca'] })
        .optional(),
    })
    .prefault({}),
  kafka: z
    .strictObject({
      /** Bootstrap brokers, host:port. `VIGIL_KAFKA_BROKERS=a:9092,b:9092`. */
      brokers: z.array(z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected host:port')).default([]),
      /** @default 'vigil' */
      clientId: z.string().min(1).default('vigil'),
      /** TLS to the brokers. @default false */
      ssl: z.boolean().default(false),
      sasl: z
        .strictObject({
          mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
          username: z.string().min(1),
          password: z.string().min(1),
        })
        .optional(),
      /** Input topics for the Kafka collector; none means no collector. `VIGIL_KAFKA_TOPICS=a,b`. */
      topics: z.array(z.string().min(1).max(249)).default([]),
      /** @default 'vigil-collectors' */
      groupId: z.string().min(1).default('vigil-collectors'),
      /** A new consumer group starts at the earliest offset. @default false */
      fromBeginning: z.boolean().default(false),
    })
    .prefault({}),
  bus: z
    .strictObject({
      /** Where stored events go to the detector: in-process, or a Kafka topic for detector workers. @default 'memory' */
      type: z.enum(['memory', 'kafka']).default('memory'),
      /** Kafka topic of the bus. @default 'vigil.events' */
      topic: z.string().min(1).max(249).default('vigil.events'),
      /** Consumer group of the detector workers. @default 'vigil-detectors' */
      groupId: z.string().min(1).default('vigil-detectors'),
      /**
       * Kafka topic where detector workers (`vigil worker`) publish what they found; when set,
       * this node runs no detector of its own and stores what the workers publish
       * (pipeline/detections.ts). Needs `type: kafka`. @default none
       */
      detectionsTopic: z.string().min(1).max(249).optional(),
      /**
       * Kafka topic (one partition, compacted; created when missing) that carries the
       * authority's decisions to the detector workers' reputation (pipeline/authority-kafka.ts).
       * Used with `detectionsTopic`. @default 'vigil.authority'
       */
      authorityTopic: z.string().min(1).max(249).default('vigil.authority'),
    })
    .prefault({}),
  // Anchoring on chain and witnesses: their own file (pipeline/anchor-config.ts).
  anchor: anchorSection,
  witnesses: witnessesSection,
  /** Outbound notifications and case export (notify/config.ts; README "Notifications and cases"). */
  notify: notifySection,
})
  .superRefine(refineAnchorConfig)
  .superRefine((c, ctx) => {
    if (c.bus.detectionsTopic !== undefined && c.bus.type !== 'kafka') {
      ctx.addIssue({ code: 'custom', path: ['bus', 'detectionsTopic'], message: 'detector workers need bus.type kafka' });
    }
    if (c.bus.type === 'kafka' && c.kafka.brokers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['kafka', 'brokers'], message: 'bus.type kafka needs at least one broker' });
    }
    if (c.ingest.maxInflightBytes < c.api.maxBodyBytes) {
      ctx.addIssue({ code: 'custom', path: ['ingest', 'maxInflightBytes'], message: `expected at least api.maxBodyBytes (${c.api.maxBodyBytes})` });
    }
    if (c.kafka.topics.length > 0 && c.kafka.brokers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['kafka', 'brokers'], message: 'kafka.topics needs at least one broker' });
    }
  });

export type VigilConfig = z.infer<typeof configSchema>;
export type VigilConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

export function resolveConfig(input: unknown): VigilConfig {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]].join('.') : issue.path.join('.');
    throw new ConfigError(key, `configuration ${key}: ${issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}

// ---------------------------------------------------------------------------------------
// Sources of configuration: one file, then VIGIL_* environment variables, then flags.

/** File names looked for in the working directory when no `--config FILE` is given, in order. */
export const CONFIG_FILE_NAMES = ['vigil.config.json', 'vigil.config.yaml', 'vigil.config.yml'] as const;

type EnvType = 'string' | 'int' | 'bool' | 'list';
/**
 * The environment variables Vigil reads, and the configuration key each sets. A variable
 * overrides the file and is overridden by a flag. Lists are comma-separated; booleans are
 * true/false/1/0/yes/no.
 *
 * | variable | key |
 * |---|---|
 * | VIGIL_DATA_DIR | dataDir |
 * | VIGIL_API_HOST, VIGIL_API_PORT | api.host, api.port |
 * | VIGIL_API_ALLOWED_HOSTS | api.allowedHosts |
 * | VIGIL_API_READ_THREADS | api.readThreads |
 * | VIGIL_API_TLS_KEY, VIGIL_API_TLS_CERT | api.tls.key, api.tls.cert |
 * | VIGIL_METRICS_TOKEN | api.metricsToken |
 * | VIGIL_API_GRAPHIQL | api.graphiql |
 * | VIGIL_LEDGER_KEY | ledger.keyPath |
 * | VIGIL_INGEST_QUEUE_CAPACITY | ingest.queueCapacity |
 * | VIGIL_INGEST_REQUIRE_KEYS, VIGIL_INSECURE_OPEN | ingest.requireKeys, ingest.insecureOpen |
 * | VIGIL_PRESERVE_ORIGINAL, VIGIL_ORIGINAL_MAX_BYTES | ingest.preserveOriginal, ingest.originalMaxBytes |
 * | VIGIL_DEMO | demo.enabled |
 * | VIGIL_DETECTOR | detector.enabled |
 * | VIGIL_CITY | detector.city |
 * | VIGIL_RULES | detector.rules |
 * | VIGIL_DETECTOR_THREAD | detector.thread |
 * | VIGIL_RETENTION_DAYS | store.retentionDays |
 * | VIGIL_ELASTICSEARCH_URL | store.elasticsearch.url |
 * | VIGIL_MQTT_BROKER | mqtt.broker.enabled |
 * | VIGIL_MQTT_HOST, VIGIL_MQTT_PORT | mqtt.broker.host, mqtt.broker.port |
 * | VIGIL_MQTT_TLS_KEY, VIGIL_MQTT_TLS_CERT | mqtt.broker.tls.key, mqtt.broker.tls.cert |
 * | VIGIL_MQTT_USERNAME, VIGIL_MQTT_PASSWORD | mqtt.broker.username, mqtt.broker.password |
 * | VIGIL_MQTT_MAX_PACKET_BYTES | mqtt.broker.maxPacketBytes |
 * | VIGIL_MQTT_URL | mqtt.client.url |
 * | VIGIL_MQTT_CLIENT_USERNAME, VIGIL_MQTT_CLIENT_PASSWORD, VIGIL_MQTT_CLIENT_CA, VIGIL_MQTT_CLIENT_ID | mqtt.client.username, .password, .ca, .clientId |
 * | VIGIL_MQTT_CLIENT_TOPICS | mqtt.client.topics |
 * | VIGIL_SYSLOG | syslog.enabled |
 * | VIGIL_SYSLOG_HOST, VIGIL_SYSLOG_PORT | syslog.host, syslog.port |
 * | VIGIL_KAFKA_BROKERS, VIGIL_KAFKA_TOPICS | kafka.brokers, kafka.topics |
 * | VIGIL_KAFKA_CLIENT_ID, VIGIL_KAFKA_GROUP_ID, VIGIL_KAFKA_SSL | kafka.clientId, kafka.groupId, kafka.ssl |
 * | VIGIL_BUS, VIGIL_BUS_TOPIC, VIGIL_BUS_GROUP_ID, VIGIL_BUS_DETECTIONS_TOPIC, VIGIL_BUS_AUTHORITY_TOPIC | bus.type, bus.topic, bus.groupId, bus.detectionsTopic, bus.authorityTopic |
 * | VIGIL_ANCHOR, VIGIL_ANCHOR_RPC_URL, VIGIL_ANCHOR_CHAIN_ID | anchor.mode, anchor.rpcUrl, anchor.chainId |
 * | VIGIL_ANCHOR_CONTRACT, VIGIL_ANCHOR_KEY_FILE | anchor.contract, anchor.keyFile |
 * | VIGIL_WITNESS_URLS | witnesses.urls |
 *
 * Other VIGIL_* variables (VIGIL_LOG_LEVEL, …) belong to other parts and are not read here.
 */
export const ENV_VARS: Readonly<Record<string, { key: string; type: EnvType }>> = {
  VIGIL_DATA_DIR: { key: 'dataDir', type: 'string' },
  VIGIL_API_HOST: { key: 'api.host', type: 'string' },
  VIGIL_API_PORT: { key: 'api.port', type: 'int' },
  VIGIL_API_ALLOWED_HOSTS: { key: 'api.allowedHosts', type: 'list' },
  VIGIL_API_READ_THREADS: { key: 'api.readThreads', type: 'int' },
  VIGIL_API_TLS_KEY: { key: 'api.tls.key', type: 'string' },
  VIGIL_API_TLS_CERT: { key: 'api.tls.cert', type: 'string' },
  VIGIL_METRICS_TOKEN: { key: 'api.metricsToken', type: 'string' },
  VIGIL_API_GRAPHIQL: { key: 'api.graphiql', type: 'bool' },
  VIGIL_LEDGER_KEY: { key: 'ledger.keyPath', type: 'string' },
  VIGIL_INGEST_QUEUE_CAPACITY: { key: 'ingest.queueCapacity', type: 'int' },
  VIGIL_INGEST_REQUIRE_KEYS: { key: 'ingest.requireKeys', type: 'bool' },
  VIGIL_INSECURE_OPEN: { key: 'ingest.insecureOpen', type: 'bool' },
  VIGIL_PRESERVE_ORIGINAL: { key: 'ingest.preserveOriginal', type: 'list' },
  VIGIL_ORIGINAL_MAX_BYTES: { key: 'ingest.originalMaxBytes', type: 'int' },
  VIGIL_DEMO: { key: 'demo.enabled', type: 'bool' },
  VIGIL_DETECTOR: { key: 'detector.enabled', type: 'bool' },
  VIGIL_CITY: { key: 'detector.city', type: 'string' },
  VIGIL_RULES: { key: 'detector.rules', type: 'list' },
  VIGIL_DETECTOR_THREAD: { key: 'detector.thread', type: 'string' },
  VIGIL_RETENTION_DAYS: { key: 'store.retentionDays', type: 'int' },
  VIGIL_ELASTICSEARCH_URL: { key: 'store.elasticsearch.url', type: 'string' },
  VIGIL_MQTT_BROKER: { key: 'mqtt.broker.enabled', type: 'bool' },
  VIGIL_MQTT_HOST: { key: 'mqtt.broker.host', type: 'string' },
  VIGIL_MQTT_PORT: { key: 'mqtt.broker.port', type: 'int' },
  VIGIL_MQTT_TLS_KEY: { key: 'mqtt.broker.tls.key', type: 'string' },
  VIGIL_MQTT_TLS_CERT: { key: 'mqtt.broker.tls.cert', type: 'string' },
  VIGIL_MQTT_USERNAME: { key: 'mqtt.broker.username', type: 'string' },
  VIGIL_MQTT_PASSWORD: { key: 'mqtt.broker.password', type: 'string' },
  VIGIL_MQTT_MAX_PACKET_BYTES: { key: 'mqtt.broker.maxPacketBytes', type: 'int' },
  VIGIL_MQTT_URL: { key: 'mqtt.client.url', type: 'string' },
  VIGIL_MQTT_CLIENT_USERNAME: { key: 'mqtt.client.username', type: 'string' },
  VIGIL_MQTT_CLIENT_PASSWORD: { key: 'mqtt.client.password', type: 'string' },
  VIGIL_MQTT_CLIENT_CA: { key: 'mqtt.client.ca', type: 'string' },
  VIGIL_MQTT_CLIENT_ID: { key: 'mqtt.client.clientId', type: 'string' },
  VIGIL_MQTT_CLIENT_TOPICS: { key: 'mqtt.client.topics', type: 'list' },
  VIGIL_SYSLOG: { key: 'syslog.enabled', type: 'bool' },
  VIGIL_SYSLOG_HOST: { key: 'syslog.host', type: 'string' },
  VIGIL_SYSLOG_PORT: { key: 'syslog.port', type: 'int' },
  VIGIL_KAFKA_BROKERS: { key: 'kafka.brokers', type: 'list' },
  VIGIL_KAFKA_TOPICS: { key: 'kafka.topics', type: 'list' },
  VIGIL_KAFKA_CLIENT_ID: { key: 'kafka.clientId', type: 'string' },
  VIGIL_KAFKA_GROUP_ID: { key: 'kafka.groupId', type: 'string' },
  VIGIL_KAFKA_SSL: { key: 'kafka.ssl', type: 'bool' },
  VIGIL_BUS: { key: 'bus.type', type: 'string' },
  VIGIL_BUS_TOPIC: { key: 'bus.topic', type: 'string' },
  VIGIL_BUS_GROUP_ID: { key: 'bus.groupId', type: 'string' },
  VIGIL_BUS_DETECTIONS_TOPIC: { key: 'bus.detectionsTopic', type: 'string' },
  VIGIL_BUS_AUTHORITY_TOPIC: { key: 'bus.authorityTopic', type: 'string' },
  VIGIL_ANCHOR: { key: 'anchor.mode', type: 'string' },
  VIGIL_ANCHOR_RPC_URL: { key: 'anchor.rpcUrl', type: 'string' },
  VIGIL_ANCHOR_CHAIN_ID: { key: 'anchor.chainId', type: 'int' },
  VIGIL_ANCHOR_CONTRACT: { key: 'anchor.contract', type: 'string' },
  VIGIL_ANCHOR_KEY_FILE: { key: 'anchor.keyFile', type: 'string' },
  VIGIL_WITNESS_URLS: { key: 'witnesses.urls', type: 'list' },
};

/** What `vigil start` runs unless told otherwise: the lowest layer under file, environment and flags. */
export const COMMAND_DEFAULTS: VigilConfigInput = { mqtt: { broker: { enabled: true } }, syslog: { enabled: true } };
/** What `vigil start --demo` adds under the file, environment and flags: a local chain to anchor to and two witnesses. */
export const DEMO_DEFAULTS: VigilConfigInput = { anchor: { mode: 'local' }, witnesses: { local: 2 } };

export interface LoadConfigOptions {
  /** `--config FILE`: this file must exist. Otherwise the first of CONFIG_FILE_NAMES found in `cwd` is read, if any. */
  file?: string;
  /** @default process.cwd() */
  cwd?: string;
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** What the command line set (only options the user gave, not their defaults). */
  flags?: VigilConfigInput;
  /** The layer under the file. @default COMMAND_DEFAULTS */
  defaults?: VigilConfigInput;
}

/** Configuration from a file, the environment and flags (in rising precedence), validated. */
export function loadConfig(options: LoadConfigOptions = {}): VigilConfig & { sources: string[] } {
  const cwd = options.cwd ?? process.cwd();
  const sources: string[] = [];
  let merged: Record<string, unknown> = deepMerge({}, (options.defaults ?? COMMAND_DEFAULTS) as Record<string, unknown>);
  const file = options.file !== undefined ? resolve(cwd, options.file) : CONFIG_FILE_NAMES.map((n) => resolve(cwd, n)).find((p) => existsSync(p));
  if (file !== undefined) {
    merged = deepMerge(merged, readConfigFile(file));
    sources.push(file);
  }
  const fromEnv = configFromEnv(options.env ?? process.env);
  if (Object.keys(fromEnv).length > 0) sources.push('environment');
  merged = deepMerge(merged, fromEnv);
  if (options.flags) merged = deepMerge(merged, options.flags as Record<string, unknown>);
  return { ...resolveConfig(merged), sources };
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `configuration file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(path) ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError('config', `configuration file ${path}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('config', `configuration file ${path}: expected an object at the top, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  return value as Record<string, unknown>;
}

/** The configuration set by VIGIL_* variables (ENV_VARS), with each bad value named by its variable. */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { key, type }] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown;
    switch (type) {
      case 'string':
        value = raw;
        break;
      case 'int':
        if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(key, `configuration ${key} (from ${name}): expected a whole number, got ${JSON.stringify(raw)}`);
        value = Number(raw);
        break;
      case 'bool': {
        const v = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) value = true;
        else if (['0', 'false', 'no', 'off'].includes(v)) value = false;
        else throw new ConfigError(key, `configuration ${key} (from ${name}): expected true or false, got ${JSON.stringify(raw)}`);
        break;
      }
      case 'list':
        value = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
        break;
    }
    setPath(out, key.split('.'), value);
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = target;
  for (const part of path.slice(0, -1)) {
    const next = cur[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

/** Objects merge key by key; anything else (arrays included) from `over` replaces. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `vigil start` options (commander's camel-cased names) and the configuration key each sets. */
export const FLAG_KEYS: Readonly<Record<string, string>> = {
  dataDir: 'dataDir',
  port: 'api.port',
  host: 'api.host',
  demo: 'demo.enabled',
  requireKeys: 'ingest.requireKeys',
  insecureOpen: 'ingest.insecureOpen',
  preserveOriginal: 'ingest.preserveOriginal',
  mqttBroker: 'mqtt.broker.enabled',
  mqttHost: 'mqtt.broker.host',
  mqttPort: 'mqtt.broker.port',
  mqttTlsKey: 'mqtt.broker.tls.key',
  mqttTlsCert: 'mqtt.broker.tls.cert',
  mqttUsername: 'mqtt.broker.username',
  mqttPassword: 'mqtt.broker.password',
  mqttUrl: 'mqtt.client.url',
  syslog: 'syslog.enabled',
  syslogHost: 'syslog.host',
  syslogPort: 'syslog.port',
  kafkaBrokers: 'kafka.brokers',
  kafkaTopics: 'kafka.topics',
  bus: 'bus.type',
  city: 'detector.city',
  rules: 'detector.rules',
  detectorThread: 'detector.thread',
};

/**
 * The configuration layer of the command line: only the options the user gave (`given`),
 * so that an option's displayed default does not override the file or the environment.
 */
export function configFromFlags(values: Readonly<Record<string, unknown>>, given: (option: string) => boolean): VigilConfigInput {
  const out: Record<string, unknown> = {};
  for (const [option, key] of Object.entries(FLAG_KEYS)) {
    if (!given(option) || values[option] === undefined) continue;
    const value = values[option];
    setPath(out, key.split('.'), typeof value === 'string' && (key === 'kafka.brokers' || key === 'kafka.topics' || key === 'ingest.preserveOriginal') ? value.split(',').map((v) => v.trim()).filter((v) => v !== '') : value);
  }
  return out as VigilConfigInput;
}
