/**
 * mqtt_events_per_s: QoS 1 BSMs published to the embedded broker of a real `vigil start`
 * child process, counted when every PUBACK is back (a PUBACK means stored).
 * syslog_events_per_s: RFC 5424 lines over TCP (newline framing) into the same node,
 * counted when the store holds them all. Loss figures must be 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import type { BenchContext, Figures } from './main.js';
import { freePort, waitHealthy } from './util.js';

const MQTT_TOTAL = Number(process.env.BENCH_MQTT_EVENTS ?? 200_000);
const SYSLOG_TOTAL = Number(process.env.BENCH_SYSLOG_EVENTS ?? 200_000);
/** Concurrent publishers: a city has thousands of devices and gateways; the bench uses a few dozen. */
const CLIENTS = Number(process.env.BENCH_COLLECTOR_CONNECTIONS ?? 32);
/** Unacknowledged QoS 1 messages per client: a real fleet has many devices each with one or a few in flight. */
const WINDOW = 2_000;

export async function run(ctx: BenchContext): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-collectors-'));
  const [port, mqttPort, syslogPort] = [await freePort(), await freePort(), await freePort()];
  const bin = resolve(import.meta.dirname, '../bin/vigil.js');
  const args = [bin, 'start', '--data-dir', dataDir, '--port', String(port), '--mqtt-port', String(mqttPort), '--syslog-port', String(syslogPort)];
  // BENCH_INGEST_ONLY=1: a node that only ingests (detector off, as a collector node feeding a Kafka bus would run).
  if (process.env.BENCH_INGEST_ONLY === '1') {
    writeFileSync(join(dataDir, 'bench.config.json'), JSON.stringify({ detector: { enabled: false } }));
    args.push('--config', join(dataDir, 'bench.config.json'));
  }
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' },
  });
  try {
    await waitHealthy(port);
    // /healthz answers before the node's collectors have bound their ports.
    await waitListening(mqttPort);
    await waitListening(syslogPort);
    const now = Date.now();

    // MQTT
    const perClient = Math.ceil(MQTT_TOTAL / CLIENTS);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 })));
    const payloads = clients.map((_, c) =>
      Array.from({ length: perClient }, (_, i) => {
        const n = c * perClient + i;
        const vehicle = `V-${n % 1000}`;
        return { topic: `city/v2x/${vehicle}/bsm`, payload: JSON.stringify({ kind: 'bsm', vehicle, ts: now - 3_600_000 + n, lat: 1.3 + (n % 997) * 1e-5, lon: 103.8 + (n % 991) * 1e-5, speed: 10 + (n % 13), heading: n % 360, seq: n }) };
      }),
    );
    ctx.progress(`collectors: publishing ${perClient * CLIENTS} QoS 1 BSMs over ${CLIENTS} MQTT connections`);
    let acked = 0;
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (client, c) => {
        const mine = payloads[c]!;
        let next = 0;
        await Promise.all(
          Array.from({ length: WINDOW }, async () => {
            while (next < mine.length) {
              const m = mine[next++]!;
              await client.publishAsync(m.topic, m.payload, { qos: 1 });
              acked++;
            }
          }),
        );
      }),
    );
    const mqttSeconds = (performance.now() - t0) / 1000;
    await Promise.all(clients.map((c) => c.endAsync()));
    const afterMqtt = await storedEvents(port);
    ctx.progress(`collectors: mqtt ${acked} acknowledged, ${afterMqtt} stored, ${mqttSeconds.toFixed(2)} s`);

    // Syslog over TCP
    const perConn = Math.ceil(SYSLOG_TOTAL / CLIENTS);
    const bodies = Array.from({ length: CLIENTS }, (_, c) => {
      const lines: string[] = new Array(perConn);
      for (let i = 0; i < perConn; i++) {
        const n = c * perConn + i;
        lines[i] = `<38>1 ${new Date(now - 3_600_000 + n).toISOString()} gw-${n % 200} sshd ${1000 + (n % 5000)} - - Failed password for user${n % 50} from 10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255} port ${1024 + (n % 60000)} ssh2\n`;
      }
      return Buffer.from(lines.join(''));
    });
    ctx.progress(`collectors: sending ${perConn * CLIENTS} syslog lines over ${CLIENTS} TCP connections`);
    const target = afterMqtt + perConn * CLIENTS;
    const t1 = performance.now();
    await Promise.all(
      bodies.map(
        (body) =>
          new Promise<void>((resolveSend, rejectSend) => {
            const sock = connect(syslogPort, '127.0.0.1', () => sock.end(body));
            sock.on('error', rejectSend);
            sock.on('close', () => resolveSend());
          }),
      ),
    );
    let stored = await storedEvents(port);
    while (stored < target) {
      await new Promise((r) => setTimeout(r, 5));
      stored = await storedEvents(port);
    }
    const syslogSeconds = (performance.now() - t1) / 1000;
    ctx.progress(`collectors: syslog ${perConn * CLIENTS} sent, ${stored - afterMqtt} stored, ${syslogSeconds.toFixed(2)} s`);
    return {
      mqtt_events_per_s: Math.round(acked / mqttSeconds),
      mqtt_loss: perClient * CLIENTS - afterMqtt,
      syslog_events_per_s: Math.round((perConn * CLIENTS) / syslogSeconds),
      syslog_tcp_loss: target - stored,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function storedEvents(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return ((await res.json()) as { events: number }).events;
}


async function waitListening(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const up = await new Promise<boolean>((r) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.end();
        r(true);
      });
      sock.on('error', () => r(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port} after 30 s`);
}

