import { connect as tcpConnect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { MqttBrokerCollector, mayMatchCityTopics, parseTopic } from '../collectors/mqtt/index.js';
import { resolveValidationOptions } from '../events/index.js';
import type { IngestItem, IngestReceipt, IngestSink } from '../collectors/index.js';
import { metricValue, tempDir, waitFor } from './helpers.js';
import { sensorKey } from './sensor-fixtures.js';

const NOW = Date.now();

function bsm(vehicle: string, i: number): string {
  return JSON.stringify({ kind: 'bsm', vehicle, ts: NOW - 200_000 + i, lat: 1.35 + i * 1e-6, lon: 103.82, speed: 10 + (i % 7), heading: (i * 3) % 360, seq: i });
}

async function connectClient(port: number, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });
  return client;
}

describe('the embedded MQTT broker of a running node', () => {
  let node: VigilNode;
  let cleanup: () => void;
  let client: MqttClient | undefined;

  beforeEach(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, mqtt: { broker: { enabled: true, port: 0 } } }), { logger: silentLogger() });
  });
  afterEach(async () => {
    await client?.endAsync().catch(() => {});
    client = undefined;
    await node.stop();
    cleanup();
  });

  it('acknowledges 10,000 QoS 1 BSMs and has stored all 10,000 events', async () => {
    client = await connectClient(node.mqttBroker!.port);
    // mqtt.js settles a QoS 1 publish when its PUBACK arrives.
    let pubacks = 0;
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback') pubacks++;
    });
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => {
        const vehicle = `V-${i % 100}`;
        return client!.publishAsync(`city/v2x/${vehicle}/bsm`, bsm(vehicle, i), { qos: 1 });
      }),
    );
    expect(pubacks).toBe(10_000);
    // No waiting: a PUBACK means stored.
    expect(node.store.countEvents()).toBe(10_000);
    expect(node.store.countDeadLetters()).toBe(0);
  });

  it('keeps a BSM whose payload names another vehicle than its topic as an ID_MISMATCH dead letter, not an event', async () => {
    client = await connectClient(node.mqttBroker!.port);
    await client.publishAsync('city/v2x/V-1/bsm', bsm('V-2', 1), { qos: 1 });
    expect(node.store.countEvents()).toBe(0);
    const [dl] = node.store.deadLetters();
    expect(dl?.code).toBe('ID_MISMATCH');
    expect(dl?.field).toBe('vehicle');
    expect(dl?.raw.toString()).toBe(bsm('V-2', 1));
  });

  it('rejects telemetry published under another device, and a kind that disagrees with its topic', async () => {
    client = await connectClient(node.mqttBroker!.port);
    const telemetry = (device: string) => JSON.stringify({ kind: 'telemetry', device, ts: NOW, metrics: { temperature: 21 } });
    await client.publishAsync('city/iot/D-1/telemetry', telemetry('D-1'), { qos: 1 });
    await client.publishAsync('city/iot/D-1/telemetry', telemetry('D-9'), { qos: 1 });
    await client.publishAsync('city/iot/D-1/net', telemetry('D-1'), { qos: 1 });
    expect(node.store.countEvents()).toBe(1);
    expect(node.store.deadLetters().map((d) => [d.code, d.field])).toEqual([
      ['ID_MISMATCH', 'device'],
      ['ID_MISMATCH', 'kind'],
    ]);
  });

  it('does not forward a rejected message to subscribers of its topic', async () => {
    client = await connectClient(node.mqttBroker!.port);
    // Watching city traffic takes a key with the right to subscribe (anonymous subscriptions are refused).
    const watcher = await connectClient(node.mqttBroker!.port, { username: 'watcher', password: (await sensorKey(node, { subscribe: ['city/#'] })).secret });
    const seen: string[] = [];
    watcher.on('message', (_topic, payload) => seen.push(payload.toString()));
    await watcher.subscribeAsync('city/#', { qos: 1 });
    await client.publishAsync('city/v2x/V-1/bsm', bsm('V-2', 1), { qos: 1 });
    await client.publishAsync('city/v2x/V-1/bsm', bsm('V-1', 2), { qos: 1 });
    await waitFor(() => (seen.length >= 1 ? true : undefined), 5000, 'the valid message to be forwarded');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([bsm('V-1', 2)]);
    await watcher.endAsync();
  });

  it('stores malformed payloads under city/ as dead letters with their reason, and acknowledges them', async () => {
    client = await connectClient(node.mqttBroker!.port);
    let pubacks = 0;
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback') pubacks++;
    });
    await client.publishAsync('city/v2x/V-1/bsm', '{"kind":"bsm",', { qos: 1 });
    await client.publishAsync('city/parking/P-1/occupancy', '{}', { qos: 1 });
    expect(pubacks).toBe(2);
    expect(node.store.deadLetters().map((d) => d.code)).toEqual(['INVALID_JSON', 'INVALID_FORMAT']);
    const metrics = await node.metrics.registry.metrics();
    expect(metricValue(metrics, 'vigil_events_rejected_total', { source: 'mqtt' })).toBe(2);
  });

  it('takes QoS 0 messages too', async () => {
    client = await connectClient(node.mqttBroker!.port);
    for (let i = 0; i < 50; i++) client.publish('city/v2x/V-7/bsm', bsm('V-7', i), { qos: 0 });
    await waitFor(() => (node.store.countEvents() === 50 ? true : undefined), 5000, '50 QoS 0 events');
  });

  it('rejects a payload over the record limit as TOO_LARGE and keeps the connection', async () => {
    client = await connectClient(node.mqttBroker!.port);
    const big = JSON.stringify({ kind: 'bsm', pad: 'x'.repeat(70_000) });
    await client.publishAsync('city/v2x/V-1/bsm', big, { qos: 1 });
    await client.publishAsync('city/v2x/V-1/bsm', bsm('V-1', 1), { qos: 1 });
    expect(node.store.deadLetters().map((d) => d.code)).toEqual(['TOO_LARGE']);
    expect(node.store.countEvents()).toBe(1);
  });

  it('closes a connection that declares a packet over maxPacketBytes before reading it, and records why', async () => {
    const port = node.mqttBroker!.port;
    const socket = tcpConnect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    // CONNECT (MQTT 3.1.1, client id "x"), then a PUBLISH header declaring 200 MB of which only a few bytes follow.
    socket.write(Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 1, 0x78]));
    const remaining = 200 * 1024 * 1024;
    const varint: number[] = [];
    let x = remaining;
    do {
      let byte = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) byte |= 0x80;
      varint.push(byte);
    } while (x > 0);
    socket.write(Buffer.concat([Buffer.from([0x30, ...varint]), Buffer.from([0, 16]), Buffer.from('city/v2x/V-1/bsm'), Buffer.alloc(1000, 0x61)]));
    await new Promise<void>((r) => socket.once('close', () => r()));
    await waitFor(() => (node.store.countDeadLetters() === 1 ? true : undefined), 5000, 'the dead letter');
    const [dl] = node.store.deadLetters();
    expect(dl?.code).toBe('TOO_LARGE');
    expect(dl?.reason).toMatch(/209715200 bytes exceeds the limit of 131072/);
  });
});

