/**
 * mqtt_events_per_s: QoS 1 BSMs published to the embedded broker of a real `vigil start`
 * child process, counted when every PUBACK is back (a PUBACK means stored).
 * syslog_events_per_s: RFC 5424 lines over TCP (newline framing) into the same node,
 * counted when the store holds them all. Loss figures must be 0.
 *
 * As in bench/ingest.ts, the headline figures `full_node_{mqtt,syslog}_*` are the node as it
 * runs, scoring every event with a model trained on simulator traffic on the same two
 * cores; `mqtt_events_per_s` and `syslog_events_per_s` are a node with the detector off
 * (VIGIL_DETECTOR=false: validated, stored and logged in the ledger, what a collector node
 * feeding a Kafka bus runs). `*_cpu_us_per_event` is the node's CPU (all its threads, from
 * /proc) per event while it took that load: the figure to compare on a shared machine,
 * where wall-clock rates are noisy. BENCH_ROUNDS interleaves rounds (medians reported).
 * BENCH_INGEST_ONLY=1 runs only the detector-off node, BENCH_FULL_NODE_ONLY=1 only the full one.
 */
import { connect } from 'node:net';
import mqtt from 'mqtt';
import type { BenchContext, Figures } from './main.js';
import { connect as tlsConnect } from 'node:tls';
import { benchDataDir, childCpuMs, cpuSince, cpuText, freePort, fullAndOffRounds, median, spawnBenchNode, waitHealthy } from './util.js';
import { prepareAuth } from './credentials.js';

const MQTT_TOTAL = Number(process.env.BENCH_MQTT_EVENTS ?? 200_000);
const SYSLOG_TOTAL = Number(process.env.BENCH_SYSLOG_EVENTS ?? 200_000);
/** Concurrent publishers: a city has thousands of devices and gateways; the bench uses a few dozen. */
const CLIENTS = Number(process.env.BENCH_COLLECTOR_CONNECTIONS ?? 32);
/** Unacknowledged QoS 1 messages per client: a real fleet has many devices each with one or a few in flight. */
const WINDOW = 2_000;

export async function run(ctx: BenchContext): Promise<Figures> {
  const { full, off } = await fullAndOffRounds((label, env, model) => measure(ctx, label, env, false, { model }));
  const med = (ms: Measured[], k: keyof Measured) => median(ms.map((m) => m[k]));
  const sum = (ms: Measured[], k: keyof Measured) => ms.reduce((n, m) => n + m[k], 0);
  return {
    ...(full.length > 0
      ? {
          full_node_mqtt_events_per_s: med(full, 'mqttPerSecond'),
          full_node_mqtt_cpu_us_per_event: med(full, 'mqttCpuUs'),
          full_node_mqtt_loss: sum(full, 'mqttLoss'),
          full_node_syslog_events_per_s: med(full, 'syslogPerSecond'),
          full_node_syslog_cpu_us_per_event: med(full, 'syslogCpuUs'),
          full_node_syslog_loss: sum(full, 'syslogLoss'),
        }
      : {}),
    ...(off.length > 0
      ? {
          mqtt_events_per_s: med(off, 'mqttPerSecond'),
          syslog_events_per_s: med(off, 'syslogPerSecond'),
          mqtt_node_cpu_us_per_event: med(off, 'mqttCpuUs'),
          syslog_node_cpu_us_per_event: med(off, 'syslogCpuUs'),
          mqtt_loss: sum(off, 'mqttLoss'),
          syslog_tcp_loss: sum(off, 'syslogLoss'),
        }
      : {}),
  };
}

interface Measured {
  mqttPerSecond: number;
  mqttLoss: number;
  mqttCpuUs: number;
  syslogPerSecond: number;
  syslogLoss: number;
  syslogCpuUs: number;
}

/**
 * One node under the MQTT, then the syslog load. `auth` (bench/auth.ts): sensor keys required,
 * each MQTT client CONNECTs with one, and syslog goes over TLS with an allow-listed certificate.
 */
