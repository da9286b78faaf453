/**
 * The Kafka bus: stored events go to one topic keyed by entity id, so Kafka's default
 * (murmur2) partitioner puts each vehicle's and device's events on one partition, in
 * order, and a consumer group of detector workers splits the partitions between them.
 *
 * The producer is idempotent with one request in flight: a retried send neither
 * duplicates nor reorders an entity's events. Consumers commit a batch's offsets only after
 * their handler has finished with it (at-least-once; the events' ids make a redelivery
 * recognisable).
 */
import { Kafka, Partitioners, logLevel, type Consumer, type ConsumerConfig, type EachBatchPayload, type Producer, type ProducerConfig, type SASLOptions } from 'kafkajs';
import type { Bus, BusHandler, BusSubscription } from './bus.js';
import type { StoredEvent } from './ingest.js';
import type { VigilConfig } from './config.js';

/** What of kafkajs's `Kafka` the bus uses (a fake implementing it tests the logic). */
export interface KafkaBusClientPort {
  producer(config?: ProducerConfig): Pick<Producer, 'connect' | 'disconnect' | 'send'>;
  consumer(config: ConsumerConfig): Pick<Consumer, 'connect' | 'disconnect' | 'subscribe' | 'run' | 'commitOffsets'>;
}

export interface KafkaBusOptions {
  /** @default 'vigil.events' */
  topic?: string;
  /** Called with what the bus cannot deliver (a message that is not a stored event). */
  onError?: (err: unknown, context: string) => void;
}

export class KafkaBus implements Bus {
  private producer: Pick<Producer, 'connect' | 'disconnect' | 'send'> | undefined;
  private connecting: Promise<void> | undefined;
  private readonly consumers = new Set<Pick<Consumer, 'disconnect'>>();
  private readonly topic: string;
  private readonly onError: (err: unknown, context: string) => void;

  constructor(
    private readonly kafka: KafkaBusClientPort,
    options: KafkaBusOptions = {},
  ) {
    this.topic = options.topic ?? 'vigil.events';
    this.onError = options.onError ?? (() => {});
  }

  async publish(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const producer = await this.connected();
    await producer.send({
      topic: this.topic,
      acks: -1,
      // The three stored fields only: `json` (the local text of the event) is not part of the message.
      messages: events.map((e) => ({ key: e.event.vigil.entity.id, value: JSON.stringify({ event: e.event, source: e.source, receivedAt: e.receivedAt }) })),
    });
  }

  async subscribe(group: string, handler: BusHandler): Promise<BusSubscription> {
    const consumer = this.kafka.consumer({ groupId: group });
    await consumer.connect();
    this.consumers.add(consumer);
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload: EachBatchPayload) => {
        const { batch } = payload;
        if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
        const events: StoredEvent[] = [];
        for (const m of batch.messages) {
          const decoded = decodeStoredEvent(m.value);
          if (decoded) events.push(decoded);
          else this.onError(new Error(`bus message at ${batch.topic}/${batch.partition}@${m.offset} is not a stored event`), 'kafka bus');
        }
        if (events.length > 0) await handler(events);
        const last = batch.messages[batch.messages.length - 1]!.offset;
        payload.resolveOffset(last);
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        await payload.heartbeat();
      },
    });
    return {
      unsubscribe: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    const producer = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    if (producer) await producer.disconnect();
  }

  private async connected(): Promise<Pick<Producer, 'connect' | 'disconnect' | 'send'>> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      this.connecting = this.producer.connect();
    }
    await this.connecting;
    return this.producer;
  }
}

/** A bus message as a stored event, or undefined when it is not one (what else is on the topic is never trusted). */
export function decodeStoredEvent(value: Buffer | null): StoredEvent | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value.toString('utf8')) as Partial<StoredEvent>;
    if (typeof v !== 'object' || v === null || typeof v.source !== 'string' || typeof v.receivedAt !== 'number' || typeof v.event?.id !== 'string') return undefined;
    // Only the stored fields: a `json` text from the topic would be fed to the detector unchecked.
    return { event: v.event as StoredEvent['event'], source: v.source, receivedAt: v.receivedAt };
  } catch {
    return undefined;
  }
}

/** A kafkajs client for the `kafka` section of the configuration. */
export function createKafkaClient(config: VigilConfig['kafka']): Kafka {
  const sasl: SASLOptions | undefined = config.sasl
    ? config.sasl.mechanism === 'plain'
      ? { mechanism: 'plain', username: config.sasl.username, password: config.sasl.password }
      : config.sasl.mechanism === 'scram-sha-256'
        ? { mechanism: 'scram-sha-256', username: config.sasl.username, password: config.sasl.password }
        : { mechanism: 'scram-sha-512', username: config.sasl.username, password: config.sasl.password }
    : undefined;
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    ...(sasl ? { sasl } : {}),
    logLevel: logLevel.WARN,
  });
}