describe('the embedded broker with credentials', () => {
  it('refuses a client with a wrong password and takes one with the right password', async () => {
    const tmp = tempDir();
    const node = await VigilNode.start(
      resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, mqtt: { broker: { enabled: true, port: 0, username: 'rsu', password: 's3cret' } } }),
      { logger: silentLogger() },
    );
    try {
      await expect(connectClient(node.mqttBroker!.port, { username: 'rsu', password: 'wrong' })).rejects.toThrow(/Bad username or password|Not authorized/i);
      const good = await connectClient(node.mqttBroker!.port, { username: 'rsu', password: 's3cret' });
      await good.publishAsync('city/v2x/V-1/bsm', bsm('V-1', 1), { qos: 1 });
      expect(node.store.countEvents()).toBe(1);
      await good.endAsync();
    } finally {
      await node.stop();
      tmp.cleanup();
    }
  });
});

/** A sink whose commits the test releases by hand: the store is as slow as the test wants. */
class GatedSink implements IngestSink {
  batches: Array<{ items: readonly IngestItem[]; release: () => void }> = [];
  stored = 0;
  submit(_source: string, items: readonly IngestItem[]): Promise<IngestReceipt> {
    return new Promise((resolve) => {
      this.batches.push({
        items,
        release: () => {
          this.stored += items.length;
          resolve({ accepted: items.length, duplicates: 0, rejected: 0, results: [] });
        },
      });
    });
  }
  dropped(): void {}
}

