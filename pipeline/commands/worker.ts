/**
 * `vigil worker`: a detector worker process of the Kafka bus (pipeline/detector-worker.ts).
 * Run as many as the bus topic has partitions to spread; they share the consumer group,
 * and Kafka moves a dead worker's partitions to the others.
 */
import { createServer } from 'node:http';
import type { Command } from 'commander';
import { Counter, Registry } from 'prom-client';
import { Detector } from '../../detector/index.js';
import { createKafkaClient } from '../bus-kafka.js';
import { DEFAULT_DATA_DIR, resolveConfig } from '../config.js';
import { DetectorWorker } from '../detector-worker.js';
import { consumerRestartsCounter } from '../kafka-restart.js';

const log = (m: string) => process.stderr.write(`${m}\n`);

export function register(program: Command): void {
  program
    .command('worker')
    .description('score the Kafka bus\'s events as one of a consumer group of detector workers, and publish what is found')
    .requiredOption('--kafka <BROKERS>', 'Kafka brokers, host:port, comma-separated')
    .option('--topic <NAME>', 'the bus topic (config bus.topic)', 'vigil.events')
    .option('--detections <NAME>', 'where detections go (config bus.detectionsTopic)', 'vigil.detections')
    .option('--group <ID>', 'the workers\' consumer group (config bus.groupId)', 'vigil-detectors')
    .option('--authority <NAME>', 'the authority\'s decisions (config bus.authorityTopic); "none": not followed', 'vigil.authority')
    .option('--metrics-port <PORT>', 'serve Prometheus metrics on http://HOST:PORT/metrics (0: any free port, printed)')
    .option('--metrics-host <HOST>', 'address for --metrics-port', '127.0.0.1')
    .option('--data-dir <DIR>', 'where the trained model is (DIR/model); none: rules and reputation only', DEFAULT_DATA_DIR)
    .option('--client-id <ID>', 'Kafka client id', 'vigil-worker')
    .option('--session-timeout-ms <MS>', 'how long the group waits for a silent worker before moving its partitions', '30000')
    .action(async (o: { kafka: string; topic: string; detections: string; group: string; authority: string; metricsPort?: string; metricsHost: string; dataDir: string; clientId: string; sessionTimeoutMs: string }) => {
      const metricsPort = o.metricsPort === undefined ? undefined : Number(o.metricsPort);
      if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65_535)) throw new Error(`--metrics-port: expected a port number 0-65535, got ${JSON.stringify(o.metricsPort)}`);
      const sessionTimeoutMs = Number(o.sessionTimeoutMs);
      if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < 1000) throw new Error(`--session-timeout-ms: expected a whole number of milliseconds, at least 1000, got ${JSON.stringify(o.sessionTimeoutMs)}`);
      const brokers = o.kafka.split(',').map((b) => b.trim()).filter(Boolean);
      if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) throw new Error(`--kafka: expected host:port[,host:port…], got ${JSON.stringify(o.kafka)}`);
      const detector = await Detector.create({ dataDir: o.dataDir, logger: { info: log, warn: log } }).catch(async (err: unknown) => {
        log(`worker: no usable model in ${o.dataDir} (${err instanceof Error ? err.message : String(err)}); rules and reputation only`);
        return Detector.create({ model: null, logger: { info: log, warn: log } });
      });
      // SASL and TLS as the node takes them (VIGIL_KAFKA_* in the environment, config.ts).
      const kafka = createKafkaClient(resolveConfig({ kafka: { brokers, clientId: o.clientId } }).kafka);
      let batches = 0;
      // Test hook: hold the first batch between publishing and committing, so that a test can
      // kill the worker with a batch in flight (test/kafka-workers.test.ts).
      const holdMs = Number(process.env.VIGIL_WORKER_TEST_HOLD_BEFORE_COMMIT_MS ?? 0);
      let held = false;
      const registry = new Registry();
      const restarts = consumerRestartsCounter(registry);
      for (const consumer of ['events', 'authority']) restarts.inc({ consumer }, 0);
      const scored = new Counter({ name: 'vigil_worker_events_scored_total', help: 'Bus events this worker scored (a replay after a rebalance counts again)', registers: [registry] });
      const decisions = new Counter({ name: 'vigil_worker_authority_decisions_total', help: 'Authority decisions applied to this worker\'s reputation book', registers: [registry] });
      const worker = new DetectorWorker(kafka, detector, {
        topic: o.topic,
        detectionsTopic: o.detections,
        groupId: o.group,
        ...(o.authority !== 'none' ? { authorityTopic: o.authority } : {}),
        sessionTimeoutMs,
        onRestart: (consumer) => restarts.inc({ consumer }),
        onDecision: (d, live) => {
          decisions.inc();
          if (live) log(`worker: authority decision ${d.decision} on ${d.entity} applied`);
        },
        onError: (err, context) => log(`worker: ${context}: ${err instanceof Error ? err.message : String(err)}`),
        ...(holdMs > 0
          ? {
              beforeCommit: async ({ partition, firstOffset, lastOffset }: { partition: number; firstOffset: string; lastOffset: string }) => {
                if (held) return;
                held = true;
                log(`worker: holding partition ${partition} offsets ${firstOffset}-${lastOffset}: published, not committed`);
                await new Promise((r) => setTimeout(r, holdMs));
              },
            }
          : {}),
        onBatch: ({ partition, events, alerts }) => {
          scored.inc(events);
          if (++batches % 100 === 1) log(`worker: partition ${partition}: ${events} events, ${alerts} alerts (batch ${batches})`);
        },
      });
      // Loopback by default: the worker's metrics carry no secrets, but its port is no API.
      const metrics = metricsPort === undefined ? undefined : createServer((req, res) => {
        if (req.url !== '/metrics') return void res.writeHead(404).end();
        void registry.metrics().then((text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text));
      });
      if (metrics) {
        await new Promise<void>((resolve, reject) => metrics.once('error', reject).listen(metricsPort, o.metricsHost, () => resolve()));
        const addr = metrics.address();
        log(`worker: metrics on http://${o.metricsHost}:${typeof addr === 'object' && addr ? addr.port : metricsPort}/metrics`);
      }
      await worker.start();
      log(`worker: ${process.pid} in group ${o.group} on ${o.topic} → ${o.detections}`);
      await new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
      });
      await worker.stop();
      await new Promise<void>((resolve) => (metrics ? metrics.close(() => resolve()) : resolve()));
    });
}
