/**
 * The Kafka collector (kafkajs): a consumer group reading input records (DESIGN.md's
 * formats, one per message value) from configurable topics.
 *
 * At-least-once, never lost: offsets are committed by hand, only after the pipeline has
 * stored the batch (`submit` resolved). A crash between the commit of the store and the
 * offset commit redelivers the batch, and the redelivered events have the same ids, so the
 * store counts them as duplicates rather than storing them twice.
 *
 * Backpressure: a batch is first offered without waiting; when the pipeline is full its
 * partition is paused (no more fetches for it), the batch waits for room while the
 * consumer keeps heart-beating (so the group does not evict it), is stored and committed,
 * and only then is the partition resumed.
 */
import type { Consumer, ConsumerConfig, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { originalBound, parseJsonRecord, reject, type PreserveOriginalOptions, type ResolvedValidationOptions } from '../../events/index.js';
import { keepOriginals } from '../original.js';
import { CollectorError } from '../errors.js';
import { PipelineFullError, type EventSource, type IngestItem, type IngestSink } from '../sink.js';

/** What of kafkajs's consumer this collector uses (a fake implementing it tests the logic). */
export type KafkaConsumerPort = Pick<Consumer, 'connect' | 'disconnect' | 'subscribe' | 'run' | 'stop' | 'commitOffsets' | 'pause' | 'resume'>;
/** What of kafkajs's `Kafka` this collector uses: `new Kafka({ brokers })` is one. */
export interface KafkaClientPort {
  consumer(config: ConsumerConfig): KafkaConsumerPort;
}

/** `preserveOriginal`: each record's value is kept as `event.original`. */
export interface KafkaCollectorOptions extends PreserveOriginalOptions {
  /** Topics to consume. */
  topics: readonly string[];
  /** Consumer group: collectors sharing it split the partitions. @default 'vigil-collectors' */
  groupId?: string;
  /** A new group starts at the earliest offset (true) or only reads new messages. @default false */
  fromBeginning?: boolean;
  /** How often to heartbeat while a batch waits for room, milliseconds. @default 3000 */
  heartbeatIntervalMs?: number;
  /** Source name in metrics and dead letters. @default 'kafka' */
  source?: string;
}

export class KafkaCollector implements EventSource {
  readonly name: string;
  private consumer: KafkaConsumerPort | undefined;
  private readonly groupId: string;
  private readonly heartbeatIntervalMs: number;
  private readonly originalMax: number | undefined;

  constructor(
    private readonly kafka: KafkaClientPort,
    private readonly validation: ResolvedValidationOptions,
    private readonly options: KafkaCollectorOptions,
    private readonly onError: (err: unknown, context: string) => void = () => {},
  ) {
    this.name = options.source ?? 'kafka';
    this.groupId = options.groupId ?? 'vigil-collectors';
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3000;
    this.originalMax = originalBound(options);
    if (options.topics.length === 0) throw new CollectorError('BAD_OPTION', 'kafka collector option topics: expected at least one topic', false);
  }

  async start(sink: IngestSink): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId });
    this.consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? false });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.eachBatch(sink, payload),
      });
    } catch (err) {
      this.consumer = undefined;
      await consumer.disconnect().catch(() => {});
      throw new CollectorError('CONNECTION_FAILED', `kafka collector: cannot consume ${this.options.topics.join(', ')}: ${(err as Error).message}`, true, { cause: err });
    }
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    // disconnect() waits for the running eachBatch (its store and commit) to finish.
    if (consumer) await consumer.disconnect();
  }

  /** One fetched batch of one partition. Exported behaviour is tested through a fake consumer. */
  private async eachBatch(sink: IngestSink, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const consumer = this.consumer;
    if (!consumer) return;
    const items = batch.messages.map((m) => messageToItem(m, this.validation));
    keepOriginals(items, this.originalMax);
    const where = [{ topic: batch.topic, partitions: [batch.partition] }];
    try {
      await sink.submit(this.name, items, { wait: false });
    } catch (err) {
      if (!(err instanceof PipelineFullError)) throw err; // kafkajs retries the batch from its last committed offset
      consumer.pause(where);
      const beat = setInterval(() => payload.heartbeat().catch((e: unknown) => this.onError(e, 'kafka heartbeat')), this.heartbeatIntervalMs);
      try {
        await sink.submit(this.name, items, { wait: true });
      } finally {
        clearInterval(beat);
      }
      await this.commit(consumer, payload);
      consumer.resume(where);
      return;
    }
    await this.commit(consumer, payload);
  }

  private async commit(consumer: KafkaConsumerPort, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const last = batch.messages[batch.messages.length - 1]!.offset;
    payload.resolveOffset(last);
    // Kafka's committed offset is the next one to read.
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
    await payload.heartbeat();
  }
}

/** One Kafka message value into an ingest item (its key and headers are routing, not content). */
export function messageToItem(message: Pick<KafkaMessage, 'value'>, validation: ResolvedValidationOptions): IngestItem {
  const value = message.value;
  if (value === null || value === undefined) {
    // A tombstone (null value) carries no input; it is kept as an empty dead letter, not skipped silently.
    return { raw: new Uint8Array(0), rejection: reject('EMPTY', 'expected an input record, got a null Kafka value (tombstone)') };
  }
  const result = parseJsonRecord(value, validation);
  return result.ok ? { raw: value, event: result.event } : { raw: value, rejection: result.rejection };
}
