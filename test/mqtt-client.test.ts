import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { freePort, tempDir, waitFor } from './helpers.js';

const MOSQUITTO = '/usr/sbin/mosquitto';
const present = existsSync(MOSQUITTO);
if (!present) console.log(`mqtt client-mode test: skipped, ${MOSQUITTO} is not installed (apt-get install mosquitto)`);

const NOW = Date.now();
const bsm = (vehicle: string, i: number) => JSON.stringify({ kind: 'bsm', vehicle, ts: NOW - 100_000 + i, lat: 1.3, lon: 103.8, speed: 12, heading: 45, seq: i });

describe.skipIf(!present)('client mode against a separately running mosquitto', () => {
  let broker: ChildProcess;
  let port: number;
  const tmp = tempDir('vigil-mosquitto-');

  beforeAll(async () => {
    port = await freePort();
    const conf = join(tmp.dir, 'mosquitto.conf');
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    broker = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
    await waitFor(async () => {
      try {
        const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 });
        await c.endAsync();
        return true;
      } catch {
        return undefined;
      }
    }, 10_000, 'mosquitto to listen');
  });
  afterAll(() => {
    broker?.kill('SIGTERM');
    tmp.cleanup();
  });

  it('subscribes by URL, stores what devices publish there, and dead-letters an impersonation', async () => {
    const data = tempDir();
    const node = await VigilNode.start(resolveConfig({ dataDir: data.dir, api: { port: 0 }, mqtt: { client: { url: `mqtt://127.0.0.1:${port}`, clientId: `vigil-${process.pid}` } } }), {
      logger: silentLogger(),
    });
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    try {
      for (let i = 0; i < 200; i++) await device.publishAsync(`city/v2x/V-${i % 4}/bsm`, bsm(`V-${i % 4}`, i), { qos: 1 });
      await device.publishAsync('city/v2x/V-1/bsm', bsm('V-9', 1), { qos: 1 });
      await device.publishAsync('city/iot/D-1/telemetry', JSON.stringify({ kind: 'telemetry', device: 'D-1', ts: NOW, metrics: { t: 1 } }), { qos: 1 });
      await waitFor(() => (node.store.countEvents() === 201 && node.store.countDeadLetters() === 1 ? true : undefined), 20_000, '201 events and 1 dead letter');
      expect(node.store.deadLetters()[0]?.code).toBe('ID_MISMATCH');
    } finally {
      await device.endAsync();
      await node.stop();
      data.cleanup();
    }
  });

  it('fails to start with a retriable CONNECTION_FAILED when the broker is not there', async () => {
    const data = tempDir();
    const closed = await freePort();
    await expect(
      VigilNode.start(resolveConfig({ dataDir: data.dir, api: { port: 0 }, mqtt: { client: { url: `mqtt://127.0.0.1:${closed}` } } }), { logger: silentLogger() }),
    ).rejects.toMatchObject({ code: 'CONNECTION_FAILED', retriable: true });
    data.cleanup();
  });
});
