/**
 * Against a real Kafka broker (test/kafka-broker.ts): what keeps the Kafka bus going when a
 * lot is published, when a consumer crashes for good, and when the authority decides.
 *
 * - The node's consumer of the detections topic commits to the end of partitions holding
 *   many fetches' worth (kafkajs fetches from the resolved offset, not the committed one),
 *   and its lag in the node's /metrics goes to 0.
 * - A `vigil worker` whose publishing fails with an error kafkajs does not retry (the
 *   detections topic's `max.message.bytes` below one batch: MESSAGE_TOO_LARGE, from the
 *   broker) starts its consumer again with a growing delay, counted in its /metrics, and
 *   scores everything once the operator raises the limit.
 * - Detector workers follow the authority's decisions: an overrule through the node's API
 *   lifts the worker's flag and the stored reputation recovers; a worker started afresh
 *   reads every decision before scoring, so a vehicle flagged by hand stays flagged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createToken } from '../api/index.js';
import { Detector } from '../detector/index.js';
import { parseJsonRecord, resolveValidationOptions } from '../events/index.js';
import { KafkaBus } from '../pipeline/bus-kafka.js';
import { resolveConfig } from '../pipeline/config.js';
import { decodeDetections, type DetectionMessage } from '../pipeline/detections.js';
import { DetectorWorker } from '../pipeline/detector-worker.js';
import type { StoredEvent } from '../pipeline/ingest.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { teleports } from './case-fixtures.js';
import { exited, metricValue, repoRoot, tempDir, vigilBin, waitFor } from './helpers.js';
import { kafkaUnavailable } from './kafka-broker.js';
import { useLiveKafka } from './kafka-suite.js';

const why = kafkaUnavailable();
if (why) console.warn(`kafka recovery tests: skipped — ${why}`);

const NOW = Date.now();
const unique = (name: string) => `vigil-${name}-${process.pid}-${Date.now()}`;
const validation = resolveValidationOptions();
function stored(line: string): StoredEvent {
  const r = parseJsonRecord(line, validation);
  if (!r.ok) throw new Error(r.rejection.message);
  return { source: 'test', receivedAt: NOW, event: r.event };
}
/** A consistent track: 10 m/s east from (lat, 103.8), one report a second. */
function honest(vehicle: string, n: number, start: number, seq0: number, lat = 1.35): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ kind: 'bsm', vehicle, ts: start + i * 1000, lat, lon: 103.8 + (i * 10) / 111_320, speed: 10, heading: 90, seq: seq0 + i })).join('\n');
}

