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
 *
 * The authority's decisions reach the worker's reputation book through their own topic
 * (authority-kafka.ts). A consumer that crashes with an error kafkajs does not retry is
 * started again with a bounded backoff (kafka-restart.ts), as the node's sink is.
 */
import { hostname } from 'node:os';
import type { Admin, Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { Detector } from '../detector/index.js';
import { applyDecision, DecisionFollower, type DecisionMessage } from './authority-kafka.js';
import { decodeStoredEvent } from './bus-kafka.js';
import { detectionMessages, type DetectionMessage } from './detections.js';
import { CrashRestarter, type CrashRestartOptions } from './kafka-restart.js';
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
  /**
   * The authority's decisions (config `bus.authorityTopic`, pipeline/authority-kafka.ts),
   * applied to this worker's reputation book in order, all of them before it takes input.
   * @default none: the book follows the detector alone
   */
  authorityTopic?: string;
  /** How a consumer that crashed for good is started again (pipeline/kafka-restart.ts). */
  restart?: CrashRestartOptions;
  /** Told of each consumer restart after a crash kafkajs did not restart (the worker's /metrics). */
  onRestart?: (consumer: 'events' | 'authority', restarts: number) => void;
  /** Told of each authority decision applied (`live`: made after this worker started). */
  onDecision?: (d: DecisionMessage, live: boolean) => void;
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

type WorkerConsumer = Pick<Consumer, 'connect' | 'disconnect' | 'subscribe' | 'run' | 'commitOffsets'> & Partial<Pick<Consumer, 'on' | 'events'>>;

type KafkaPort = {
  consumer(config: { groupId: string; sessionTimeout?: number; heartbeatInterval?: number }): WorkerConsumer;
  producer(config: { idempotent: boolean; maxInFlightRequests: number }): Pick<Producer, 'connect' | 'disconnect' | 'send'>;
  admin(): Pick<Admin, 'connect' | 'disconnect' | 'createTopics' | 'fetchTopicMetadata' | 'fetchTopicOffsets'>;
};

export class DetectorWorker {
  private consumer: WorkerConsumer | undefined;
  private producer: Pick<Producer, 'connect' | 'disconnect' | 'send'> | undefined;
  private follower: DecisionFollower | undefined;
  private readonly workerId: string;
  private readonly restarter: CrashRestarter;
  private readonly followerRestarter: CrashRestarter;
  /** Ids of the authority decisions applied to the book (each once, however often published). */
  private readonly decisions = new Set<string>();

  constructor(
    private readonly kafka: KafkaPort,
    private readonly detector: Detector,
    private readonly options: DetectorWorkerOptions,
  ) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}`;
    const restarted = (consumer: 'events' | 'authority') => (err: unknown, info: { restarts: number; delayMs: number }) => {
      this.options.onError?.(err, `${consumer} consumer crashed; starting it again in ${info.delayMs} ms`);
      this.options.onRestart?.(consumer, info.restarts);
    };
    this.restarter = new CrashRestarter(() => this.runConsumer(), (c) => (c as WorkerConsumer).disconnect(), { ...options.restart, onRestart: restarted('events') });
    this.followerRestarter = new CrashRestarter(() => this.runFollower(), (f) => (f as DecisionFollower).stop(), { ...options.restart, onRestart: restarted('authority') });
  }

  /** Consumer restarts after crashes kafkajs did not restart. */
  get restarts(): number {
    return this.restarter.restarts;
  }

  /** The reputation book's view of one entity (what the authority's decisions change). */
  reputation(id: string): { value: number; flagged: boolean } | undefined {
    const r = this.detector.reputation.get(id);
    return r ? { value: r.value, flagged: r.flagged } : undefined;
  }

  async start(): Promise<void> {
    // Idempotent, one request in flight: a retried send neither duplicates nor reorders.
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.producer = producer;
    await producer.connect();
    // Every decision made so far is in the book before the first event is scored.
    if (this.options.authorityTopic !== undefined) await this.followerRestarter.begin();
    await this.restarter.begin();
  }

  private async runConsumer(): Promise<void> {
    const sessionTimeout = this.options.sessionTimeoutMs ?? 30_000;
    // Heartbeats at a tenth of the session, as kafkajs's defaults have them (3 s of 30 s).
    const consumer = this.kafka.consumer({ groupId: this.options.groupId, sessionTimeout, heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)) });
    this.consumer = consumer;
    this.restarter.watch(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.batch(consumer, this.producer!, payload) });
  }

  private async runFollower(): Promise<void> {
    const follower = new DecisionFollower(
      { consumer: (c) => {
        const consumer = this.kafka.consumer(c);
        this.followerRestarter.watch(consumer);
        return consumer;
      }, admin: () => this.kafka.admin() },
      {
        topic: this.options.authorityTopic!,
        groupId: `${this.options.groupId}.authority.${this.workerId}.${Date.now()}`,
        onDecision: (d, live) => this.decide(d, live),
        ...(this.options.onError ? { onError: this.options.onError } : {}),
      },
    );
    this.follower = follower;
    await follower.start();
  }

  /** One decision on the book; the point it makes for an entity of this worker's goes to the node like any other. */
  private async decide(d: DecisionMessage, live: boolean): Promise<void> {
    const point = applyDecision(this.detector.reputation, this.decisions, d);
    this.options.onDecision?.(d, live);
    if (!point || !live || !this.producer) return;
    const message: DetectionMessage = { format: 'vigil-detections/v1', worker: this.workerId, partition: -1, firstOffset: '', lastOffset: '', scored: [], alerts: [], incidents: [], reputation: [point] };
    await this.producer.send({ topic: this.options.detectionsTopic, acks: -1, messages: [{ key: d.entity, value: JSON.stringify(message) }] });
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
    this.restarter.healthy();
    this.options.onBatch?.({ partition: batch.partition, events: events.length, alerts: out.alerts.length });
  }

  async stop(): Promise<void> {
    this.restarter.stop();
    this.followerRestarter.stop();
    await this.follower?.stop().catch((err: unknown) => this.options.onError?.(err, 'worker stop'));
    this.follower = undefined;
    await this.consumer?.disconnect().catch((err: unknown) => this.options.onError?.(err, 'worker stop'));
    await this.producer?.disconnect().catch((err: unknown) => this.options.onError?.(err, 'worker stop'));
    this.consumer = undefined;
    this.producer = undefined;
  }
}
