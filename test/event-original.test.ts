/**
 * ECS `event.original` (issue 18): each source told to (`ingest.preserveOriginal`) keeps its
 * raw input on the event, stored, in the ledger leaf (as its SHA-256), in ECS documents and in
 * the API's event JSON; the id does not change with it; other sources keep nothing.
 */
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import mqtt from 'mqtt';
import type { ConsumerRunConfig, EachBatchPayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../api/index.js';
import { KafkaCollector, type KafkaClientPort, type KafkaConsumerPort } from '../collectors/kafka/index.js';
import type { IngestItem, IngestReceipt, IngestSink } from '../collectors/index.js';
import { eventId, eventJson, fromEcsDocument, hasValidId, originalText, parseJsonRecord, resolveValidationOptions, toEcsDocument, attachOriginal, type VigilEvent } from '../events/index.js';
import { configFromEnv, configFromFlags, resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { tempDir, waitFor } from './helpers.js';

const NOW = Date.now();
const NDJSON = { 'Content-Type': 'application/x-ndjson' };
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Inputs of every network source, each spelt with spaces a normaliser would not keep. */
const httpLine = (i: number) => `{ "kind": "auth", "device": "D-${i}", "ts": ${NOW - 5000 + i}, "user": "admin", "outcome": "failure" }`;
const mqttPayload = `{"kind":"bsm",  "vehicle":"V-7","ts":${NOW - 4000},"lat":1.3,"lon":103.8,"speed":10,"heading":90,"seq":3}`;
const tcpLine = (i: number) => `<38>1 ${new Date(NOW - 3000 + i).toISOString()} gw-${i % 7} sshd ${1000 + i} - - Failed password for user${i} from 10.0.0.${i % 250} port ${2000 + i} ssh2`;
const udpLine = `<13>Jun 15 11:58:00 cam-4 app: datagram kept as it came`;

async function startNode(preserveOriginal: Array<'http' | 'mqtt' | 'syslog' | 'kafka'>): Promise<{ node: VigilNode; cleanup: () => void }> {
  const tmp = tempDir();
  const config = resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, ingest: { preserveOriginal }, mqtt: { broker: { enabled: true, port: 0 } }, syslog: { enabled: true, port: 0 }, detector: { enabled: false } });
  return { node: await VigilNode.start(config, { logger: silentLogger() }), cleanup: tmp.cleanup };
}

