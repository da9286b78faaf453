/**
 * Issue 16, the MQTT broker over real TCP: an anonymous or out-of-scope client publishing as
 * another vehicle, and anyone subscribing to `#`, refused; a revoked key's session ended;
 * Debian's mosquitto clients where installed; and the aedes internals the broker relies on.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { Aedes } from 'aedes';
import { createServer, connect } from 'node:net';
import { checkAedesInternals, filterCovers } from '../collectors/mqtt/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { metricValue, tempDir, waitFor } from './helpers.js';
import { sensorKey } from './sensor-fixtures.js';

const run = promisify(execFile);
const NOW = Date.now();
const bsm = (vehicle: string, i: number) => JSON.stringify({ kind: 'bsm', vehicle, ts: NOW - 100_000 + i, lat: 1.35, lon: 103.82, speed: 10, heading: 90, seq: i });

function connectClient(port: number, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
}

/** The SUBACK's return code per filter, in order (mqtt.js rejects when any is 0x80, with the SUBACK attached). */
async function granted(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted?: Array<number | { reasonCode?: number }> } }).packet;
    if (!packet?.granted) throw err;
    return packet.granted.map((g) => (typeof g === 'number' ? g : (g.reasonCode ?? -1)));
  }
}

async function startNode(requireKeys: boolean) {
  const tmp = tempDir();
  const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, ingest: { requireKeys }, mqtt: { broker: { enabled: true, port: 0 } } }), { logger: silentLogger() });
  return { node, cleanup: async () => (await node.stop(), tmp.cleanup()) };
}

describe('the MQTT broker with sensor keys required', () => {
  let node: VigilNode;
  let cleanup: () => Promise<void>;
  let v1: { secret: string; id: string };
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    ({ node, cleanup } = await startNode(true));
    v1 = await sensorKey(node, { entities: ['V-0001'], subscribe: ['city/v2x/V-0001/#'] }, 'obu V-0001');
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await cleanup();
  });

  it('refuses an anonymous CONNECT and one with a wrong key (CONNACK 5, not authorized)', async () => {
    await expect(connectClient(node.mqttBroker!.port)).rejects.toMatchObject({ code: 5 });
    await expect(connectClient(node.mqttBroker!.port, { username: 'V-0001', password: 'vgs_guessed' })).rejects.toMatchObject({ code: 5 });
    const metrics = await node.metrics.registry.metrics();
    expect(metricValue(metrics, 'vigil_ingest_refused_total', { source: 'mqtt', reason: 'unauthenticated' })).toBe(2);
  });

  it('stores what a client publishes for its own vehicle, and keeps an impersonation as an UNAUTHORIZED_ENTITY dead letter that nobody sees', async () => {
    const watcherKey = await sensorKey(node, { subscribe: ['city/#'] }, 'operator');
    const watcher = await connectClient(node.mqttBroker!.port, { username: 'ops', password: watcherKey.secret });
    clients.push(watcher);
    const seen: string[] = [];
    watcher.on('message', (_t, p) => seen.push(p.toString()));
    await watcher.subscribeAsync('city/#', { qos: 1 });
    const obu = await connectClient(node.mqttBroker!.port, { username: 'V-0001', password: v1.secret });
    clients.push(obu);
    await obu.publishAsync('city/v2x/V-0001/bsm', bsm('V-0001', 1), { qos: 1 });
    // Impersonation: the topic and payload agree, but the key is V-0001's.
    await obu.publishAsync('city/v2x/V-0002/bsm', bsm('V-0002', 2), { qos: 1 });
    await waitFor(() => (seen.length >= 1 ? true : undefined), 5_000, 'the own message to be forwarded');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([bsm('V-0001', 1)]);
    expect(node.store.deadLetters().map((d) => [d.source, d.code])).toEqual([['mqtt', 'UNAUTHORIZED_ENTITY']]);
    const events = node.store.searchEvents({ entity: 'V-0001' }, { first: 10 });
    expect(events.edges[0]!.node.event.agent).toMatchObject({ id: v1.id, type: 'sensor-key' });
    expect(node.store.searchEvents({ entity: 'V-0002' }, { first: 10 }).edges.length).toBe(0);
  });

  it('refuses subscriptions beyond the key: `#`, another vehicle, a wider filter (SUBACK 0x80), and grants its own', async () => {
    const obu = await connectClient(node.mqttBroker!.port, { username: 'V-0001', password: v1.secret });
    clients.push(obu);
    expect(await granted(obu, ['#', 'city/v2x/V-0002/bsm', 'city/v2x/+/bsm', 'city/v2x/V-0001/bsm'])).toEqual([128, 128, 128, 1]);
  });

  it('ends the session of a key once it is revoked', async () => {
    const k = await sensorKey(node, { entities: ['V-0005'] });
    const obu = await connectClient(node.mqttBroker!.port, { username: 'V-0005', password: k.secret });
    clients.push(obu);
    const closed = new Promise<void>((resolve) => obu.once('close', () => resolve()));
    node.sensorKeys.revoke(k.id, { actor: 'test', role: 'admin' }, Date.now());
    await closed;
    await expect(connectClient(node.mqttBroker!.port, { username: 'V-0005', password: k.secret })).rejects.toMatchObject({ code: 5 });
  });

  const mosquitto = existsSync('/usr/bin/mosquitto_pub') && existsSync('/usr/bin/mosquitto_sub');
  it.skipIf(!mosquitto)("with Debian's mosquitto clients: an anonymous publish and `#` subscription are refused, a keyed publish is stored", async () => {
    const port = String(node.mqttBroker!.port);
    const before = node.store.countEvents();
    const anon = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-q', '1', '-t', 'city/v2x/V-0001/bsm', '-m', bsm('V-0001', 50)]).catch((err: { stderr: string }) => err);
    expect(String((anon as { stderr?: string }).stderr)).toMatch(/not authori[sz]ed|Connection Refused/i);
    const sub = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '-t', '#', '-C', '1', '-W', '2']).catch((err: { stderr: string; code: number }) => err);
    expect(String((sub as { stderr?: string }).stderr)).toMatch(/not authori[sz]ed|Connection Refused/i);
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-q', '1', '-u', 'V-0001', '-P', v1.secret, '-t', 'city/v2x/V-0001/bsm', '-m', bsm('V-0001', 51)]);
    expect(node.store.countEvents()).toBe(before + 1);
    // Keyed but out of scope: mosquitto_sub prints the SUBACK refusal and exits.
    const wide = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '-u', 'V-0001', '-P', v1.secret, '-t', '#', '-C', '1', '-W', '2']).catch((err: { stderr: string }) => err);
    expect(String((wide as { stderr?: string }).stderr)).toMatch(/denied|refused|fail/i);
  });
});

