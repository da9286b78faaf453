/**
 * A detector worker: one member of the bus's consumer group, in its own process
 * (`vigil worker`). It scores the stored events of the partitions it holds with the trained
 * model, rules and reputation, and publishes what it found to the detections topic
 * (detections.ts) before it commits the input offsets, so a worker killed at any point
 * leaves nothing half done that a rebalance would not redo.
 *
 * Incidents: a worker has no store, so it groups alerts into incidents with the detector's
 * in-memory incident book (detector/incidents.ts); the node's store keeps the analysts' triage over any
 * upsert. An incident resolved through the API is seen by the worker only when its next
 * alert comes after the incident window (DetectorLimits.incidentWindowMs).
 */
import { hostname } from 'node:os';
import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { Detector } from '../detector/index.js';
import { decodeStoredEvent } from './bus-kafka.js';
import { detectionMessages } from './detections.js';
import type { StoredEvent } from './ingest.js';

export interface DetectorWorkerOptions {
  /** The bus topic (config `bus.topic`). */
  topic: string;
  /** Where detections go (config `bus.detectionsTopic`). */
  detectionsTopic: string;
  /** The consumer group of the workers (config `bus.groupId`). */
  groupId: string;
  /** This worker's name in its messages. @default `<host>:<pid>` */
  workerId?: string;
  /** Told of input it cannot use (a message that is not a stored event) and of failed batches. */
  onError?: (err: unknown, context: string) => void;
  /**
   * How long the group waits for a silent worker before its partitions move, milliseconds
   * (Kafka's `session.timeout.ms`; the broker allows 6000 to 300000 by default). @default 30000
   */
  sessionTimeoutMs?: number;
  /** Told of each batch published (progress, tests). */
  onBatch?: (info: { partition: number; events: number; alerts: number }) => void;
  /**
   * Awaited after a batch's detections are published and before its input offsets are
   * committed: the window a crash must not lose anything in (tests kill a worker here).
   */
  beforeCommit?: (info: { partition: number; firstOffset: string; lastOffset: string }) => Promise<void>;
}

type KafkaPort = {
  consumer(config: { groupId: string; sessionTimeout?: number; heartbeatInterval?: number }): Pick<Consumer, 'connect' | 'disconnect' | 'subscribe' | 'run' | 'commitOffsets'>;
  producer(config: { idempotent: boolean; maxInFlightRequests: number }): Pick<Producer, 'connect' | 'disconnect' | 'send'>;
};

export class DetectorWorker {
  private consumer: Pick<Consumer, 'connect' | 'disconnect' | 'subscribe' | 'run' | 'commitOffsets'> | undefined;
  private producer: Pick<Producer, 'connect' | 'disconnect' | 'send'> | undefined;
  private readonly workerId: string;

  constructor(
    private readonly kafka: KafkaPort,
    private readonly detector: Detector,
    private readonly options: DetectorWorkerOptions,
  ) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  }

  async start(): Promise<void> {
    // Idempotent, one request in flight: a retried send neither duplicates nor reorders.
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.producer = producer;
    await producer.connect();
    const sessionTimeout = this.options.sessionTimeoutMs ?? 30_000;
    // Heartbeats at a tenth of the session, as kafkajs's defaults have them (3 s of 30 s).
    const consumer = this.kafka.consumer({ groupId: this.options.groupId, sessionTimeout, heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)) });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.batch(consumer, producer, payload) });
  }

  private async batch(consumer: Pick<Consumer, 'commitOffsets'>, producer: Pick<Producer, 'send'>, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const events: StoredEvent[] = [];
    for (const m of batch.messages) {
      const e = decodeStoredEvent(m.value);
      if (e) events.push(e);
      else this.options.onError?.(new Error(`bus message at ${batch.topic}/${batch.partition}@${m.offset} is not a stored event`), 'worker input');
    }
    const out = events.length > 0 ? this.detector.process(events.map((e) => e.event)) : { alerts: [], incidents: [], reputation: [] };
    const firstOffset = batch.messages[0]!.offset;
    const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
    const messages = detectionMessages({ worker: this.workerId, partition: batch.partition, firstOffset, lastOffset }, events.map((e) => e.event.id), out);
    // Keyed by input partition: one partition's detections stay in order on one output partition.
    await producer.send({ topic: this.options.detectionsTopic, acks: -1, messages: messages.map((m) => ({ key: `p${batch.partition}`, value: JSON.stringify(m) })) });
    await this.options.beforeCommit?.({ partition: batch.partition, firstOffset, lastOffset });
    payload.resolveOffset(lastOffset);
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
    await payload.heartbeat();
    this.options.onBatch?.({ partition: batch.partition, events: events.length, alerts: out.alerts.length });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch((err: unknown) => this.options.onError?.(err, 'worker stop'));
    await this.producer?.disconnect().catch((err: unknown) => this.options.onError?.(err, 'worker stop'));
    this.consumer = undefined;
    this.producer = undefined;
  }
}
