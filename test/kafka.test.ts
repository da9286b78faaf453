import type { ConsumerRunConfig, EachBatchPayload } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaCollector, type KafkaClientPort, type KafkaConsumerPort } from '../collectors/kafka/index.js';
import { PipelineFullError, type IngestItem, type IngestReceipt, type IngestSink } from '../collectors/index.js';
import { parseJsonRecord, resolveValidationOptions } from '../events/index.js';
import { KafkaBus, type KafkaBusClientPort } from '../pipeline/bus-kafka.js';
import { MemoryBus } from '../pipeline/bus.js';
import { BusRelay } from '../pipeline/bus-relay.js';
import { SqliteStore } from '../store/index.js';
import type { StoredEvent } from '../pipeline/ingest.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { tempDir, waitFor } from './helpers.js';

const NOW = Date.now();
const validation = resolveValidationOptions();
const bsm = (vehicle: string, i: number) => JSON.stringify({ kind: 'bsm', vehicle, ts: NOW - 100_000 + i, lat: 1.3, lon: 103.8, speed: 10, heading: 90, seq: i });

/** A kafkajs consumer stand-in: records every call in order, and lets the test deliver batches. */
class FakeConsumer implements KafkaConsumerPort {
  log: string[] = [];
  private config: ConsumerRunConfig | undefined;
  async connect() {
    this.log.push('connect');
  }
  async disconnect() {
    this.log.push('disconnect');
  }
  async subscribe(s: Parameters<KafkaConsumerPort['subscribe']>[0]) {
    this.log.push(`subscribe ${'topics' in s ? s.topics.join(',') : String(s.topic)}`);
  }
  async run(config?: ConsumerRunConfig) {
    this.config = config;
    this.log.push(`run autoCommit=${String(config?.autoCommit)}`);
  }
  async stop() {
    this.log.push('stop');
  }
  async commitOffsets(offsets: Parameters<KafkaConsumerPort['commitOffsets']>[0]) {
    this.log.push(`commit ${offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).join(' ')}`);
  }
  pause(t: Parameters<KafkaConsumerPort['pause']>[0]) {
    this.log.push(`pause ${t.map((x) => `${x.topic}/${x.partitions?.join(',')}`).join(' ')}`);
  }
  resume(t: Parameters<KafkaConsumerPort['resume']>[0]) {
    this.log.push(`resume ${t.map((x) => `${x.topic}/${x.partitions?.join(',')}`).join(' ')}`);
  }
  /** Deliver one fetched batch as kafkajs would. */
  deliver(topic: string, partition: number, values: Array<string | null>, firstOffset = 0): Promise<void> {
    const payload = {
      batch: {
        topic,
        partition,
        messages: values.map((v, i) => ({ key: null, value: v === null ? null : Buffer.from(v), offset: String(firstOffset + i), timestamp: String(NOW), attributes: 0, headers: {} })),
      },
      resolveOffset: (o: string) => this.log.push(`resolve ${o}`),
      heartbeat: async () => {
        this.log.push('heartbeat');
      },
      isRunning: () => true,
      isStale: () => false,
      pause: () => () => {},
      commitOffsetsIfNecessary: async () => {},
      uncommittedOffsets: () => ({ topics: [] }),
    } as unknown as EachBatchPayload;
    return this.config!.eachBatch!(payload);
  }
}

class FakeKafka implements KafkaClientPort {
  readonly consumers: FakeConsumer[] = [];
  consumer(): KafkaConsumerPort {
    const c = new FakeConsumer();
    this.consumers.push(c);
    return c;
  }
}

/** A sink whose store the test controls: full or not, and when each batch is stored. */
class ControlledSink implements IngestSink {
  full = false;
  stored: IngestItem[] = [];
  log: string[];
  private pending: Array<() => void> = [];
  constructor(log: string[]) {
    this.log = log;
  }
  submit(_s: string, items: readonly IngestItem[], options: { wait?: boolean } = {}): Promise<IngestReceipt> {
    if (this.full && options.wait === false) return Promise.reject(new PipelineFullError(10));
    return new Promise((resolve) => {
      const store = () => {
        this.stored.push(...items);
        this.log.push(`stored ${items.length}`);
        resolve({ accepted: items.length, duplicates: 0, rejected: 0, results: [] });
      };
      if (this.full) this.pending.push(store);
      else store();
    });
  }
  dropped(): void {}
  makeRoom(): void {
    this.full = false;
    for (const p of this.pending.splice(0)) p();
  }
}