describe('the MQTT broker open on loopback (the demo)', () => {
  let node: VigilNode;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ node, cleanup } = await startNode(false)));
  afterAll(() => cleanup());

  it('lets an anonymous client publish, but not subscribe to `#` or any filter that sees city traffic', async () => {
    const anon = await connectClient(node.mqttBroker!.port);
    try {
      expect(await granted(anon, ['#', '+/v2x/#', 'city/v2x/V-0001/bsm', 'devices/D-1/cmd'])).toEqual([128, 128, 128, 1]);
      await anon.publishAsync('city/v2x/V-0001/bsm', bsm('V-0001', 1), { qos: 1 });
      expect(node.store.countEvents()).toBe(1);
      const metrics = await node.metrics.registry.metrics();
      expect(metricValue(metrics, 'vigil_ingest_refused_total', { source: 'mqtt', reason: 'subscribe' })).toBe(3);
    } finally {
      await anon.endAsync();
    }
  });
});

describe('topic filter containment for subscription grants', () => {
  it.each([
    ['city/#', 'city/v2x/V-1/bsm', true],
    ['city/#', 'city', true],
    ['city/v2x/V-1/#', 'city/v2x/V-1/bsm', true],
    ['city/v2x/V-1/#', 'city/v2x/+/bsm', false],
    ['city/v2x/+/bsm', 'city/v2x/V-9/bsm', true],
    ['city/v2x/+/bsm', 'city/v2x/+/bsm', true],
    ['city/v2x/+/bsm', 'city/v2x/#', false],
    ['city/v2x/V-1/bsm', '#', false],
    ['#', '$share/g/city/#', true],
    ['city/v2x/V-1/bsm', '$share/g/city/v2x/V-1/bsm', true],
  ])('%s covers %s: %s', (allowed, requested, covers) => {
    expect(filterCovers(allowed, requested)).toBe(covers);
  });
});

describe("aedes' private members the broker relies on", () => {
  it('are all present on a live client of the pinned aedes version', async () => {
    const broker = await Aedes.createBroker();
    const server = createServer((socket) => {
      const client = broker.handle(socket);
      try {
        checkAedesInternals(client);
        socket.end('ok');
      } catch (err) {
        socket.end(`internals: ${(err as Error).message}`);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      connect(port, '127.0.0.1')
        .on('data', (d) => (text += d.toString()))
        .on('close', () => resolve(text))
        .on('error', reject);
    });
    server.close();
    await new Promise<void>((r) => broker.close(() => r()));
    // On a failure the message names the member that moved (e.g. "Client._nextBatch (function)").
    expect(answer).toBe('ok');
  });

  it('names the missing member when one moves', () => {
    expect(() => checkAedesInternals({ _parser: {}, _nextBatch: () => {}, _parsingBatch: 0, _keepaliveInterval: 0, connackSent: false, closed: false, conn: {} })).toThrow(/Client\._parser\._parseLength/);
    expect(() => checkAedesInternals({})).toThrow(/aedes internals changed: Client\._parser/);
  });
});
