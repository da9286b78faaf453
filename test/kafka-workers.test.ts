/**
 * Three detector workers (`vigil worker`) as separate processes in one consumer group of a
 * real Kafka broker, behind a node that publishes what it stores to the bus topic and
 * stores what the workers publish to the detections topic (pipeline/detections.ts). One
 * worker is SIGKILLed mid-stream with a batch published but not committed (a test hook holds
 * it there), after its stalled partition showed as lag in the node's /metrics: its partitions move to the others; every stored event is
 * scored; each alert is stored and logged in the ledger once, whatever was published again
 * after the rebalance; and each worker saw each entity's events in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeDetections, type DetectionMessage } from '../pipeline/detections.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { exited, repoRoot, tempDir, vigilBin, waitFor } from './helpers.js';
import { kafkaUnavailable } from './kafka-broker.js';
import { useLiveKafka } from './kafka-suite.js';

const why = kafkaUnavailable();
if (why) console.warn(`kafka worker tests: skipped — ${why}`);

const NOW = Date.now();
const DEVICES = 60;
const VEHICLES = 40;
/** Line `i` of the stream: mostly BSMs of 40 vehicles (seq = i), and each device's one telnet probe to a public address. */
function line(i: number): string {
  if (i % 50 === 7) {
    const d = `D-${(i / 50) | 0}`;
    return JSON.stringify({ kind: 'net', device: d, ts: NOW - 600_000 + i, src: '10.1.2.3', dst: '203.0.113.9', dport: 23, proto: 'tcp', bytes: 60, packets: 1 });
  }
  const v = `V-${i % VEHICLES}`;
  return JSON.stringify({ kind: 'bsm', vehicle: v, ts: NOW - 600_000 + i, lat: 1.3 + (i % VEHICLES) * 1e-3, lon: 103.8 + i * 1e-7, speed: 10, heading: 90, seq: i });
}
const TOTAL = DEVICES * 50;
const unique = (name: string) => `vigil-${name}-${process.pid}-${Date.now()}`;