describe.skipIf(why !== undefined)('the Kafka bus recovers, against a live broker', () => {
  const live = useLiveKafka('vigil-recovery-test');

  it('stores detections to the end of a partition many fetches long, and its lag in /metrics reaches 0', async () => {
    const topic = unique('events');
    const detections = unique('detections');
    const group = unique('workers');
    await live.admin.createTopics({ topics: [{ topic, numPartitions: 1 }, { topic: detections, numPartitions: 1 }], waitForLeaders: true });
    // 40 messages of 2,000 scored ids (~140 kB each): over five of kafkajs's 1 MB fetches.
    const producer = live.kafka.producer();
    await producer.connect();
    for (let k = 0; k < 40; k++) {
      const message: DetectionMessage = { format: 'vigil-detections/v1', worker: 'test', partition: 0, firstOffset: String(k * 2000), lastOffset: String(k * 2000 + 1999), scored: Array.from({ length: 2000 }, (_, i) => `${'e'.repeat(58)}${String(k * 2000 + i).padStart(6, '0')}`), alerts: [], incidents: [], reputation: [] };
      await producer.send({ topic: detections, messages: [{ key: 'p0', value: JSON.stringify(message) }] });
    }
    await producer.disconnect();
    const tmp = tempDir('vigil-recovery-');
    const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, kafka: { brokers: live.broker.brokers }, bus: { type: 'kafka', topic, groupId: group, detectionsTopic: detections, authorityTopic: unique('authority') } }), { logger: silentLogger() });
    try {
      const committed = async () => Number((await live.admin.fetchOffsets({ groupId: `${group}.store`, topics: [detections] }))[0]!.partitions[0]!.offset);
      await waitFor(async () => ((await committed()) === 40 ? true : undefined), 90_000, 'the node committing all 40 detections messages');
      const lag = async () => {
        const text = await (await fetch(`${node.url}/metrics`)).text();
        return text.includes(`group="${group}.store"`) ? metricValue(text, 'vigil_kafka_consumer_lag_total', { group: `${group}.store` }) : undefined;
      };
      expect(await waitFor(async () => ((await lag()) === 0 ? 0 : undefined), 30_000, 'the store group\'s lag at 0 in /metrics')).toBe(0);
    } finally {
      await node.stop();
      tmp.cleanup();
    }
  }, 240_000);

  it('starts a worker\'s consumer again after a non-retriable crash, with backoff, counted in its /metrics', async () => {
    const topic = unique('events');
    const detections = unique('detections');
    const group = unique('workers');
    // One batch of 300 events' detections is ~20 kB: the broker refuses it (MESSAGE_TOO_LARGE).
    await live.admin.createTopics({ topics: [{ topic, numPartitions: 1 }, { topic: detections, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }], waitForLeaders: true });
    const bus = new KafkaBus(new Kafka({ clientId: 'vigil-recovery-bus', brokers: live.broker.brokers, logLevel: logLevel.NOTHING }), { topic });
    const events = Array.from({ length: 300 }, (_, i) => stored(JSON.stringify({ kind: 'bsm', vehicle: `V-${i % 7}`, ts: NOW - 600_000 + i * 100, lat: 1.3, lon: 103.8, speed: 10, heading: 90, seq: i })));
    await bus.publish(events);
    await bus.close();
    const modelDir = tempDir('vigil-recovery-model-');
    let child: ChildProcess | undefined;
    let observer: Consumer | undefined;
    try {
      child = spawn(process.execPath, [vigilBin, 'worker', '--kafka', live.broker.brokers.join(','), '--topic', topic, '--detections', detections, '--group', group, '--authority', unique('authority'), '--data-dir', modelDir.dir, '--metrics-port', '0', '--session-timeout-ms', '8000'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-8000)));
      const url = await waitFor(() => /metrics on (http:\S+)/.exec(log)?.[1], 60_000, 'the worker\'s metrics address');
      const restarts = async () => metricValue(await (await fetch(url)).text(), 'vigil_kafka_consumer_restarts_total', { consumer: 'events' });
      // Crashes repeat while the limit holds: each restart meets the same batch.
      await waitFor(async () => ((await restarts()) >= 2 ? true : undefined), 60_000, `two restarts of the crashed consumer (log: ${log})`);
      expect(log).toMatch(/events consumer crashed; starting it again in \d+ ms/);
      expect(child.exitCode).toBeNull();
      await live.admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: detections, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] }] });
      const scored = new Set<string>();
      observer = live.kafka.consumer({ groupId: unique('observer'), maxWaitTimeInMs: 200 });
      await observer.connect();
      await observer.subscribe({ topics: [detections], fromBeginning: true });
      await observer.run({ eachMessage: async ({ message }) => void decodeDetections(message.value)?.scored.forEach((id) => scored.add(id)) });
      await waitFor(() => (scored.size === events.length ? true : undefined), 90_000, `all 300 events scored after the limit was raised (log: ${log})`);
      expect([...scored].sort()).toEqual(events.map((e) => e.event.id).sort());
      const after = await restarts();
      expect(after).toBeGreaterThanOrEqual(2);
      // Once through, it commits: no further crash comes.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await restarts()).toBe(after);
    } finally {
      await observer?.disconnect().catch(() => {});
      if (child && child.exitCode === null) child.kill('SIGTERM');
      if (child) await exited(child);
      modelDir.cleanup();
    }
  }, 240_000);

  it('carries the authority\'s decisions to the workers\' reputation, and again to a worker started afresh', async () => {
    const topic = unique('events');
    const detections = unique('detections');
    const authority = unique('authority');
    const group = unique('workers');
    await live.admin.createTopics({ topics: [{ topic, numPartitions: 3 }, { topic: detections, numPartitions: 3 }], waitForLeaders: true });
    const tmp = tempDir('vigil-recovery-authority-');
    const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, ledger: { checkpointIntervalMs: 200 }, kafka: { brokers: live.broker.brokers }, bus: { type: 'kafka', topic, groupId: group, detectionsTopic: detections, authorityTopic: authority } }), { logger: silentLogger() });
    const kafka = new Kafka({ clientId: 'vigil-recovery-worker', brokers: live.broker.brokers, logLevel: logLevel.NOTHING });
    const newWorker = async (name: string) => new DetectorWorker(kafka, await Detector.create({ model: null }), { topic, detectionsTopic: detections, groupId: group, authorityTopic: authority, workerId: name, sessionTimeoutMs: 6_000 });
    let worker = await newWorker('w1');
    const token = createToken(node.store, { name: 'tara', role: 'authority', createdBy: 'test' }).token;
    const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
      const res = await fetch(`${node.url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const r = (await res.json()) as { data?: T; errors?: unknown };
      if (r.errors) throw new Error(JSON.stringify(r.errors));
      return r.data!;
    };
    const ingest = async (body: string) => expect((await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } })).status).toBe(200);
    const stored = async (id: string) => (await gql<{ vehicle: { reputation: number | null; detectorFlagged: boolean } }>('query ($id: ID!) { vehicle(id: $id) { reputation detectorFlagged } }', { id })).vehicle;
    const start = NOW - 120_000;
    try {
      await worker.start();
      await ingest(teleports('V-8001', 30, start));
      // Its own road (two vehicles on one track would be evidence against both), in two parts.
      const v8003 = honest('V-8003', 30, start, 0, 1.36).split('\n');
      await ingest(v8003.slice(0, 10).join('\n'));
      await waitFor(() => (worker.reputation('V-8001')?.flagged && worker.reputation('V-8003') ? true : undefined), 60_000, 'the worker flagging the teleporting V-8001');
      await waitFor(async () => ((await stored('V-8001')).detectorFlagged ? true : undefined), 30_000, 'V-8001 flagged in the node\'s store');
      const low = (await stored('V-8001')).reputation!;
      expect(low).toBeLessThan(0.3);

      await gql('mutation { overruleVehicle(id: "V-8001", reason: TEST_VEHICLE, comment: "city fleet test car") { decision { id } } }');
      await waitFor(() => (worker.reputation('V-8001')?.flagged === false ? true : undefined), 30_000, 'the worker\'s flag on V-8001 lifted');
      const cleared = worker.reputation('V-8001')!.value;
      expect(cleared).toBeGreaterThanOrEqual(0.5);
      // The point the worker made for the decision is what the node stores.
      await waitFor(async () => ((await stored('V-8001')).reputation! >= 0.5 ? true : undefined), 30_000, 'the stored reputation of V-8001 recovered');
      expect((await stored('V-8001')).detectorFlagged).toBe(false);
      await ingest(honest('V-8001', 20, start + 30_000, 100));
      await waitFor(() => (worker.reputation('V-8001')!.value > cleared + 0.1 ? true : undefined), 30_000, 'V-8001 recovering at the worker');
      expect(worker.reputation('V-8001')!.flagged).toBe(false);

      await gql('mutation { flagVehicleRogue(id: "V-8003", comment: "stolen plates reported") { decision { id } } }');
      await waitFor(() => (worker.reputation('V-8003')?.flagged ? true : undefined), 30_000, 'the worker flagging V-8003 by hand');

      // A worker started afresh (no history) reads every decision before it scores.
      await worker.stop();
      worker = await newWorker('w2');
      await worker.start();
      expect(worker.reputation('V-8003')?.flagged).toBe(true);
      expect(worker.reputation('V-8001')).toBeUndefined();
      await ingest(v8003.slice(10).join('\n'));
      await waitFor(() => ((worker.reputation('V-8003')?.value ?? 0) > 0.5 ? true : undefined), 60_000, 'the fresh worker scoring V-8003');
      expect(worker.reputation('V-8003')!.flagged).toBe(true);
      await ingest(teleports('V-8001', 30, start + 60_000));
      await waitFor(() => (worker.reputation('V-8001')?.flagged ? true : undefined), 60_000, 'new evidence flagging V-8001 again at the fresh worker');
    } finally {
      await worker.stop();
      await node.stop();
      tmp.cleanup();
    }
  }, 300_000);
});
