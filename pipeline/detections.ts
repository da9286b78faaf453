/**
 * Detector output on Kafka, between detector workers (`vigil worker`, detector-worker.ts)
 * and the node that stores it (DetectionSink below).
 *
 * The flow, and why it is exactly once in effect: the node publishes each committed event
 * to the bus topic keyed by entity (bus-kafka.ts, bus-relay.ts), so one entity's events sit
 * on one partition, in order. A worker of the consumer group scores a batch of one
 * partition, publishes what it found to the detections topic (acks from all in-sync
 * replicas), and only then commits the batch's input offsets. A worker killed between the
 * two leaves the batch uncommitted: after the rebalance, another worker scores it again and
 * publishes again. The node stores detections idempotently — an alert's id is the SHA-256
 * of its content, so a repeated alert is the same row and is not logged twice; incidents are
 * upserts; reputation points are keyed by entity and time — and commits the detections
 * topic's offsets only once the store's transaction and the ledger checkpoint covering the
 * new alerts are on disk.
 *
 * What a replay can change: a worker that takes a partition over starts with no feature
 * history for its entities, so alerts that depend on an entity's history (a window rule, a
 * speed between two reports) may differ from what the dead worker would have raised; the
 * alerts of single events are the same alerts, by id.
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { SqliteStore, DetectorOutput as StoreDetectorOutput, StoredIncident } from '../store/index.js';
import type { Analysis } from './analysis.js';
import { createKafkaClient } from './bus-kafka.js';
import { CrashRestarter, consumerRestartsCounter, type CrashRestartOptions } from './kafka-restart.js';
import type { Registry } from 'prom-client';
import type { VigilConfig } from './config.js';
import type { Logger } from './logger.js';

type Saved = { newAlerts: Alert[]; incidents: StoredIncident[] };
import type { Alert, Incident, ReputationPoint } from '../detector/index.js';

/** One message of the detections topic: what a worker found in a run of one input partition. */
export interface DetectionMessage {
  format: 'vigil-detections/v1';
  /** Which worker process (its id, e.g. host:pid), for tracing a rebalance. */
  worker: string;
  /** The input partition and its offsets, inclusive. */
  partition: number;
  firstOffset: string;
  lastOffset: string;
  /** Ids of the events scored, in the partition's order. */
  scored: string[];
  alerts: Alert[];
  incidents: Incident[];
  reputation: ReputationPoint[];
}

/** Ids per message at most, so one message stays well under Kafka's 1 MB default. */
export const MAX_SCORED_PER_MESSAGE = 2_000;
/** Alerts or incidents per message at most (each carries up to its evidence limit of ids). */
export const MAX_RECORDS_PER_MESSAGE = 100;

/** A detections message, or undefined when the bytes are not one (a foreign or damaged message). */
export function decodeDetections(value: Buffer | null): DetectionMessage | undefined {
  if (!value) return undefined;
  try {
    const m = JSON.parse(value.toString('utf8')) as Partial<DetectionMessage>;
    if (m.format !== 'vigil-detections/v1' || !Array.isArray(m.scored) || !Array.isArray(m.alerts) || !Array.isArray(m.incidents) || !Array.isArray(m.reputation)) return undefined;
    if (typeof m.partition !== 'number' || typeof m.worker !== 'string') return undefined;
    return m as DetectionMessage;
  } catch {
    return undefined;
  }
}

export interface DetectionSinkPort {
  /** Persist in one durable transaction; what was new (store `saveDetectorOutput`). */
  save(output: StoreDetectorOutput): Saved | Promise<Saved>;
  /** Log new alerts and resolve once a checkpoint covers them (the ledger). */
  logAlerts(alerts: readonly Alert[]): Promise<void>;
  /** Told of each stored message (the API's subscribers, metrics, tests). */
  stored?(message: DetectionMessage, saved: Saved): void;
  /** Told of each restart after a crash (the node's /metrics), with the count so far. */
  restarted?(restarts: number): void;
  onError?(err: unknown, context: string): void;
}

/**
 * The node's consumer of the detections topic. Offsets are committed per batch after the
 * store and the ledger have it; a crash before that delivers the batch again, which the
 * idempotent store absorbs.
 */
type SinkConsumer = Pick<Consumer, 'connect' | 'disconnect' | 'subscribe' | 'run' | 'commitOffsets'> & Partial<Pick<Consumer, 'on' | 'events'>>;

export class DetectionSink {
  private consumer: SinkConsumer | undefined;
  private readonly restarter: CrashRestarter;

  constructor(
    private readonly kafka: { consumer(config: { groupId: string }): SinkConsumer },
    private readonly options: { topic: string; groupId: string; restart?: CrashRestartOptions },
    private readonly port: DetectionSinkPort,
  ) {
    // A non-retriable error while storing or committing crashes the consumer for good
    // (kafka-restart.ts): the node would never store another detection. The uncommitted
    // batch comes again to the new consumer and the idempotent store absorbs it.
    this.restarter = new CrashRestarter(() => this.run(), (c) => (c as SinkConsumer).disconnect(), {
      ...options.restart,
      onRestart: (err, info) => {
        this.port.onError?.(err, `detections consumer crashed; starting it again in ${info.delayMs} ms`);
        this.port.restarted?.(info.restarts);
      },
    });
  }

