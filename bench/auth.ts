/**
 * Authentication on versus off (issue 16's acceptance: the collectors' figures with
 * authentication on fall by no more than 5 %). `npm run bench -- --only auth [--json]` runs
 * the detector-off node of `ingest` and `collectors` with and without credentials, the two
 * interleaved for BENCH_AUTH_ROUNDS rounds (default 3) so that the machine's drift hits
 * both alike, and prints each round's figures, the on/off ratios and their medians.
 *
 * "On" is what a deployment runs: `ingest.requireKeys` (HTTP posts carry a sensor key,
 * MQTT clients CONNECT with one, every event checked against its key's scope and recorded
 * with it) and syslog over TLS with an allow-listed client certificate instead of plain TCP.
 *
 * On a shared machine the events/s ratios carry the other tenants' noise; the node's CPU per
 * event (`auth_{off,on}_*_cpu_us_per_event`, all its threads, from /proc) is the figure to
 * compare, and `auth_cpu_ratio_*` is off/on of it (1.0: authentication costs nothing). Each
 * round also measures what TLS alone costs a receiver that does nothing with the bytes
 * (bench/tls-receive.ts), the crypto's share of the syslog gap: `auth_syslog_receive_*`.
 * `auth_loadavg_{start,end}` is the machine's one-minute load average.
 */
import { loadavg } from 'node:os';
import type { BenchContext, Figures } from './main.js';
import { prepareAuth } from './credentials.js';
import { measureReceive } from './tls-receive.js';
import { benchDataDir } from './util.js';
import { rmSync } from 'node:fs';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round3 = (x: number) => Number(x.toFixed(3));

const NAMES = ['ingest', 'mqtt', 'syslog'] as const;
type Name = (typeof NAMES)[number];

export async function run(ctx: BenchContext): Promise<Figures> {
  const rounds = Number(process.env.BENCH_AUTH_ROUNDS ?? 3);
  const ingest = await import('./ingest.js');
  const collectors = await import('./collectors.js');
  const rate: Record<Name, { off: number[]; on: number[] }> = { ingest: { off: [], on: [] }, mqtt: { off: [], on: [] }, syslog: { off: [], on: [] } };
  const cpu: Record<Name, { off: number[]; on: number[] }> = { ingest: { off: [], on: [] }, mqtt: { off: [], on: [] }, syslog: { off: [], on: [] } };
  const receive: { off: number[]; on: number[] } = { off: [], on: [] };
  const figures: Figures = { auth_loadavg_start: round3(loadavg()[0]!) };
  let loss = 0;
  const receiveDir = await benchDataDir(ctx, 'tls-receive');
  const receiveAuth = await prepareAuth(receiveDir);
  for (let r = 1; r <= rounds; r++) {
    // Alternate which goes first, so neither always runs on the warmer (or busier) machine.
    for (const mode of r % 2 === 1 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const auth = mode === 'on';
      const i = await ingest.measure(ctx, `detector off, auth ${mode}`, { VIGIL_DETECTOR: 'false' }, auth);
      const c = await collectors.measure(ctx, `detector off, auth ${mode}`, { VIGIL_DETECTOR: 'false' }, auth);
      const got = await measureReceive(Number(process.env.BENCH_SYSLOG_EVENTS ?? 200_000), Number(process.env.BENCH_COLLECTOR_CONNECTIONS ?? 32), receiveDir, auth ? receiveAuth : undefined);
      ctx.progress(`auth ${mode}: receiving the syslog load ${auth ? `over TLS (${got.cipher})` : 'over TCP'} and doing nothing with it: ${got.cpuUsPerLine} µs CPU per line, ${got.reads} reads of ${got.bytesPerRead} bytes`);
      loss += i.loss + c.mqttLoss + c.syslogLoss;
      const rates: Record<Name, number> = { ingest: i.perSecond, mqtt: c.mqttPerSecond, syslog: c.syslogPerSecond };
      const cpus: Record<Name, number> = { ingest: i.cpuUs, mqtt: c.mqttCpuUs, syslog: c.syslogCpuUs };
      for (const n of NAMES) {
        rate[n][mode].push(rates[n]);
        cpu[n][mode].push(cpus[n]);
        figures[`auth_${mode}_${n}_events_per_s_round${r}`] = rates[n];
        figures[`auth_${mode}_${n}_cpu_us_per_event_round${r}`] = cpus[n];
      }
      receive[mode].push(got.cpuUsPerLine);
      figures[`auth_syslog_receive_${auth ? 'tls' : 'tcp'}_cpu_us_per_line_round${r}`] = got.cpuUsPerLine;
      if (got.cipher) figures['auth_syslog_tls_cipher'] = got.cipher;
    }
  }
  rmSync(receiveDir, { recursive: true, force: true });
  for (const n of NAMES) {
    const ratios = rate[n].on.map((v, k) => v / rate[n].off[k]!);
    const cpuRatios = cpu[n].on.map((v, k) => cpu[n].off[k]! / v);
    ratios.forEach((q, k) => (figures[`auth_ratio_${n}_events_per_s_round${k + 1}`] = round3(q)));
    figures[`auth_off_${n}_events_per_s_median`] = median(rate[n].off);
    figures[`auth_on_${n}_events_per_s_median`] = median(rate[n].on);
    figures[`auth_ratio_${n}_events_per_s_median`] = round3(median(ratios));
    figures[`auth_off_${n}_cpu_us_per_event_median`] = median(cpu[n].off);
    figures[`auth_on_${n}_cpu_us_per_event_median`] = median(cpu[n].on);
    figures[`auth_cpu_ratio_${n}_median`] = round3(median(cpuRatios));
  }
  figures['auth_syslog_receive_tcp_cpu_us_per_line_median'] = median(receive.off);
  figures['auth_syslog_receive_tls_cpu_us_per_line_median'] = median(receive.on);
  // The TLS record layer's cost per line, against the node's whole cost per syslog event over TCP.
  figures['auth_syslog_tls_share_of_node_cpu'] = round3((median(receive.on) - median(receive.off)) / median(cpu.syslog.off));
  figures['auth_loss'] = loss;
  figures['auth_loadavg_end'] = round3(loadavg()[0]!);
  return figures;
}
