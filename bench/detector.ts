/**
 * Detector throughput on simulator traffic: features + model + reputation + rules, in
 * batches of 4096 (as the pipeline calls it), after a training run whose time is
 * reported for 1,000,000 events. Events are generated and parsed before timing: the
 * figure is the detector's own cost.
 *
 * `VIGIL_BENCH_DETECTOR_MODEL=DIR` reuses a model folder across runs: the first run trains
 * and saves there, later ones load it (no `train_seconds`), so alternating runs of two
 * versions of the scoring code can score one model without training it each time.
 */
import { simulate } from '../collectors/index.js';
import { Detector, loadModel, saveModel, trainDetectorModel, type ModelBundle } from '../detector/index.js';
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../events/index.js';
import type { BenchContext, Figures } from './main.js';

const TRAIN_EVENTS = 1_000_000;
const BATCH = 4096;

export async function run(ctx: BenchContext): Promise<Figures> {
  ctx.progress('detector: generating simulator traffic');
  const events = await generate(TRAIN_EVENTS);
  const batches: VigilEvent[][] = [];
  for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
  const reuse = process.env['VIGIL_BENCH_DETECTOR_MODEL'];
  let model: ModelBundle | undefined = reuse ? await loadModel(reuse) : undefined;
  let trainSeconds: number | undefined;
  if (model) ctx.progress(`detector: model ${model.hash.slice(0, 12)} from ${reuse!}`);
  else {
    ctx.progress(`detector: training on ${events.length} events`);
    const t0 = performance.now();
    model = await trainDetectorModel(batches, { epochs: 10, seed: 1, onProgress: (m) => ctx.progress(`detector: ${m}`) });
    trainSeconds = (performance.now() - t0) / 1000;
    if (reuse) await saveModel(reuse, model);
  }
  const runs: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < 3; r++) {
    const detector = await Detector.create({ model });
    const c = process.cpuUsage();
    const t = performance.now();
    for (const b of batches) detector.process(b);
    runs.push(events.length / ((performance.now() - t) / 1000));
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / events.length);
    ctx.progress(`detector: scoring run ${r + 1}: ${Math.round(runs.at(-1)!)} events/s, ${cpu.at(-1)!.toFixed(2)} CPU µs/event`);
  }
  runs.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  // Wall-clock events/s depends on what else runs on the machine; CPU time per event
  // (this process, all threads, GC included) much less so. Both are medians of 3 runs.
  return {
    score_events_per_s: Math.round(runs[1]!),
    score_cpu_us_per_event: Math.round(cpu[1]! * 100) / 100,
    ...(trainSeconds !== undefined ? { train_seconds: Math.round(trainSeconds * 10) / 10 } : {}),
    detector_backend: model.backend,
  };
}

async function generate(n: number): Promise<VigilEvent[]> {
  const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
  const out: VigilEvent[] = [];
  // 300 vehicles and 150 devices make ~1,100 events per simulated second.
  for (const chunk of simulate({ seed: 11, vehicles: 300, devices: 150, duration: Math.ceil(n / 900), attackRate: 0.05, chunkSeconds: 10 })) {
    for (const line of chunk.events) {
      const r = parseJsonRecord(line, opts);
      if (r.ok) out.push(r.event);
      if (out.length >= n) return out;
    }
  }
  return out;
}
