/**
 * Overload: publishers offering far more than the pipeline can store (a small queue and a
 * store slowed by hand) over MQTT, HTTP and Kafka at once. Sources that can push back
 * must lose nothing: at the end, received = accepted + rejected + dropped per source, with
 * dropped = 0, and every input acknowledged is stored. (The 30 s run of the issue is the
 * same scenario for longer; `VIGIL_OVERLOAD_SECONDS` lengthens it.)
 */
import type { ConsumerRunConfig, EachBatchPayload } from 'kafkajs';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { KafkaCollector, type KafkaClientPort, type KafkaConsumerPort } from '../collectors/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { metricValue, tempDir } from './helpers.js';

/** POST /ingest takes only JSON and NDJSON content types (collectors/http). */
const NDJSON = { 'Content-Type': 'application/x-ndjson' };

const NOW = Date.now();
const SECONDS = Number(process.env.VIGIL_OVERLOAD_SECONDS ?? 3);
const bsm = (vehicle: string, i: number) => JSON.stringify({ kind: 'bsm', vehicle, ts: NOW - 1_000_000 + i, lat: 1.3, lon: 103.8, speed: 10, heading: 90, seq: i });

/** One partition fetched as fast as kafkajs would: the next batch only after the previous eachBatch returned. */
class LoopingConsumer implements KafkaConsumerPort {
  private config: ConsumerRunConfig | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  offered = 0;
  committed = 0;
  async connect() {}
  async disconnect() {
    this.running = false;
    await this.loop;
  }
  async subscribe() {}
  async stop() {}
  async run(config?: ConsumerRunConfig) {
    this.config = config;
    this.running = true;
    this.loop = this.fetchLoop();
  }
  async commitOffsets(o: Parameters<KafkaConsumerPort['commitOffsets']>[0]) {
    this.committed = Number(o[0]!.offset);
  }
  pause() {}
  resume() {}
  private async fetchLoop(): Promise<void> {
    let offset = 0;
    while (this.running) {
      const messages = Array.from({ length: 200 }, (_, i) => {
        const n = offset + i;
        return { key: null, value: Buffer.from(n % 50 === 0 ? '{"kind":"bsm"}' : bsm(`K-${n % 10}`, n)), offset: String(n), timestamp: '0', attributes: 0, headers: {} };
      });
      this.offered += messages.length;
      const payload = {
        batch: { topic: 'city.bsm', partition: 0, messages },
        resolveOffset: () => {},
        heartbeat: async () => {},
        isRunning: () => this.running,
        isStale: () => false,
      } as unknown as EachBatchPayload;
      await this.config!.eachBatch!(payload);
      offset += messages.length;
    }
  }
}

describe('overload at well over the pipeline capacity', () => {
  it(`loses nothing over MQTT, HTTP and Kafka for ${SECONDS} s, and accounts for every input`, async () => {
    const tmp = tempDir();
    const node = await VigilNode.start(
      resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, ingest: { queueCapacity: 2000, maxBatchItems: 500 }, mqtt: { broker: { enabled: true, port: 0 } } }),
      { logger: silentLogger() },
    );
    // Slow the store: each transaction takes at least 10 ms more, capping it near 50,000/s at best and far less with fsync.
    const write = node.store.writeBatch.bind(node.store);
    node.store.writeBatch = (events, deadLetters) => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      return write(events, deadLetters);
    };
    const consumer = new LoopingConsumer();
    const kafka: KafkaClientPort = { consumer: () => consumer };
    await node.addSource(new KafkaCollector(kafka, node.validation, { topics: ['city.bsm'] }));

    const deadline = Date.now() + SECONDS * 1000;
    let maxDepth = 0;
    const sampler = setInterval(() => (maxDepth = Math.max(maxDepth, node.ingest.depth)), 2);
    let mqttAcked = 0;
    let mqttSent = 0;
    let httpStored = 0;
      const publishers = Array.from({ length: 4 }, async (_, p) => {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.mqttBroker!.port}`, { reconnectPeriod: 0 });
      let i = 0;
      while (Date.now() < deadline) {
        // A window of 500 unacknowledged messages per client: the publisher outruns the store.
        await Promise.all(
          Array.from({ length: 500 }, () => {
            const n = i++;
            mqttSent++;
            const payload = n % 100 === 0 ? bsm(`X-${p}`, n) : bsm(`M-${p}`, n); // X-p under topic M-p: an ID_MISMATCH
            return client.publishAsync(`city/v2x/M-${p}/bsm`, payload, { qos: 1 }).then(() => void mqttAcked++);
          }),
        );
      }
      await client.endAsync();
    });
    const poster = (async () => {
      let i = 0;
      while (Date.now() < deadline) {
        const body = Array.from({ length: 200 }, () => bsm('H-1', i++)).join('\n');
        for (;;) {
          const res = await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: NDJSON });
          if (res.status === 200) {
            httpStored += 200;
            break;
          }
          expect(res.status).toBe(429);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
    await Promise.all([...publishers, poster]);
    clearInterval(sampler);
    await node.stop().catch(() => {});
    const text = await node.metrics.registry.metrics();
    for (const source of ['mqtt', 'http', 'kafka']) {
      const received = metricValue(text, 'vigil_events_received_total', { source });
      const accepted = metricValue(text, 'vigil_events_accepted_total', { source });
      const rejected = metricValue(text, 'vigil_events_rejected_total', { source });
      const dropped = metricValue(text, 'vigil_events_dropped_total', { source });
      expect(received, source).toBeGreaterThan(0);
      expect(received, source).toBe(accepted + rejected + dropped);
      expect(dropped, source).toBe(0);
    }
    // Every PUBACK and every 200 stands for stored inputs; the pipeline pushed back rather than dropped.
    expect(mqttAcked).toBe(mqttSent);
    expect(metricValue(text, 'vigil_events_received_total', { source: 'mqtt' })).toBe(mqttSent);
    expect(metricValue(text, 'vigil_events_rejected_total', { source: 'mqtt' })).toBe(mqttSent / 100);
    expect(metricValue(text, 'vigil_events_accepted_total', { source: 'http' })).toBe(httpStored);
    // The queue ran full: the offered load was beyond what the store could take.
    expect(maxDepth).toBeGreaterThanOrEqual(1500);
    expect(metricValue(text, 'vigil_events_received_total', { source: 'kafka' })).toBe(consumer.committed);
    tmp.cleanup();
  });
});