export async function measure(ctx: BenchContext, label: string, env: Record<string, string>, auth = false, opts: { model?: boolean } = {}): Promise<Measured> {
  const dataDir = await benchDataDir(ctx, 'collectors', opts.model);
  const [port, mqttPort, syslogPort] = [await freePort(), await freePort(), await freePort()];
  const credentials = auth ? await prepareAuth(dataDir) : undefined;
  const args = ['--mqtt-port', String(mqttPort), '--syslog-port', String(syslogPort), ...(credentials ? ['--config', credentials.configFile] : [])];
  const { child, stop } = spawnBenchNode(dataDir, port, args, env);
  try {
    await waitHealthy(port, 120_000);
    // /healthz answers before the node's collectors have bound their ports.
    await waitListening(mqttPort);
    await waitListening(credentials ? credentials.syslogTlsPort : syslogPort);
    const now = Date.now();

    // MQTT
    const perClient = Math.ceil(MQTT_TOTAL / CLIENTS);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0, ...(credentials ? { username: 'bench', password: credentials.key } : {}) })));
    const payloads = clients.map((_, c) =>
      Array.from({ length: perClient }, (_, i) => {
        const n = c * perClient + i;
        const vehicle = `V-${n % 1000}`;
        return { topic: `city/v2x/${vehicle}/bsm`, payload: JSON.stringify({ kind: 'bsm', vehicle, ts: now - 3_600_000 + n, lat: 1.3 + (n % 997) * 1e-5, lon: 103.8 + (n % 991) * 1e-5, speed: 10 + (n % 13), heading: n % 360, seq: n }) };
      }),
    );
    ctx.progress(`collectors (${label}): publishing ${perClient * CLIENTS} QoS 1 BSMs over ${CLIENTS} MQTT connections`);
    let acked = 0;
    const mqttCommits0 = await commits(port);
    const mqttCpu0 = childCpuMs(child.pid!);
    const mqttOwn0 = process.cpuUsage();
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
    const mqttCpu = cpuSince(child.pid!, mqttCpu0);
    const mqttOwn = process.cpuUsage(mqttOwn0);
    await Promise.all(clients.map((c) => c.endAsync()));
    const afterMqtt = await storedEvents(port);
    const mqttCommits = await commits(port);
    ctx.progress(
      `collectors (${label}): mqtt ${acked} acknowledged, ${afterMqtt} stored, ${mqttSeconds.toFixed(2)} s; ${cpuText(mqttCpu)}, publishers' CPU ${((mqttOwn.user + mqttOwn.system) / 1e6).toFixed(2)} s; ${commitText(mqttCommits0, mqttCommits, acked)}`,
    );

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
    ctx.progress(`collectors (${label}): sending ${perConn * CLIENTS} syslog lines over ${CLIENTS} ${credentials ? "TLS" : "TCP"} connections`);
    const target = afterMqtt + perConn * CLIENTS;
    const syslogCommits0 = await commits(port);
    const syslogCpu0 = childCpuMs(child.pid!);
    const t1 = performance.now();
    await Promise.all(
      bodies.map(
        (body) =>
          new Promise<void>((resolveSend, rejectSend) => {
            const sock = credentials
              ? tlsConnect({ host: '127.0.0.1', port: credentials.syslogTlsPort, servername: 'localhost', ...credentials.tls }, () => sock.end(body))
              : connect(syslogPort, '127.0.0.1', () => sock.end(body));
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
    const syslogCpu = cpuSince(child.pid!, syslogCpu0);
    const syslogCommits = await commits(port);
    ctx.progress(`collectors (${label}): syslog ${perConn * CLIENTS} sent, ${stored - afterMqtt} stored, ${syslogSeconds.toFixed(2)} s; ${cpuText(syslogCpu)}; ${commitText(syslogCommits0, syslogCommits, perConn * CLIENTS)}`);
    return {
      mqttPerSecond: Math.round(acked / mqttSeconds),
      mqttLoss: perClient * CLIENTS - afterMqtt,
      mqttCpuUs: Math.round((mqttCpu.all * 1000) / acked),
      syslogPerSecond: Math.round((perConn * CLIENTS) / syslogSeconds),
      syslogLoss: target - stored,
      syslogCpuUs: Math.round((syslogCpu.all * 1000) / (perConn * CLIENTS)),
    };
  } finally {
    await stop();
  }
}

const commitText = (before: { count: number; seconds: number }, after: { count: number; seconds: number }, events: number) => {
  const n = after.count - before.count;
  return `${n} commits, ${n > 0 ? Math.round(events / n) : 0} events and ${n > 0 ? (((after.seconds - before.seconds) / n) * 1000).toFixed(1) : 0} ms each`;
};

/** Store commits so far and their total time, seconds (the node's own histogram). */
async function commits(port: number): Promise<{ count: number; seconds: number }> {
  const text = await getText(`http://127.0.0.1:${port}/metrics`);
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { count: value('vigil_store_commit_seconds_count'), seconds: value('vigil_store_commit_seconds_sum') };
}

async function storedEvents(port: number): Promise<number> {
  return (JSON.parse(await getText(`http://127.0.0.1:${port}/healthz`)) as { events: number }).events;
}

async function getText(url: string): Promise<string> {
  // A node starved of CPU (a shared machine) can close an idle keep-alive connection just as
  // it is reused (ECONNRESET): ask again rather than lose the run.
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await fetch(url)).text();
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
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