/** Send every source's inputs to a node; returns the stored events by source, once all are stored. */
async function feed(node: VigilNode, syslogLines: number): Promise<void> {
  const body = Array.from({ length: 3 }, (_, i) => httpLine(i)).join('\n');
  expect((await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: NDJSON })).status).toBe(200);
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.mqttBroker!.port}`, { reconnectPeriod: 0 });
  await client.publishAsync('city/v2x/V-7/bsm', mqttPayload, { qos: 1 });
  await client.endAsync();
  const { tcp, udp } = node.syslog!.ports;
  await new Promise<void>((resolve, reject) => {
    const sock = connect(tcp, '127.0.0.1', () => sock.end(Array.from({ length: syslogLines }, (_, i) => `${tcpLine(i)}\n`).join('')));
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
  const dgram = createSocket('udp4');
  await new Promise<void>((resolve) => dgram.send(udpLine, udp, '127.0.0.1', () => resolve()));
  dgram.close();
  await waitFor(() => (node.store.countEvents() >= 3 + 1 + syslogLines + 1 ? true : undefined), 20_000, 'every input stored');
}

function storedBySource(node: VigilNode): Map<string, VigilEvent[]> {
  const rows = node.store.db.prepare('SELECT source, doc FROM events ORDER BY seq').all() as Array<{ source: string; doc: string }>;
  const out = new Map<string, VigilEvent[]>();
  for (const r of rows) out.set(r.source, [...(out.get(r.source) ?? []), JSON.parse(r.doc) as VigilEvent]);
  return out;
}

describe('event.original through a running node', () => {
  const SYSLOG_LINES = 200;
  let on: { node: VigilNode; cleanup: () => void };
  let off: { node: VigilNode; cleanup: () => void };
  beforeAll(async () => {
    [on, off] = [await startNode(['http', 'mqtt', 'syslog']), await startNode([])];
    await feed(on.node, SYSLOG_LINES);
    await feed(off.node, SYSLOG_LINES);
  }, 90_000);
  afterAll(async () => {
    for (const n of [on, off]) {
      await n?.node.stop();
      n?.cleanup();
    }
  });

  it('keeps each source\'s raw input as event.original when that source is told to', () => {
    const got = storedBySource(on.node);
    expect(got.get('http')!.map((e) => e.event.original)).toEqual([0, 1, 2].map(httpLine));
    expect(got.get('mqtt')!.map((e) => e.event.original)).toEqual([mqttPayload]);
    expect(got.get('syslog-tcp')!.map((e) => e.event.original)).toEqual(Array.from({ length: SYSLOG_LINES }, (_, i) => tcpLine(i)));
    expect(got.get('syslog-udp')!.map((e) => e.event.original)).toEqual([udpLine]);
  });

  it('keeps nothing when the option is off, and the events and their ids are the same either way', () => {
    const withIt = storedBySource(on.node);
    const without = storedBySource(off.node);
    for (const [source, events] of without) {
      for (const e of events) expect(e.event).not.toHaveProperty('original');
      expect(events.map((e) => e.id)).toEqual(withIt.get(source)!.map((e) => e.id));
    }
    for (const e of [...withIt.values()].flat()) expect(hasValidId(e)).toBe(true);
  });

  it('puts the original\'s SHA-256 in the event\'s ledger leaf, so the proof covers it; none without one', async () => {
    const event = storedBySource(on.node).get('syslog-tcp')![5]!;
    const bundle = await on.node.analysis!.ledger.proveById(event.id);
    expect(bundle.entry.body).toMatchObject({ id: event.id, original: sha256(event.event.original!) });
    const plain = storedBySource(off.node).get('syslog-tcp')![5]!;
    expect((await off.node.analysis!.ledger.proveById(plain.id)).entry.body).not.toHaveProperty('original');
  });

  it('serves it in the API\'s event JSON and writes it as ECS event.original', async () => {
    const event = storedBySource(on.node).get('mqtt')![0]!;
    const { token } = createToken(on.node.store, { name: 'analyst', role: 'analyst', createdBy: 'test' });
    const res = await fetch(`${on.node.url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'query($id: ID!) { event(id: $id) { id document } }', variables: { id: event.id } }),
    });
    const json = (await res.json()) as { data: { event: { document: VigilEvent } } };
    expect(json.data.event.document.event.original).toBe(mqttPayload);
    const doc = toEcsDocument(json.data.event.document) as { event: Record<string, unknown> };
    expect(doc.event).toMatchObject({ id: event.id, original: mqttPayload });
    expect(fromEcsDocument(doc).event.original).toBe(mqttPayload);
  });

  it('reports the bytes stored per event with it on and off', () => {
    const bytes = (node: VigilNode) => node.store.db.prepare("SELECT avg(length(CAST(doc AS BLOB))) AS b FROM events WHERE source = 'syslog-tcp'").get() as { b: number };
    const [withIt, without] = [bytes(on.node).b, bytes(off.node).b];
    // A figure for the README, printed: event documents of the sshd lines with and without their original.
    console.log(`event.original: stored event document ${without.toFixed(0)} bytes off, ${withIt.toFixed(0)} bytes on (syslog sshd lines of ${tcpLine(0).length} bytes)`);
    expect(withIt - without).toBeGreaterThanOrEqual(tcpLine(0).length);
  });
});