describe('the Kafka collector', () => {
  it('commits a batch offset only after the batch is stored, with manual commits', async () => {
    const kafka = new FakeKafka();
    const collector = new KafkaCollector(kafka, validation, { topics: ['city.bsm'] });
    const consumer = () => kafka.consumers[0]!;
    const sink = new ControlledSink([]);
    await collector.start(sink);
    sink.log = consumer().log;
    await consumer().deliver('city.bsm', 3, [bsm('V-1', 1), bsm('V-1', 2), '{"kind":"bsm"'], 40);
    expect(consumer().log).toEqual(['connect', 'subscribe city.bsm', 'run autoCommit=false', 'stored 3', 'resolve 42', 'commit city.bsm/3@43', 'heartbeat']);
    expect(sink.stored.map((i) => (i.event ? 'event' : i.rejection.code))).toEqual(['event', 'event', 'INVALID_JSON']);
    await collector.stop();
    expect(consumer().log.at(-1)).toBe('disconnect');
  });

  it('pauses the partition while the pipeline is full, and commits then resumes once stored', async () => {
    const kafka = new FakeKafka();
    const collector = new KafkaCollector(kafka, validation, { topics: ['city.bsm'], heartbeatIntervalMs: 10 });
    const sink = new ControlledSink([]);
    await collector.start(sink);
    const c = kafka.consumers[0]!;
    sink.log = c.log;
    sink.full = true;
    const delivering = c.deliver('city.bsm', 0, [bsm('V-2', 1)], 7);
    await waitFor(() => (c.log.includes('pause city.bsm/0') ? true : undefined), 2000, 'the pause');
    // While it waits for room: no commit, and heartbeats keep the member in its group.
    await waitFor(() => (c.log.filter((l) => l === 'heartbeat').length >= 2 ? true : undefined), 2000, 'heartbeats while paused');
    expect(c.log.some((l) => l.startsWith('commit'))).toBe(false);
    sink.makeRoom();
    await delivering;
    const tail = c.log.filter((l) => l !== 'heartbeat').slice(-5);
    expect(tail).toEqual(['pause city.bsm/0', 'stored 1', 'resolve 7', 'commit city.bsm/0@8', 'resume city.bsm/0']);
    await collector.stop();
  });

  it('keeps a tombstone (null value) as an EMPTY dead letter and still commits past it', async () => {
    const kafka = new FakeKafka();
    const collector = new KafkaCollector(kafka, validation, { topics: ['t'] });
    const sink = new ControlledSink([]);
    await collector.start(sink);
    await kafka.consumers[0]!.deliver('t', 0, [null], 0);
    expect(sink.stored[0]?.rejection?.code).toBe('EMPTY');
    expect(kafka.consumers[0]!.log).toContain('commit t/0@1');
    await collector.stop();
  });

  it('does not commit when the store fails, so the batch is fetched again', async () => {
    const kafka = new FakeKafka();
    const collector = new KafkaCollector(kafka, validation, { topics: ['t'] });
    const failing: IngestSink = { submit: () => Promise.reject(new Error('disk full')), dropped: () => {} };
    await collector.start(failing);
    await expect(kafka.consumers[0]!.deliver('t', 0, [bsm('V-1', 1)], 0)).rejects.toThrow('disk full');
    expect(kafka.consumers[0]!.log.some((l) => l.startsWith('commit') || l.startsWith('resolve'))).toBe(false);
    await collector.stop();
  });
});

function stored(vehicle: string, i: number): StoredEvent {
  const r = JSON.parse(bsm(vehicle, i)) as Record<string, unknown>;
  return { event: { id: `${vehicle}-${i}`, vigil: { entity: { id: vehicle } }, ...r } as unknown as StoredEvent['event'], source: 'test', receivedAt: NOW };
}