describe('when the store is slow', () => {
  it('sends no PUBACK until the batch holding the message is stored', async () => {
    const sink = new GatedSink();
    const collector = new MqttBrokerCollector(resolveValidationOptions(), { port: 0 });
    await collector.start(sink);
    const client = await connectClient(collector.port);
    try {
      let acked = 0;
      const pubs = Array.from({ length: 20 }, (_, i) => client.publishAsync('city/v2x/V-1/bsm', bsm('V-1', i), { qos: 1 }).then(() => acked++));
      await waitFor(() => (sink.batches.reduce((n, b) => n + b.items.length, 0) === 20 ? true : undefined), 5000, 'the messages to reach the sink');
      // Time for any premature PUBACK to have reached the client.
      await new Promise((r) => setTimeout(r, 200));
      expect(acked).toBe(0);
      for (const b of sink.batches) b.release();
      await Promise.all(pubs);
      expect(acked).toBe(20);
      expect(sink.stored).toBe(20);
    } finally {
      await client.endAsync();
      for (const b of sink.batches) b.release();
      await collector.stop();
    }
  });

  it('stops reading a publisher while its messages wait, instead of buffering them all', async () => {
    const sink = new GatedSink();
    const collector = new MqttBrokerCollector(resolveValidationOptions(), { port: 0 });
    await collector.start(sink);
    // A QoS 0 flood has no acks to wait for: only the broker not reading can hold it back.
    const client = await connectClient(collector.port);
    try {
      const payload = bsm('V-1', 1);
      for (let i = 0; i < 20_000; i++) client.publish('city/v2x/V-1/bsm', payload, { qos: 0 });
      await waitFor(() => (sink.batches.length > 0 ? true : undefined), 5000, 'a first batch');
      await new Promise((r) => setTimeout(r, 300));
      const taken = sink.batches.reduce((n, b) => n + b.items.length, 0);
      // The broker took what one socket read held and then stopped: most of the flood is still in TCP buffers.
      expect(taken).toBeLessThan(20_000);
      for (let round = 0; round < 1000 && sink.stored < 20_000; round++) {
        for (const b of sink.batches.splice(0)) b.release();
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(sink.stored).toBe(20_000);
    } finally {
      await client.endAsync();
      for (const b of sink.batches) b.release();
      await collector.stop();
    }
  });
});

describe('while a commit is in flight', () => {
  it('reads on past the first batch, up to maxInflightMessages, and acknowledges in publish order once stored', async () => {
    const sink = new GatedSink();
    const collector = new MqttBrokerCollector(resolveValidationOptions(), { port: 0, maxInflightMessages: 1500 });
    await collector.start(sink);
    const client = await connectClient(collector.port);
    try {
      const sent: number[] = [];
      const acked: number[] = [];
      client.on('packetsend', (p) => {
        if (p.cmd === 'publish' && p.messageId !== undefined) sent.push(p.messageId);
      });
      client.on('packetreceive', (p) => {
        if (p.cmd === 'puback' && p.messageId !== undefined) acked.push(p.messageId);
      });
      const pubs = Array.from({ length: 5000 }, (_, i) => client.publishAsync('city/v2x/V-1/bsm', bsm('V-1', i), { qos: 1 }));
      const taken = () => sink.batches.reduce((n, b) => n + b.items.length, 0);
      // Nothing is stored yet: still the broker takes more than one batch (the next group commit's worth)...
      await waitFor(() => (taken() >= 1500 ? true : undefined), 10_000, '1500 messages to be taken while none is stored');
      await new Promise((r) => setTimeout(r, 300));
      expect(sink.batches.length).toBeGreaterThan(1);
      // ...and then stops reading: the rest waits in TCP buffers, not in the broker.
      expect(taken()).toBeLessThan(5000);
      expect(acked).toEqual([]);
      for (let round = 0; round < 2000 && sink.stored < 5000; round++) {
        for (const b of sink.batches.splice(0)) b.release();
        await new Promise((r) => setTimeout(r, 2));
      }
      await Promise.all(pubs);
      expect(sink.stored).toBe(5000);
      // MQTT 3.1.1 §4.6: PUBACKs in the order the PUBLISH packets were received.
      expect(acked).toEqual(sent);
    } finally {
      await client.endAsync();
      for (const b of sink.batches) b.release();
      await collector.stop();
    }
  });

  it('keeps serving other packets of a held connection, and resumes it without stalling', async () => {
    const sink = new GatedSink();
    const collector = new MqttBrokerCollector(resolveValidationOptions(), { port: 0, maxInflightMessages: 10 });
    await collector.start(sink);
    const client = await connectClient(collector.port);
    try {
      // City messages (the short path, held at 10) interleaved with messages aedes handles itself.
      const pubs: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) {
        pubs.push(client.publishAsync('city/v2x/V-1/bsm', bsm('V-1', i), { qos: 1 }));
        if (i % 3 === 0) pubs.push(client.publishAsync(`devices/D-1/config`, `{"n":${i}}`, { qos: 1 }));
      }
      let settled = false;
      const all = Promise.all(pubs).then(() => (settled = true));
      for (let round = 0; round < 3000 && !settled; round++) {
        for (const b of sink.batches.splice(0)) b.release();
        await new Promise((r) => setTimeout(r, 2));
      }
      await all;
      expect(sink.stored).toBe(300);
    } finally {
      await client.endAsync();
      for (const b of sink.batches) b.release();
      await collector.stop();
    }
  });

  it('sends no PUBACK and closes the connection when the batch could not be stored', async () => {
    const sink: IngestSink = {
      submit: () => Promise.reject(new Error('disk full')),
      dropped: () => {},
    };
    const collector = new MqttBrokerCollector(resolveValidationOptions(), { port: 0 });
    await collector.start(sink);
    const client = await connectClient(collector.port);
    try {
      let pubacks = 0;
      client.on('packetreceive', (p) => {
        if (p.cmd === 'puback') pubacks++;
      });
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      void client.publishAsync('city/v2x/V-1/bsm', bsm('V-1', 1), { qos: 1 }).catch(() => {});
      await closed;
      expect(pubacks).toBe(0);
    } finally {
      await client.endAsync(true).catch(() => {});
      await collector.stop();
    }
  });
});

