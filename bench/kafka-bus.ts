/**
 * The bus between the store and the detector, in process against Kafka with three detector
 * workers: `npm run bench -- --only kafka-bus [--json]`.
 *
 * - `memory_bus_events_per_s`: BSMs posted to a node's /ingest (8 connections, bodies of
 *   1,000 lines), stored, and scored by the node's own detector on the in-process bus;
 * - `kafka_bus_events_per_s`: the same events into a node whose bus is a Kafka topic
 *   (6 partitions), scored by three `vigil worker` processes of one consumer group, their
 *   detections published to a second topic and stored by the node — timed until every event
 *   has been scored and the node has committed the last detections message as stored.
 *
 * Both run rules and reputation only (no trained model in the data folder), on the same
 * machine, one after the other. Needs a Kafka broker: `KAFKA_BROKERS`, or the test broker
 * (.ci/kafka, Java 17 and the Maven jars); without one the suite says why and gives no
 * figure. BENCH_KAFKA_EVENTS sets the count (default 100,000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { decodeDetections } from '../pipeline/detections.js';
import { resolveConfig, type VigilConfigInput } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { exited, repoRoot, vigilBin } from '../test/helpers.js';
import { kafkaUnavailable, startBroker, type TestBroker } from '../test/kafka-broker.js';
import type { BenchContext, Figures } from './main.js';
import { benchBsm, freePort, postIngestBodies } from './util.js';

const EVENTS = Number(process.env.BENCH_KAFKA_EVENTS ?? 100_000);

function bodies(now: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < EVENTS; i += 1000) out.push(Array.from({ length: Math.min(1000, EVENTS - i) }, (_, k) => benchBsm(i + k, now)).join('\n'));
  return out;
}

async function withNode<T>(over: VigilConfigInput, fn: (node: VigilNode, port: number) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-bus-'));
  const port = await freePort();
  const node = await VigilNode.start(resolveConfig({ ...over, dataDir: dir, api: { port } }), { logger: silentLogger() });
  try {
    return await fn(node, port);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(ctx: BenchContext): Promise<Figures> {
  const why = kafkaUnavailable();
  if (why) {
    ctx.progress(`kafka-bus: skipped, no Kafka broker — ${why} (set KAFKA_BROKERS, or install Java 17 and run npm run kafka:dev once)`);
    return {};
  }
  const now = Date.now();
  const memory = await withNode({}, async (_node, port) => {
    const t = performance.now();
    const { stored } = await postIngestBodies(port, bodies(now), 8);
    if (stored !== EVENTS) throw new Error(`memory bus: ${stored} of ${EVENTS} stored`);
    return EVENTS / ((performance.now() - t) / 1000);
  });
  ctx.progress(`kafka-bus: in-process bus ${Math.round(memory)} events/s`);

  const broker = await startBroker();
  try {
    const kafka = await overKafka(ctx, broker, now);
    return { memory_bus_events_per_s: Math.round(memory), kafka_bus_events_per_s: Math.round(kafka), kafka_bus_events: EVENTS, kafka_bus_workers: 3 };
  } finally {
    await broker.close();
  }
}

async function overKafka(ctx: BenchContext, broker: TestBroker, now: number): Promise<number> {
  const id = `${process.pid}-${Date.now()}`;
  const topic = `bench-events-${id}`;
  const detections = `bench-detections-${id}`;
  const group = `bench-workers-${id}`;
  const kafka = new Kafka({ clientId: 'vigil-bench', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }, { topic: detections, numPartitions: 6 }], waitForLeaders: true });
  const workers: ChildProcess[] = [];
  const modelDir = mkdtempSync(join(tmpdir(), 'vigil-bench-worker-'));
  const observer = kafka.consumer({ groupId: `bench-observer-${id}`, maxWaitTimeInMs: 100 });
  try {
    return await withNode({ kafka: { brokers: broker.brokers }, bus: { type: 'kafka', topic, groupId: group, detectionsTopic: detections } }, async (_node, port) => {
      const ready = Array.from({ length: 3 }, () => {
        const child = spawn(process.execPath, [vigilBin, 'worker', '--kafka', broker.brokers.join(','), '--topic', topic, '--detections', detections, '--group', group, '--data-dir', modelDir], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
        workers.push(child);
        return new Promise<void>((resolve, reject) => {
          let err = '';
          child.stderr!.on('data', (c: Buffer) => {
            err = (err + c.toString()).slice(-4000);
            if (err.includes(' in group ')) resolve();
          });
          child.once('exit', (code) => reject(new Error(`a worker exited (${code}): ${err}`)));
        });
      });
      await Promise.all(ready);
      const scored = new Set<string>();
      await observer.connect();
      await observer.subscribe({ topics: [detections], fromBeginning: true });
      await observer.run({ eachMessage: async ({ message }) => void decodeDetections(message.value)?.scored.forEach((s) => scored.add(s)) });
      ctx.progress('kafka-bus: three workers in the group; posting');
      const t = performance.now();
      const { stored } = await postIngestBodies(port, bodies(now), 8);
      if (stored !== EVENTS) throw new Error(`kafka bus: ${stored} of ${EVENTS} stored`);
      const end = async () => (await admin.fetchTopicOffsets(detections)).reduce((n, p) => n + Number(p.high), 0);
      const committed = async () => (await admin.fetchOffsets({ groupId: `${group}.store`, topics: [detections] }))[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      const deadline = Date.now() + 600_000;
      while (scored.size < EVENTS || (await committed()) < (await end())) {
        if (Date.now() > deadline) throw new Error(`kafka bus: ${scored.size} of ${EVENTS} scored after 10 minutes`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const perSecond = EVENTS / ((performance.now() - t) / 1000);
      ctx.progress(`kafka-bus: ${Math.round(perSecond)} events/s through Kafka and three workers`);
      return perSecond;
    });
  } finally {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => exited(w)));
    await observer.disconnect().catch(() => {});
    await admin.disconnect();
    rmSync(modelDir, { recursive: true, force: true });
  }
}