describe('the Kafka bus', () => {
  it('keys every event by its entity id and waits for all in-sync replicas', async () => {
    const sent: Array<{ topic: string; acks?: number; messages: Array<{ key?: unknown; value: unknown }> }> = [];
    let producerConfig: unknown;
    const kafka: KafkaBusClientPort = {
      producer: (config) => {
        producerConfig = config;
        return { connect: async () => {}, disconnect: async () => {}, send: async (r) => (sent.push(r as (typeof sent)[number]), []) };
      },
      consumer: () => {
        throw new Error('not used');
      },
    };
    const bus = new KafkaBus(kafka, { topic: 'vigil.events' });
    await bus.publish([stored('V-1', 1), stored('V-2', 1), stored('V-1', 2)]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.topic).toBe('vigil.events');
    expect(sent[0]!.acks).toBe(-1);
    expect(sent[0]!.messages.map((m) => m.key)).toEqual(['V-1', 'V-2', 'V-1']);
    expect(producerConfig).toMatchObject({ idempotent: true, maxInFlightRequests: 1 });
    await bus.close();
  });

  it('hands a consumer group the decoded events and commits after the handler finished', async () => {
    const consumer = new FakeConsumer();
    const kafka: KafkaBusClientPort = {
      producer: () => {
        throw new Error('not used');
      },
      consumer: () => consumer,
    };
    const bus = new KafkaBus(kafka, { topic: 'vigil.events' });
    const got: string[] = [];
    await bus.subscribe('detectors', async (events) => {
      consumer.log.push('handled');
      got.push(...events.map((e) => e.event.id));
    });
    await consumer.deliver('vigil.events', 2, [JSON.stringify(stored('V-1', 1)), JSON.stringify(stored('V-1', 2))], 10);
    expect(got).toEqual(['V-1-1', 'V-1-2']);
    const i = consumer.log.indexOf('handled');
    expect(consumer.log.slice(i)).toEqual(['handled', 'resolve 11', 'commit vigil.events/2@12', 'heartbeat']);
    await bus.close();
  });
});

