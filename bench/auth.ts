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
 */
import type { BenchContext, Figures } from './main.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function run(ctx: BenchContext): Promise<Figures> {
  const rounds = Number(process.env.BENCH_AUTH_ROUNDS ?? 3);
  const ingest = await import('./ingest.js');
  const collectors = await import('./collectors.js');
  const names = ['ingest_events_per_s', 'mqtt_events_per_s', 'syslog_events_per_s'] as const;
  const seen: Record<string, { off: number[]; on: number[] }> = Object.fromEntries(names.map((n) => [n, { off: [], on: [] }]));
  const figures: Figures = {};
  let loss = 0;
  for (let r = 1; r <= rounds; r++) {
    // Alternate which goes first, so neither always runs on the warmer (or busier) machine.
    for (const mode of r % 2 === 1 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const auth = mode === 'on';
      const i = await ingest.measure(ctx, `detector off, auth ${mode}`, { VIGIL_DETECTOR: 'false' }, auth);
      const c = await collectors.measure(ctx, `detector off, auth ${mode}`, { VIGIL_DETECTOR: 'false' }, auth);
      loss += i.loss + c.mqttLoss + c.syslogLoss;
      const got = { ingest_events_per_s: i.perSecond, mqtt_events_per_s: c.mqttPerSecond, syslog_events_per_s: c.syslogPerSecond };
      for (const n of names) {
        seen[n]![mode].push(got[n]);
        figures[`auth_${mode}_${n}_round${r}`] = got[n];
      }
    }
  }
  for (const n of names) {
    const { off, on } = seen[n]!;
    const ratios = on.map((v, k) => v / off[k]!);
    ratios.forEach((q, k) => (figures[`auth_ratio_${n}_round${k + 1}`] = Number(q.toFixed(3))));
    figures[`auth_off_${n}_median`] = median(off);
    figures[`auth_on_${n}_median`] = median(on);
    figures[`auth_ratio_${n}_median`] = Number(median(ratios).toFixed(3));
  }
  figures['auth_loss'] = loss;
  return figures;
}
