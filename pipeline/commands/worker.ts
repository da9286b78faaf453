/**
 * `vigil worker`: a detector worker process of the Kafka bus (pipeline/detector-worker.ts).
 * Run as many as the bus topic has partitions to spread; they share the consumer group,
 * and Kafka moves a dead worker's partitions to the others.
 */
import type { Command } from 'commander';
import { Detector } from '../../detector/index.js';
import { createKafkaClient } from '../bus-kafka.js';
import { DEFAULT_DATA_DIR, resolveConfig } from '../config.js';
import { DetectorWorker } from '../detector-worker.js';

const log = (m: string) => process.stderr.write(`${m}\n`);

export function register(program: Command): void {
  program
    .command('worker')
    .description('score the Kafka bus\'s events as one of a consumer group of detector workers, and publish what is found')
    .requiredOption('--kafka <BROKERS>', 'Kafka brokers, host:port, comma-separated')
    .option('--topic <NAME>', 'the bus topic (config bus.topic)', 'vigil.events')
    .option('--detections <NAME>', 'where detections go (config bus.detectionsTopic)', 'vigil.detections')
    .option('--group <ID>', 'the workers\' consumer group (config bus.groupId)', 'vigil-detectors')
    .option('--data-dir <DIR>', 'where the trained model is (DIR/model); none: rules and reputation only', DEFAULT_DATA_DIR)
    .option('--client-id <ID>', 'Kafka client id', 'vigil-worker')
    .option('--session-timeout-ms <MS>', 'how long the group waits for a silent worker before moving its partitions', '30000')
    .action(async (o: { kafka: string; topic: string; detections: string; group: string; dataDir: string; clientId: string; sessionTimeoutMs: string }) => {
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
      const worker = new DetectorWorker(kafka, detector, {
        topic: o.topic,
        detectionsTopic: o.detections,
        groupId: o.group,
        sessionTimeoutMs,
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
          if (++batches % 100 === 1) log(`worker: partition ${partition}: ${events} events, ${alerts} alerts (batch ${batches})`);
        },
      });
      await worker.start();
      log(`worker: ${process.pid} in group ${o.group} on ${o.topic} → ${o.detections}`);
      await new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
      });
      await worker.stop();
    });
}
