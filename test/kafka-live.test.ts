/**
 * Against a real Kafka broker (Apache Kafka 4 in KRaft mode from .ci/kafka, started here as
 * a child process, or the one `KAFKA_BROKERS` names): the collector's commit-after-store
 * through a broker restart, and the bus carrying stored events to a consumer group whose
 * members come and go.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { KafkaBus } from '../pipeline/bus-kafka.js';
import { KafkaLagMonitor } from '../pipeline/kafka-lag.js';
import type { StoredEvent } from '../pipeline/ingest.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { parseJsonRecord, resolveValidationOptions } from '../events/index.js';
import { tempDir, waitFor } from './helpers.js';
import { kafkaUnavailable } from './kafka-broker.js';
import { useLiveKafka } from './kafka-suite.js';

const why = kafkaUnavailable();
if (why) console.warn(`kafka live tests: skipped — ${why}`);

const NOW = Date.now();
const bsm = (vehicle: string, i: number) => JSON.stringify({ kind: 'bsm', vehicle, ts: NOW - 600_000 + i, lat: 1.3, lon: 103.8, speed: 10, heading: 90, seq: i });
const unique = (name: string) => `vigil-${name}-${process.pid}-${Date.now()}`;

describe.skipIf(why !== undefined)('against a live Kafka broker', () => {
  const live = useLiveKafka('vigil-test');

  const committed = async (groupId: string, topic: string) => {
    const o = await live.admin.fetchOffsets({ groupId, topics: [topic] });
    return o[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  };

  it('stores what is produced to an input topic and commits the group offset', async () => {
    const topic = unique('in');
    await live.admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const tmp = tempDir();
    const groupId = unique('collectors');
    const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, kafka: { brokers: live.broker.brokers, topics: [topic], groupId, fromBeginning: true } }), { logger: silentLogger() });
    try {
      const producer = live.kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ key: `V-${i % 5}`, value: bsm(`V-${i % 5}`, i) })) });
      await producer.disconnect();
      await waitFor(() => (node.store.countEvents() === 100 ? true : undefined), 30_000, '100 events from Kafka');
      await waitFor(async () => ((await committed(groupId, topic)) === 100 ? true : undefined), 30_000, 'committed offsets');
      // The node exports its collectors' group lag as the broker sees it.
      await waitFor(async () => {
        const text = await (await fetch(`${node.url}/metrics`)).text();
        return text.includes(`vigil_kafka_consumer_lag_total{group="${groupId}"} 0`) ? true : undefined;
      }, 30_000, 'the lag at 0 in /metrics');
    } finally {
      await node.stop();
      tmp.cleanup();
    }
  }, 120_000);

  it('loses nothing through a broker restart, and the event ids absorb what is delivered again', async (ctx) => {
    if (!live.broker.owned) ctx.skip();
    const topic = unique('restart');
    await live.admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const tmp = tempDir();
    const groupId = unique('collectors');
    const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, kafka: { brokers: live.broker.brokers, topics: [topic], groupId, fromBeginning: true } }), { logger: silentLogger() });
    try {
      const send = async (from: number, to: number) => {
        const p = live.kafka.producer({ idempotent: true });
        await p.connect();
        for (let i = from; i < to; i += 500) {
          await p.send({ topic, acks: -1, messages: Array.from({ length: Math.min(500, to - i) }, (_, k) => ({ key: `V-${(i + k) % 17}`, value: bsm(`V-${(i + k) % 17}`, i + k) })) });
        }
        await p.disconnect();
      };
      await send(0, 3_000);
      await waitFor(() => (node.store.countEvents() > 0 ? true : undefined), 30_000, 'the first events');
      // The broker dies mid-stream, with offsets not yet committed for part of what was stored.
      await live.broker.stop('SIGKILL');
      await new Promise((r) => setTimeout(r, 2_000));
      await live.broker.start();
      await send(3_000, 6_000);
      await waitFor(() => (node.store.countEvents() === 6_000 ? true : undefined), 120_000, 'all 6,000 events stored');
      await waitFor(async () => ((await committed(groupId, topic)) === 6_000 ? true : undefined), 60_000, 'all offsets committed');
      // Every message is stored once: what came again after the restart was recognised by its id.
      expect(node.store.countEvents()).toBe(6_000);
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      const dup = /vigil_events_duplicate_total\{[^}]*source="kafka"[^}]*\} (\d+)/.exec(metrics);
      // Bounded: at most what was in flight between the last commit and the kill.
      expect(Number(dup?.[1] ?? 0)).toBeLessThan(3_000);
    } finally {
      await node.stop();
      tmp.cleanup();
    }
  }, 300_000);

  it('carries stored events to a consumer group in entity order, and a member leaving hands its partitions on', async () => {
    const topic = unique('bus');
    await live.admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
    const client = () => new Kafka({ clientId: 'vigil-bus-test', brokers: live.broker.brokers, logLevel: logLevel.NOTHING });
    const publisher = new KafkaBus(client(), { topic });
    const members = [new KafkaBus(client(), { topic }), new KafkaBus(client(), { topic })];
    const seen: Array<Array<{ entity: string; seq: number }>> = [[], []];
    const group = unique('detectors');
    const subs = await Promise.all(members.map((m, k) => m.subscribe(group, (es) => void seen[k]!.push(...es.map((e) => ({ entity: e.event.vigil.entity.id, seq: e.event.vigil.vehicle!.seq! }))))));
    const validation = resolveValidationOptions();
    const stored = (i: number): StoredEvent => {
      const r = parseJsonRecord(bsm(`V-${i % 23}`, i), validation);
      if (!r.ok) throw new Error(r.rejection.message);
      return { source: "test", receivedAt: NOW, event: r.event };
    };
    try {
      for (let i = 0; i < 2_000; i += 200) await publisher.publish(Array.from({ length: 200 }, (_, k) => stored(i + k)));
      await waitFor(() => (seen[0]!.length + seen[1]!.length >= 2_000 ? true : undefined), 60_000, 'the first 2,000 on the bus');
      // One member leaves; the other takes its partitions and gets everything published after.
      await subs[0]!.unsubscribe();
      const before = seen[1]!.length;
      for (let i = 2_000; i < 4_000; i += 200) await publisher.publish(Array.from({ length: 200 }, (_, k) => stored(i + k)));
      await waitFor(() => (seen[1]!.filter((x) => x.seq >= 2_000).length >= 2_000 ? true : undefined), 90_000, 'the second 2,000 at the remaining member');
      expect(seen[1]!.length).toBeGreaterThan(before);
      const all = [...seen[0]!, ...seen[1]!];
      expect(new Set(all.map((x) => x.seq)).size).toBe(4_000);
      // Each member saw each entity's events in the order they were published.
      for (const list of seen) {
        const last = new Map<string, number>();
        for (const x of list) {
          expect(x.seq).toBeGreaterThan(last.get(x.entity) ?? -1);
          last.set(x.entity, x.seq);
        }
      }
    } finally {
      await subs[1]!.unsubscribe().catch(() => {});
      await Promise.all([publisher, ...members].map((b) => b.close()));
    }
  }, 300_000);

  it('shows a stalled consumer group in the lag the broker reports, and its recovery', async () => {
    const topic = unique('lag');
    await live.admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = live.kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 900 }, (_, i) => ({ key: `V-${i % 11}`, value: String(i) })) });
    await producer.disconnect();
    const registry = new Registry();
    const groupId = unique('stalling');
    const monitor = new KafkaLagMonitor(live.kafka.admin(), [{ groupId, topics: [topic] }], registry, { intervalMs: 60_000 });
    const lagOf = async () => {
      // A broker just started may not have a group coordinator yet: a miss is retried by waitFor.
      if (!(await monitor.sample().then(() => true, () => false))) return NaN;
      const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'vigil_kafka_consumer_lag_total');
      return Number(m?.values.find((v) => v.labels['group'] === groupId)?.value ?? NaN);
    };
    // Before the group commits anything it has the whole topic to do.
    expect(await waitFor(async () => ((await lagOf()) === 900 ? 900 : undefined), 60_000, 'the lag of a new group')).toBe(900);
    let release: () => void = () => {};
    const stalled = new Promise<void>((r) => (release = r));
    let handled = 0;
    const consumer = live.kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        // The worker hangs after 300 messages (a stuck handler), committing nothing more.
        if (handled >= 300) await stalled;
        handled++;
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });
    try {
      const stuck = await waitFor(async () => {
        const lag = await lagOf();
        return handled >= 300 && lag === 600 ? lag : undefined;
      }, 60_000, 'the lag of a stalled group');
      expect(stuck).toBe(600);
      release();
      await waitFor(async () => ((await lagOf()) === 0 ? true : undefined), 60_000, 'the lag back to 0');
    } finally {
      release();
      await consumer.disconnect();
      await monitor.stop();
    }
  }, 180_000);
});
