/**
 * Detector cost and output digest on a file, for optimising the detector without changing
 * what it says. Not a suite of `npm run bench`: a tool to run in two checkouts and compare.
 *
 *   node --import tsx bench/detector-check.ts --events s3.ndjson --model vigil-data/model [--reps 3] [--dump DIR]
 *
 * Scores the file in batches of 4096 with `Detector.process` and `tick` (at each batch's
 * last timestamp), as the pipeline does, and prints CPU µs per event (this process, all
 * threads, GC included; median of the runs) and SHA-256 digests of the per-event scores
 * (Float32 bytes), alerts, incidents and reputation points of the first run. Equal digests
 * mean bit-for-bit equal results; `--dump DIR` writes them for a `cmp`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Detector, loadModel } from '../detector/index.js';
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../events/index.js';

const BATCH = 4096;
const { values } = parseArgs({ options: { events: { type: 'string' }, model: { type: 'string' }, reps: { type: 'string', default: '3' }, dump: { type: 'string' } } });
if (!values.events || !values.model) throw new Error('usage: detector-check.ts --events FILE --model DIR [--reps N] [--dump DIR]');
const model = await loadModel(values.model);
if (!model) throw new Error(`no model in ${values.model}`);
const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
const events: VigilEvent[] = [];
for (const line of readFileSync(values.events, 'utf8').split('\n')) {
  if (!line) continue;
  const r = parseJsonRecord(line, opts);
  if (r.ok) events.push(r.event);
}
const batches: VigilEvent[][] = [];
for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));

const cpu: number[] = [];
for (let rep = 0; rep < Number(values.reps); rep++) {
  const detector = await Detector.create({ model });
  const out = { scores: [] as Buffer[], alerts: [] as string[], incidents: [] as string[], reputation: [] as string[] };
  let used = 0;
  for (const b of batches) {
    const c = process.cpuUsage();
    const processed = detector.process(b);
    const ticked = detector.tick(b.at(-1)!.vigil.ts);
    const d = process.cpuUsage(c);
    used += d.user + d.system;
    if (rep > 0) continue;
    // serialised as returned: incidents are live objects that later alerts change
    out.scores.push(Buffer.from(processed.scores.buffer.slice(processed.scores.byteOffset, processed.scores.byteOffset + processed.scores.byteLength)));
    for (const o of [processed, ticked]) {
      for (const a of o.alerts) out.alerts.push(JSON.stringify(a));
      for (const i of o.incidents) out.incidents.push(JSON.stringify(i));
      for (const p of o.reputation) out.reputation.push(JSON.stringify(p));
    }
  }
  cpu.push(used / events.length);
  if (rep === 0) {
    const files: Record<string, Buffer> = {
      'scores.f32': Buffer.concat(out.scores),
      'alerts.ndjson': Buffer.from(out.alerts.map((l) => `${l}\n`).join('')),
      'incidents.ndjson': Buffer.from(out.incidents.map((l) => `${l}\n`).join('')),
      'reputation.ndjson': Buffer.from(out.reputation.map((l) => `${l}\n`).join('')),
    };
    const counts = { 'scores.f32': events.length, 'alerts.ndjson': out.alerts.length, 'incidents.ndjson': out.incidents.length, 'reputation.ndjson': out.reputation.length };
    for (const [name, bytes] of Object.entries(files)) process.stdout.write(`${name.padEnd(18)} ${String(counts[name as keyof typeof counts]).padStart(7)}  sha256 ${createHash('sha256').update(bytes).digest('hex')}\n`);
    if (values.dump) {
      mkdirSync(values.dump, { recursive: true });
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(values.dump, name), bytes);
    }
  }
  process.stdout.write(`run ${rep + 1}: ${cpu.at(-1)!.toFixed(2)} CPU µs/event\n`);
}
cpu.sort((a, b) => a - b);
process.stdout.write(`median ${cpu[Math.floor(cpu.length / 2)]!.toFixed(2)} CPU µs/event over ${events.length} events (model ${model.hash.slice(0, 12)}); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