describe.skipIf(why !== undefined)('three detector workers in one consumer group', () => {
  const live = useLiveKafka('vigil-workers-test');

  it('survive one SIGKILLed mid-stream: partitions move, every event is scored, alerts stored once, entity order kept', async () => {
    const topic = unique('events');
    const detections = unique('detections');
    const group = unique('workers');
    await live.admin.createTopics({ topics: [{ topic, numPartitions: 6 }, { topic: detections, numPartitions: 6 }], waitForLeaders: true });
    const tmp = tempDir('vigil-workers-');
    const modelDir = tempDir('vigil-workers-model-');
    const node = await VigilNode.start(
      resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, kafka: { brokers: live.broker.brokers }, bus: { type: 'kafka', topic, groupId: group, detectionsTopic: detections } }),
      { logger: silentLogger() },
    );
    const workers: ChildProcess[] = [];
    const seen: DetectionMessage[] = [];
    let observer: Consumer | undefined;
    try {
      const startWorker = (env: Record<string, string> = {}) => {
        const child = spawn(process.execPath, [vigilBin, 'worker', '--kafka', live.broker.brokers.join(','), '--topic', topic, '--detections', detections, '--group', group, '--data-dir', modelDir.dir, '--session-timeout-ms', '8000'], {
          cwd: repoRoot,
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, ...env },
        });
        let err = '';
        child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
        workers.push(child);
        return { child, log: () => err };
      };
      // The first worker holds its first batch between publishing and committing (a test hook,
      // pipeline/commands/worker.ts): the SIGKILL lands with that batch in flight.
      const started = [startWorker({ VIGIL_WORKER_TEST_HOLD_BEFORE_COMMIT_MS: '300000' }), startWorker(), startWorker()];
      await waitFor(() => (started.every((w) => w.log().includes(' in group ')) ? true : undefined), 120_000, 'three workers in the group');
      // What the workers publish, read on the side (its own group) to check their work.
      observer = live.kafka.consumer({ groupId: unique('observer'), maxWaitTimeInMs: 200 });
      await observer.connect();
      await observer.subscribe({ topics: [detections], fromBeginning: true });
      await observer.run({ eachMessage: async ({ message }) => void (decodeDetections(message.value) && seen.push(decodeDetections(message.value)!)) });

      const post = async (from: number, to: number) => {
        for (let i = from; i < to; i += 100) {
          const body = Array.from({ length: Math.min(100, to - i) }, (_, k) => line(i + k)).join('\n');
          const res = await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } });
          expect(res.status).toBe(200);
          await new Promise((r) => setTimeout(r, 30));
        }
      };
      await post(0, TOTAL / 2);
      const hold = await waitFor(() => /holding partition (\d+) offsets (\d+)-(\d+): published, not committed/.exec(started[0]!.log()) ?? undefined, 60_000, 'the first worker holding a published batch');
      const [heldPartition, heldFirst, heldLast] = [Number(hold[1]), BigInt(hold[2]!), BigInt(hold[3]!)];
      // A stalled worker shows in the node's /metrics: its partition's lag does not go to 0 (the monitor asks every 5 s).
      const lagOf = async () => {
        const text = await (await fetch(`${node.url}/metrics`)).text();
        const lineOf = text.split('\n').find((l) => l.startsWith('vigil_kafka_consumer_lag{') && l.includes(`group="${group}"`) && l.includes(`topic="${topic}"`) && l.includes(`partition="${heldPartition}"`));
        return lineOf === undefined ? undefined : Number(lineOf.slice(lineOf.lastIndexOf(' ') + 1));
      };
      const stalledLag = await waitFor(async () => {
        const lag = await lagOf();
        return lag !== undefined && lag > 0 ? lag : undefined;
      }, 30_000, 'the held partition lagging in /metrics');
      expect(stalledLag).toBeGreaterThan(0);
      // SIGKILL while the stream goes on and the held batch is published but not committed: it must be done again.
      const killed = started[0]!.child;
      const streaming = post(TOTAL / 2, TOTAL);
      await new Promise((r) => setTimeout(r, 300));
      killed.kill('SIGKILL');
      await exited(killed);
      const killedAt = seen.length;
      await streaming;

      await waitFor(() => (node.store.countEvents() === TOTAL ? true : undefined), 60_000, 'every event stored');
      const stored = node.store.eventsAfter(0, TOTAL + 1);
      const scored = () => new Set(seen.flatMap((m) => m.scored));
      await waitFor(() => (stored.every((e) => scored().has(e.event.id)) ? true : undefined), 180_000, 'every stored event scored');

      // The killed worker's partitions were taken over: after the kill, others published for them.
      const mine = (m: DetectionMessage) => m.worker.endsWith(`:${killed.pid}`);
      const itsPartitions = new Set(seen.filter(mine).map((m) => m.partition));
      expect(itsPartitions.size).toBeGreaterThan(0);
      for (const p of itsPartitions) expect(seen.slice(killedAt).some((m) => m.partition === p && !mine(m))).toBe(true);
      // The held batch was replayed: another worker scored the same offsets of that partition again.
      const heldIds = new Set(seen.filter((m) => mine(m) && m.partition === heldPartition && BigInt(m.firstOffset) === heldFirst && BigInt(m.lastOffset) === heldLast).flatMap((m) => m.scored));
      expect(heldIds.size).toBeGreaterThan(0);
      const rescored = new Set(seen.filter((m) => !mine(m) && m.partition === heldPartition).flatMap((m) => m.scored.filter((id) => heldIds.has(id))));
      expect(rescored.size).toBe(heldIds.size);

      // Each worker saw each vehicle's events in the order they were stored (seq grows).
      const byId = new Map(stored.map((e) => [e.event.id, e.event]));
      const perWorker = new Map<string, Map<string, number>>();
      for (const m of seen) {
        const last = perWorker.get(m.worker) ?? new Map<string, number>();
        perWorker.set(m.worker, last);
        for (const id of m.scored) {
          const e = byId.get(id)!;
          const seq = e.vigil.vehicle?.seq;
          if (seq === undefined) continue;
          // A worker that takes a partition over starts at its last committed offset, after anything it saw of it before.
          const before = last.get(e.vigil.entity.id);
          if (before !== undefined && seq <= before) throw new Error(`${m.worker} saw ${e.vigil.entity.id} seq ${seq} after seq ${before}`);
          last.set(e.vigil.entity.id, seq);
        }
      }

      // Every device's telnet probe raised its alert, and each alert is stored once and logged once.
      // The node has stored everything published: its group's offsets are at the end of the detections topic.
      const end = async () => (await live.admin.fetchTopicOffsets(detections)).reduce((n, p) => n + Number(p.high), 0);
      const committed = async () => (await live.admin.fetchOffsets({ groupId: `${group}.store`, topics: [detections] }))[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      await waitFor(async () => ((await committed()) === (await end()) ? true : undefined), 60_000, 'the detections stored');
      const published = new Set(seen.flatMap((m) => m.alerts.map((a) => a.id)));
      const alerts = node.store.searchAlerts({}, { first: 500 }).edges.map((e) => e.node);
      expect(new Set(alerts.map((a) => a.id)).size).toBe(alerts.length);
      expect(alerts.length).toBe(published.size);
      for (let d = 0; d < DEVICES; d++) expect(alerts.filter((a) => a.entity.id === `D-${d}` && a.origin.id.endsWith('5002')).length).toBe(1);
      const ledger = node.analysis!.ledger;
      await ledger.checkpoint();
      const logged: string[] = [];
      for (let i = 0; i < ledger.size; i++) {
        const entry = await ledger.entry(i);
        if (entry.type === 'alert') logged.push(String(entry.body['id']));
      }
      expect(new Set(logged).size).toBe(logged.length);
      expect(logged.length).toBe(alerts.length);
      const replayed = seen.reduce((n, m) => n + m.scored.length, 0) - scored().size;
      expect(replayed).toBeGreaterThanOrEqual(heldIds.size);
      // Once the others took the partition over, its lag went back to 0.
      await waitFor(async () => ((await lagOf()) === 0 ? true : undefined), 60_000, 'the held partition caught up in /metrics');
      console.info(`kafka workers: ${TOTAL} events, ${seen.length} detections messages, ${replayed} events scored again after the rebalance, ${alerts.length} alerts`);
    } finally {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => exited(w)));
      await observer?.disconnect().catch(() => {});
      await node.stop();
      tmp.cleanup();
      modelDir.cleanup();
    }
  }, 400_000);
});
