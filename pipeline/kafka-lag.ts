/**
 * Consumer lag of the Kafka groups a node depends on — its collectors' group on the input
 * topics and the detector workers' group on the bus topic — as the broker sees it: for
 * each partition, the log end offset minus the group's committed offset. Measured from the
 * broker's side (as Burrow and kafka-consumer-groups do) rather than from a consumer's own
 * batches, so a worker that stalled or died, and so reports nothing, still shows: its
 * partitions' lag grows.
 */
import { Gauge, type Registry } from 'prom-client';

/** What of kafkajs's admin client the monitor uses (a fake implements it in tests). */
export interface LagAdminPort {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; high: string; low: string }>>;
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

export interface LagGroup {
  groupId: string;
  topics: readonly string[];
}

export interface KafkaLagOptions {
  /** How often to ask the broker, milliseconds. @default 5000 */
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

export class KafkaLagMonitor {
  private readonly lag: Gauge<'group' | 'topic' | 'partition'>;
  private readonly total: Gauge<'group'>;
  private timer: NodeJS.Timeout | undefined;
  private connected: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private readonly intervalMs: number;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly admin: LagAdminPort,
    private readonly groups: readonly LagGroup[],
    registry: Registry,
    options: KafkaLagOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.onError = options.onError ?? (() => {});
    this.lag = new Gauge({ name: 'vigil_kafka_consumer_lag', help: 'Messages a consumer group has not committed yet, per partition (log end offset - committed offset)', labelNames: ['group', 'topic', 'partition'], registers: [registry] });
    this.total = new Gauge({ name: 'vigil_kafka_consumer_lag_total', help: 'Messages a consumer group has not committed yet, over all its partitions', labelNames: ['group'], registers: [registry] });
  }

  start(): void {
    if (this.timer || this.groups.length === 0) return;
    const tick = () => {
      this.running ??= this.sample()
        .catch(this.onError)
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    tick();
  }

  /** One measurement of every group's lag (also what the timer runs). */
  async sample(): Promise<void> {
    this.connected ??= this.admin.connect().catch((err: unknown) => {
      this.connected = undefined;
      throw err;
    });
    await this.connected;
    for (const g of this.groups) {
      let sum = 0;
      const committed = await this.admin.fetchOffsets({ groupId: g.groupId, topics: [...g.topics] });
      for (const topic of g.topics) {
        const ends = await this.admin.fetchTopicOffsets(topic);
        const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
        for (const end of ends) {
          const at = Number(mine.find((p) => p.partition === end.partition)?.offset ?? -1);
          // -1: the group never committed here; it has everything since the log's start to do.
          const lag = Math.max(0, Number(end.high) - (at >= 0 ? at : Number(end.low)));
          this.lag.set({ group: g.groupId, topic, partition: String(end.partition) }, lag);
          sum += lag;
        }
      }
      this.total.set({ group: g.groupId }, sum);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.connected) await this.connected.then(() => this.admin.disconnect()).catch(() => {});
    this.connected = undefined;
  }
}