  /** Times the consumer crashed without kafkajs restarting it and was started anew. */
  get restarts(): number {
    return this.restarter.restarts;
  }

  start(): Promise<void> {
    return this.restarter.begin();
  }

  private async run(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.options.groupId });
    this.consumer = consumer;
    this.restarter.watch(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.batch(consumer, payload) });
  }

  private async batch(consumer: Pick<Consumer, 'commitOffsets'>, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const newAlerts: Alert[] = [];
    for (const m of batch.messages) {
      const message = decodeDetections(m.value);
      if (!message) {
        this.port.onError?.(new Error(`detections message at ${batch.topic}/${batch.partition}@${m.offset} is not vigil-detections/v1`), 'detections');
        continue;
      }
      const saved = await this.port.save({ alerts: message.alerts, incidents: message.incidents, reputation: message.reputation });
      newAlerts.push(...saved.newAlerts);
      this.port.stored?.(message, saved);
      // A long batch must not look like a dead member to the group (kafkajs sends only when due).
      await payload.heartbeat();
    }
    // One checkpoint per batch covers all its new alerts, before the offsets say they are stored.
    if (newAlerts.length > 0) await this.port.logAlerts(newAlerts);
    const last = batch.messages[batch.messages.length - 1]!.offset;
    // Resolved as well as committed: kafkajs fetches from the resolved offset, not the
    // committed one, so without it every fetch starts again where this consumer began and,
    // once a partition holds more than one fetch (1 MB), the commits never pass that point.
    payload.resolveOffset(last);
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
    this.restarter.healthy();
    await payload.heartbeat();
  }

  async stop(): Promise<void> {
    this.restarter.stop();
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}

/**
 * Split what a worker found in one partition's batch into detections messages, each list in
 * chunks (in order: the incidents' upserts keep their order) small enough for one message.
 */
export function detectionMessages(base: Omit<DetectionMessage, 'format' | 'scored' | 'alerts' | 'incidents' | 'reputation'>, scored: readonly string[], out: StoreDetectorOutput): DetectionMessage[] {
  const chunks = <T>(list: readonly T[] | undefined, n: number): T[][] => {
    const all = list ?? [];
    const out: T[][] = [];
    for (let i = 0; i < all.length; i += n) out.push(all.slice(i, i + n));
    return out;
  };
  const s = chunks(scored, MAX_SCORED_PER_MESSAGE);
  const a = chunks(out.alerts, MAX_RECORDS_PER_MESSAGE);
  const inc = chunks(out.incidents, MAX_RECORDS_PER_MESSAGE);
  const r = chunks(out.reputation, MAX_SCORED_PER_MESSAGE);
  const n = Math.max(1, s.length, a.length, inc.length, r.length);
  return Array.from({ length: n }, (_, i) => ({ format: 'vigil-detections/v1' as const, ...base, scored: s[i] ?? [], alerts: a[i] ?? [], incidents: inc[i] ?? [], reputation: r[i] ?? [] }));
}

/** The node's consumer group on the detections topic, beside the workers' group. */
export function storeGroupId(workersGroup: string): string {
  return `${workersGroup}.store`;
}

/**
 * The node's sink for its detector workers (config `bus.detectionsTopic`): new alerts go to
 * the ledger (a checkpoint before the offsets are committed) and, with the incidents, to the
 * API's subscribers, as the in-process detector's output does (analysis.ts).
 */
export async function startDetectionSink(config: VigilConfig, store: SqliteStore, analysis: Pick<Analysis, 'ledger' | 'api'>, logger: Logger, registry?: Registry): Promise<DetectionSink | undefined> {
  const topic = config.bus.detectionsTopic;
  if (topic === undefined) return undefined;
  const { ledger, api } = analysis;
  const restarts = registry ? consumerRestartsCounter(registry) : undefined;
  restarts?.inc({ consumer: 'detections' }, 0);
  const sink = new DetectionSink(createKafkaClient(config.kafka), { topic, groupId: storeGroupId(config.bus.groupId) }, {
    save: (out) => store.saveDetectorOutput(out),
    logAlerts: async (alerts) => {
      ledger.appendMany(alerts.map((a) => ({ type: 'alert', ts: a.ts, body: { ...a } })));
      await ledger.checkpoint();
    },
    stored: (_message, saved) => api.publishDetectorOutput(saved),
    restarted: () => restarts?.inc({ consumer: 'detections' }),
    onError: (err, context) => logger.error({ err, context }, 'a detections message could not be used'),
  });
  await sink.start();
  logger.info({ topic, workers: config.bus.groupId }, 'storing what the detector workers publish');
  return sink;
}