describe('the Kafka bus when a publish fails', () => {
  /** A kafkajs producer stand-in that refuses sends while `down`, and records what it took. */
  function flakyKafka() {
    const state = { down: false, attempts: 0, taken: [] as string[][] };
    const kafka: KafkaBusClientPort = {
      producer: () => ({
        connect: async () => {},
        disconnect: async () => {},
        send: async (r) => {
          state.attempts++;
          if (state.down) throw new Error('KafkaJSNumberOfRetriesExceeded: broker not available');
          state.taken.push(r.messages.map((m) => (JSON.parse(String(m.value)) as StoredEvent).event.id));
          return [];
        },
      }),
      consumer: () => {
        throw new Error('not used');
      },
    };
    return { kafka, state };
  }

  /** Commit real events to a real store, as the ingest pipeline does, and return what its listener gets. */
  function commit(store: SqliteStore, vehicle: string, from: number, n: number): StoredEvent[] {
    const events = Array.from({ length: n }, (_, i) => {
      const r = parseJsonRecord(bsm(vehicle, from + i), validation);
      if (!r.ok) throw new Error(r.rejection.code);
      return { event: r.event, source: 'test', receivedAt: NOW };
    });
    expect(store.writeBatch(events, []).every(Boolean)).toBe(true);
    return events;
  }

  it('replays what Kafka did not take from the store by cursor, in order, once it is back', async () => {
    const tmp = tempDir();
    const store = SqliteStore.open({ dataDir: tmp.dir });
    const { kafka, state } = flakyKafka();
    const bus = new KafkaBus(kafka, { topic: 'vigil.events' });
    const errors: number[] = [];
    const relay = new BusRelay(bus, store, { retryMs: 5, maxRetryMs: 20, onError: (_err, behind) => errors.push(behind) });
    try {
      relay.start();
      const ids = (es: StoredEvent[]) => es.map((e) => e.event.id);
      const b1 = commit(store, 'V-1', 0, 3);
      await relay.stored(b1);
      expect(state.taken).toEqual([ids(b1)]);

      state.down = true;
      const b2 = commit(store, 'V-1', 3, 2);
      await relay.stored(b2); // refused: logged, not lost, and ingest is not held up
      const b3 = commit(store, 'V-1', 5, 2);
      await relay.stored(b3); // while behind, not sent ahead of b2
      expect(errors[0]).toBe(2);
      await waitFor(() => (state.attempts >= 4 ? true : undefined), 5000, 'a few retries');
      expect(state.taken).toEqual([ids(b1)]);
      expect(relay.behind).toBe(4);

      state.down = false;
      await waitFor(() => (relay.behind === 0 ? true : undefined), 5000, 'the relay to catch up');
      // Every event once, in store order, so one vehicle's history stays in order on its partition.
      expect(state.taken.flat()).toEqual([...ids(b1), ...ids(b2), ...ids(b3)]);
      expect(store.getMeta('bus.eventSeq')).toBe(String(store.lastEventSeq()));

      // Caught up, the next batch goes straight out again.
      const b4 = commit(store, 'V-2', 0, 1);
      await relay.stored(b4);
      expect(state.taken.at(-1)).toEqual(ids(b4));
    } finally {
      await relay.stop();
      await bus.close();
      store.close();
      tmp.cleanup();
    }
  });

  it('after a restart, publishes what was stored but never published, from the saved cursor', async () => {
    const tmp = tempDir();
    let store = SqliteStore.open({ dataDir: tmp.dir });
    const first = flakyKafka();
    let relay = new BusRelay(new KafkaBus(first.kafka), store);
    relay.start();
    const b1 = commit(store, 'V-1', 0, 2);
    await relay.stored(b1);
    await relay.stop();
    // Committed, then the process died before the bus heard of it.
    const lost = commit(store, 'V-1', 2, 3);
    store.close();

    store = SqliteStore.open({ dataDir: tmp.dir });
    const second = flakyKafka();
    relay = new BusRelay(new KafkaBus(second.kafka), store);
    try {
      relay.start();
      await waitFor(() => (relay.behind === 0 ? true : undefined), 5000, 'the replay after restart');
      expect(second.state.taken.flat()).toEqual(lost.map((e) => e.event.id));
    } finally {
      await relay.stop();
      store.close();
      tmp.cleanup();
    }
  });
});

describe('the in-memory bus', () => {
  it('gives each group every event, and within a group keeps each entity on one member', async () => {
    const bus = new MemoryBus();
    const a: string[] = [];
    const b: string[] = [];
    const audit: string[] = [];
    await bus.subscribe('detectors', (es) => void a.push(...es.map((e) => e.event.vigil.entity.id)));
    await bus.subscribe('detectors', (es) => void b.push(...es.map((e) => e.event.vigil.entity.id)));
    await bus.subscribe('ledger', (es) => void audit.push(...es.map((e) => e.event.vigil.entity.id)));
    const events = Array.from({ length: 200 }, (_, i) => stored(`V-${i % 20}`, i));
    await bus.publish(events.slice(0, 100));
    await bus.publish(events.slice(100));
    expect(audit).toHaveLength(200);
    expect(a.length + b.length).toBe(200);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.filter((v) => b.includes(v))).toEqual([]);
  });

  it('carries what a node stores to a subscriber', async () => {
    const tmp = tempDir();
    const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 } }), { logger: silentLogger() });
    try {
      const seen: string[] = [];
      await node.bus.subscribe('detector', (es) => void seen.push(...es.map((e) => e.event.id)));
      const res = await fetch(`${node.url}/ingest`, { method: 'POST', body: `${bsm('V-1', 1)}\n${bsm('V-1', 2)}\n` });
      expect(res.status).toBe(200);
      await waitFor(() => (seen.length === 2 ? true : undefined), 5000, 'the bus delivery');
    } finally {
      await node.stop();
      tmp.cleanup();
    }
  });
});
