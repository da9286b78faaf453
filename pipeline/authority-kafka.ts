/**
 * The transport authority's decisions (overrule a detector flag, flag by hand:
 * pipeline/authority.ts) carried to the detector workers on Kafka, where the live
 * reputation is once the node runs no detector of its own.
 *
 * The topic (config `bus.authorityTopic`) has one partition, so every decision is read in
 * the order the node made them, and is compacted, keyed by entity: what is kept is at least
 * the latest decision of each entity, which is all a fresh reputation book needs. Each worker
 * reads the whole topic at start, before it takes any input partition, and then follows it;
 * a decision's id (the ledger action's) is applied once, so the node may publish again what
 * it published before (it does, at each start: a decision recorded while the broker was
 * away still reaches the workers).
 *
 * Every worker applies every decision: a hand flag on an entity it has not seen pins it in
 * its book, so a partition that moves to it after a rebalance keeps the flag; a clear on an
 * entity it has not seen changes nothing, as a book that never saw the entity holds no
 * evidence against it.
 */
import type { Admin, Consumer, Producer } from 'kafkajs';
import type { ReputationPoint } from '../detector/index.js';
import type { AuthorityWiring } from './authority.js';
import { createKafkaClient } from './bus-kafka.js';
import type { VigilConfig } from './config.js';

/** One message of the authority topic. */
export interface DecisionMessage {
  format: 'vigil-authority/v1';
  /** The decision's ledger action id: applied once whatever is published again. */
  id: string;
  entity: string;
  entityType: 'vehicle' | 'device';
  decision: 'clear' | 'rogue';
  /** When it was decided, epoch milliseconds (the node's clock): a hand flag's time for an entity never seen. */
  at: number;
}

/** A decision message, or undefined when the bytes are not one (what is on a topic is not trusted). */
export function decodeDecision(value: Buffer | null): DecisionMessage | undefined {
  if (!value) return undefined;
  try {
    const m = JSON.parse(value.toString('utf8')) as Partial<DecisionMessage>;
    if (m.format !== 'vigil-authority/v1' || typeof m.id !== 'string' || typeof m.entity !== 'string' || m.entity.length === 0) return undefined;
    if ((m.decision !== 'clear' && m.decision !== 'rogue') || (m.entityType !== 'vehicle' && m.entityType !== 'device') || typeof m.at !== 'number' || !Number.isFinite(m.at)) return undefined;
    return { format: m.format, id: m.id, entity: m.entity, entityType: m.entityType, decision: m.decision, at: m.at };
  } catch {
    return undefined;
  }
}

/** Creates the topic (one partition, compacted) unless it exists; node and workers both may, whichever starts first. */
export async function ensureAuthorityTopic(admin: Pick<Admin, 'createTopics' | 'fetchTopicMetadata'>, topic: string): Promise<void> {
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
  } catch (err) {
    // TOPIC_ALREADY_EXISTS from a concurrent creator; anything else shows on the next metadata read.
    await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => {
      throw err;
    });
  }
}

/** The node's side: publishes each decision (acks from all in-sync replicas) before the API answers. */
export class DecisionPublisher {
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly producer: Pick<Producer, 'connect' | 'disconnect' | 'send'>,
    private readonly topic: string,
  ) {}

  async publish(decisions: readonly Omit<DecisionMessage, 'format'>[]): Promise<void> {
    if (decisions.length === 0) return;
    this.connecting ??= this.producer.connect().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    await this.connecting;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: decisions.map((d) => ({ key: d.entity, value: JSON.stringify({ format: 'vigil-authority/v1', id: d.id, entity: d.entity, entityType: d.entityType, decision: d.decision, at: d.at } satisfies DecisionMessage) })),
    });
  }

  async close(): Promise<void> {
    if (this.connecting) await this.connecting.then(() => this.producer.disconnect()).catch(() => {});
    this.connecting = undefined;
  }
}

/** What a decision does to a reputation book (the detector's, `detector/reputation`). */
export interface DecisionBook {
  lastTs(id: string): number;
  overrule(id: string): ReputationPoint | undefined;
  flagByHand(id: string, type: 'vehicle' | 'device', ts: number): ReputationPoint;
}

/**
 * Applies one decision to a book, once per id. Returns the point it made when the book knew
 * the entity (the worker holding its partition publishes it for the node to store), else
 * undefined.
 */
export function applyDecision(book: DecisionBook, applied: Set<string>, d: DecisionMessage): ReputationPoint | undefined {
  if (applied.has(d.id)) return undefined;
  applied.add(d.id);
  const last = book.lastTs(d.entity);
  const known = Number.isFinite(last);
  const point = d.decision === 'clear' ? book.overrule(d.entity) : book.flagByHand(d.entity, d.entityType, known ? last : d.at);
  return known ? point : undefined;
}

type FollowerConsumer = Pick<Consumer, 'connect' | 'disconnect' | 'subscribe' | 'run'>;

/**
 * A worker's reader of the authority topic, in a consumer group of its own (a fresh id per
 * start, never committed: each start reads from the beginning). `start` resolves once what
 * the topic held when it was called has been applied.
 */
export class DecisionFollower {
  private consumer: FollowerConsumer | undefined;

  constructor(
    private readonly kafka: { consumer(config: { groupId: string }): FollowerConsumer; admin(): Pick<Admin, 'connect' | 'disconnect' | 'createTopics' | 'fetchTopicMetadata' | 'fetchTopicOffsets'> },
    private readonly options: { topic: string; groupId: string; onDecision: (d: DecisionMessage, live: boolean) => void | Promise<void>; onError?: (err: unknown, context: string) => void },
  ) {}

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let end: bigint;
    try {
      await ensureAuthorityTopic(admin, this.options.topic);
      end = (await admin.fetchTopicOffsets(this.options.topic)).reduce((n, p) => (BigInt(p.high) > n ? BigInt(p.high) : n), 0n);
    } finally {
      await admin.disconnect();
    }
    const consumer = this.kafka.consumer({ groupId: this.options.groupId });
    this.consumer = consumer;
    let caughtUp!: () => void;
    const replayed = new Promise<void>((r) => (caughtUp = r));
    if (end === 0n) caughtUp();
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        const live = BigInt(message.offset) >= end;
        const d = decodeDecision(message.value);
        if (d) await this.options.onDecision(d, live);
        else this.options.onError?.(new Error(`authority message at ${this.options.topic}/${partition}@${message.offset} is not vigil-authority/v1`), 'authority topic');
        if (BigInt(message.offset) + 1n >= end) caughtUp();
      },
    });
    await replayed;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}

/**
 * The node's side for its detector workers (config `bus.detectionsTopic`): the topic made if
 * missing, then every decision in force published, then each new one as it is made.
 */
export async function startDecisionPublisher(config: VigilConfig, desk: Pick<AuthorityWiring, 'bindDecisions'>): Promise<DecisionPublisher | undefined> {
  if (config.bus.detectionsTopic === undefined) return undefined;
  const topic = config.bus.authorityTopic;
  const kafka = createKafkaClient(config.kafka);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureAuthorityTopic(admin, topic);
  } finally {
    await admin.disconnect();
  }
  const publisher = new DecisionPublisher(kafka.producer({ idempotent: true, maxInFlightRequests: 1 }), topic);
  await desk.bindDecisions((decisions) => publisher.publish(decisions.map((o) => ({ id: o.id, entity: o.entity, entityType: o.entityType, decision: o.decision, at: o.at }))));
  return publisher;
}