describe('forwarding stored messages', () => {
  it('keeps a retained message for a later subscriber, and forwards live ones to a subscriber that came later', async () => {
    const tmp = tempDir();
    const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, mqtt: { broker: { enabled: true, port: 0 } } }), { logger: silentLogger() });
    const publisher = await connectClient(node.mqttBroker!.port);
    const watcher = await connectClient(node.mqttBroker!.port, { username: 'watcher', password: (await sensorKey(node, { subscribe: ['+/v2x/#'] })).secret });
    try {
      // Nobody subscribes yet: the retained one must still be kept by the broker.
      await publisher.publishAsync('city/v2x/V-1/bsm', bsm('V-1', 1), { qos: 1, retain: true });
      await publisher.publishAsync('city/v2x/V-1/bsm', bsm('V-1', 2), { qos: 1 });
      const seen: Array<[string, boolean]> = [];
      watcher.on('message', (_topic, payload, packet) => seen.push([payload.toString(), packet.retain]));
      await watcher.subscribeAsync('+/v2x/#', { qos: 1 });
      await publisher.publishAsync('city/v2x/V-1/bsm', bsm('V-1', 3), { qos: 1 });
      await waitFor(() => (seen.length >= 2 ? true : undefined), 5000, 'the retained and the live message');
      expect(seen).toEqual([
        [bsm('V-1', 1), true],
        [bsm('V-1', 3), false],
      ]);
      expect(node.store.countEvents()).toBe(3);
    } finally {
      await publisher.endAsync();
      await watcher.endAsync();
      await node.stop();
      tmp.cleanup();
    }
  });
});

describe('topic parsing', () => {
  /** The obvious reading of DESIGN.md's topics, to check the hand-written one against. */
  function naiveParseTopic(topic: string) {
    const parts = topic.split('/');
    if (parts.length !== 4 || parts[0] !== 'city' || parts[2] === '') return undefined;
    if (parts[1] === 'v2x' && parts[3] === 'bsm') return { kind: 'bsm', entity: parts[2], field: 'vehicle' };
    if (parts[1] === 'iot' && ['telemetry', 'net', 'auth'].includes(parts[3]!)) return { kind: parts[3], entity: parts[2], field: 'device' };
    return undefined;
  }

  it('agrees with a split-based reading on generated topics', () => {
    const pieces = ['city', 'v2x', 'iot', 'bsm', 'telemetry', 'net', 'auth', 'V-1', '', 'x', 'City', '+', '#', 'city/'];
    let seed = 1;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let i = 0; i < 20_000; i++) {
      const levels = 1 + (next() % 6);
      const topic = Array.from({ length: levels }, () => pieces[next() % pieces.length]).join('/');
      expect(parseTopic(topic), topic).toEqual(naiveParseTopic(topic));
    }
  });

  it('knows which subscription filters can see city topics', () => {
    for (const f of ['city/#', 'city/v2x/+/bsm', '#', '+/v2x/#', '+', 'city', '$share/g/city/#', '$share/g/#']) expect(mayMatchCityTopics(f), f).toBe(true);
    for (const f of ['devices/#', '$SYS/#', 'cityx/#', 'other/city/#', '$share/g/devices/#', '$share/g']) expect(mayMatchCityTopics(f), f).toBe(false);
  });
});