describe('the Kafka collector', () => {
  const validation = resolveValidationOptions();
  const value = `{"kind":"telemetry", "device":"D-3","ts":${NOW - 1000},"metrics":{"temperature":21.5}}`;

  async function consume(preserveOriginal: boolean): Promise<IngestItem[]> {
    let config: ConsumerRunConfig | undefined;
    const consumer = { connect: async () => {}, disconnect: async () => {}, subscribe: async () => {}, run: async (c?: ConsumerRunConfig) => void (config = c), stop: async () => {}, commitOffsets: async () => {}, pause: () => {}, resume: () => {} } as unknown as KafkaConsumerPort;
    const kafka: KafkaClientPort = { consumer: () => consumer };
    const submitted: IngestItem[] = [];
    const sink: IngestSink = {
      submit: async (_s, items): Promise<IngestReceipt> => {
        submitted.push(...items);
        return { accepted: items.length, duplicates: 0, rejected: 0, results: [] };
      },
      dropped: () => {},
    };
    const collector = new KafkaCollector(kafka, validation, { topics: ['city'], preserveOriginal });
    await collector.start(sink);
    const payload = {
      batch: { topic: 'city', partition: 0, messages: [{ key: null, value: Buffer.from(value), offset: '0', timestamp: String(NOW), attributes: 0, headers: {} }] },
      resolveOffset: () => {},
      heartbeat: async () => {},
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload;
    await config!.eachBatch!(payload);
    await collector.stop();
    return submitted;
  }

  it('keeps each record value as event.original when told to, and nothing otherwise', async () => {
    const [kept, plain] = [await consume(true), await consume(false)];
    expect(kept[0]!.event!.event.original).toBe(value);
    expect(plain[0]!.event!.event).not.toHaveProperty('original');
    expect(kept[0]!.event!.id).toBe(plain[0]!.event!.id);
  });
});

describe('originalText', () => {
  it('keeps an input within the bound whole, bytes or text', () => {
    expect(originalText('héllo', 16)).toBe('héllo');
    expect(originalText(Buffer.from('héllo'), 6)).toBe('héllo');
  });

  it('cuts a longer one at a character boundary and marks it with the whole length', () => {
    // 'é' is two bytes: a bound of 2 falls inside the second character.
    expect(originalText(Buffer.from('aéb'), 2)).toBe('a…[truncated: 4 bytes]');
    expect(originalText('x'.repeat(100), 10)).toBe(`${'x'.repeat(10)}…[truncated: 100 bytes]`);
    expect(originalText('€'.repeat(10), 7)).toBe('€€…[truncated: 30 bytes]');
  });

  it('is outside the id, and spliced into the stored JSON without a second encoding', () => {
    const made = parseJsonRecord('{"kind":"auth","device":"D-1","ts":1732170000123,"user":"root","outcome":"failure"}', resolveValidationOptions({ now: () => 1732170000123 }));
    const event = made.ok ? made.event : undefined;
    const id = event!.id;
    attachOriginal(event!, 'raw "quoted" \u2028 text', 1024);
    expect(eventId(event!)).toBe(id);
    const back = JSON.parse(eventJson(event!)) as VigilEvent;
    expect(back).toEqual(JSON.parse(JSON.stringify(event)));
    expect(back.event.original).toBe('raw "quoted" \u2028 text');
  });
});

describe('the option', () => {
  it('is set by ingest.preserveOriginal, VIGIL_PRESERVE_ORIGINAL and --preserve-original, and refuses an unknown source', () => {
    expect(resolveConfig({}).ingest.preserveOriginal).toEqual([]);
    expect(configFromEnv({ VIGIL_PRESERVE_ORIGINAL: 'syslog,kafka', VIGIL_ORIGINAL_MAX_BYTES: '4096' })).toEqual({ ingest: { preserveOriginal: ['syslog', 'kafka'], originalMaxBytes: 4096 } });
    expect(configFromFlags({ preserveOriginal: 'http, mqtt' }, () => true)).toEqual({ ingest: { preserveOriginal: ['http', 'mqtt'] } });
    expect(() => resolveConfig({ ingest: { preserveOriginal: ['ftp' as 'http'] } })).toThrow(/preserveOriginal/);
  });
});
