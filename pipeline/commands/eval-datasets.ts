/**
 * The public data sets of `vigil eval --dataset`: split inside the command, stated in the
 * output — ODDS at random (seeded) 60 % train / 20 % validation / 20 % test; J1939 TSC1
 * trains on the unlabelled normal drive `normal.log` beside it and splits
 * `labeled_TSC1.csv` by time into validation (first half) and test (second half);
 * TON_IoT per device by time 60/20/20. The importers are collectors', the harness the
 * detector's; this file joins them.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { importDataset, readRecords } from '../../collectors/index.js';
import {
  bestF1Threshold,
  buildReport,
  DetectorError,
  FEATURE_NAMES,
  FeatureExtractor,
  permutation,
  scoreFamily,
  seededRandom,
  selectModel,
  trainFamily,
  type Report,
} from '../../detector/index.js';
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../../events/index.js';

const log = (m: string) => process.stderr.write(`${m}\n`);

export async function evalDataset(dataset: string, path: string, epochs: number, seed: number): Promise<Report> {
  if (!existsSync(path)) throw new DetectorError('EVAL_INPUT', `${path} does not exist (the data sets live in ../shared/datasets)`);
  if (dataset === 'odds') return evalOdds(path, epochs, seed);
  if (dataset === 'j1939') return evalJ1939(path, epochs, seed);
  if (dataset === 'ton-iot') return evalTonIot(path, epochs, seed);
  throw new DetectorError('BAD_OPTION', `--dataset: expected ton-iot, j1939 or odds, got ${dataset}`);
}


async function labelledEvents(format: 'odds' | 'j1939' | 'ton-iot', path: string): Promise<{ events: VigilEvent[]; labels: number[]; attacks: string[] }> {
  const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
  const events: VigilEvent[] = [];
  const labels: number[] = [];
  const attacks: string[] = [];
  for await (const { line, label } of importDataset(format, path)) {
    const r = parseJsonRecord(line, opts);
    if (!r.ok) continue;
    events.push(r.event);
    labels.push(label.label === 'attack' ? 1 : 0);
    attacks.push(label.label === 'attack' ? label.attack : '');
  }
  if (events.length === 0) throw new DetectorError('EVAL_INPUT', `${path}: no events`);
  return { events, labels, attacks };
}

const pick = <T>(a: readonly T[], idx: ArrayLike<number>): T[] => Array.from(idx, (i) => a[i]!);

async function evalOdds(path: string, epochs: number, seed: number): Promise<Report> {
  const { events, labels } = await labelledEvents('odds', path);
  const names = Object.keys(events[0]!.vigil.metrics ?? {});
  const d = names.length;
  const matrix = (idx: ArrayLike<number>) => {
    const rows = new Float32Array(idx.length * d);
    for (let k = 0; k < idx.length; k++) names.forEach((n, j) => (rows[k * d + j] = Number(events[idx[k]!]!.vigil.metrics?.[n] ?? 0)));
    return { rows, n: idx.length, d };
  };
  const p = permutation(events.length, seededRandom(seed));
  const a = Math.floor(events.length * 0.6);
  const b = Math.floor(events.length * 0.8);
  const [tr, va, te] = [p.slice(0, a), p.slice(a, b), p.slice(b)];
  const sel = await selectModel('odds', names, matrix(tr), matrix(va), pick(labels, va), matrix(te), epochs, seed, log);
  return buildReport(
    `ODDS ${path}`,
    `${sel.method}; models fit a random 60 % (labels unread), threshold by F1 on the 20 % validation split, reported on the other 20 % (seed ${seed})`,
    sel.threshold,
    sel.scores,
    Uint8Array.from(pick(labels, te)),
    pick(labels, te).map((l) => (l ? 'outlier' : '')),
  );
}

async function evalJ1939(path: string, epochs: number, seed: number): Promise<Report> {
  const normalLog = join(dirname(resolve(path)), 'normal.log');
  if (!existsSync(normalLog)) throw new DetectorError('EVAL_INPUT', `${normalLog} (the unlabelled normal drive to train on) is missing`);
  const { events, labels, attacks } = await labelledEvents('j1939', path);
  const train: VigilEvent[] = [];
  const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
  for await (const chunk of readRecords(normalLog, { format: 'candump', entity: events[0]!.vigil.entity.id })) {
    for (const rec of chunk.records) {
      if (rec.json === undefined) continue;
      const r = parseJsonRecord(rec.json, opts);
      if (r.ok) train.push(r.event);
    }
  }
  const fx = new FeatureExtractor();
  const tb = fx.batch(train).find((x) => x.family === 'can');
  if (!tb) throw new DetectorError('EVAL_INPUT', `${normalLog}: no CAN frames`);
  const model = await trainFamily('can', FEATURE_NAMES.can, { rows: tb.rows, n: tb.index.length, d: tb.width, keys: tb.keys! }, { epochs, seed, onEpoch: (e, E, l) => log(`train: epoch ${e}/${E} loss ${l.toFixed(5)}`) });
  const eb = new FeatureExtractor().batch(events).find((x) => x.family === 'can')!;
  const all = scoreFamily(model, { rows: eb.rows, n: eb.index.length, d: eb.width, keys: eb.keys! });
  const half = Math.floor(events.length / 2);
  const va = Array.from({ length: half }, (_, i) => i);
  const te = Array.from({ length: events.length - half }, (_, i) => half + i);
  const thr = bestF1Threshold(pick(Array.from(all), va), pick(labels, va)).threshold;
  return buildReport(`J1939 ${path}`, `autoencoder and plausibility envelope trained on the unlabelled normal drive ${normalLog}; threshold by F1 on the first half of the capture (by time), reported on the second half (seed ${seed})`, thr, Float32Array.from(pick(Array.from(all), te)), Uint8Array.from(pick(labels, te)), pick(attacks, te));
}

async function evalTonIot(path: string, epochs: number, seed: number): Promise<Report> {
  const { events, labels, attacks } = await labelledEvents('ton-iot', path);
  // The files are ordered so that a split by time leaves no normal rows to test on; rows
  // are split at random (seeded) instead: features are computed over the whole stream in
  // time order (each device's baseline is causal), the model fits only the training rows.
  const order = Array.from(events.keys()).sort((x, y) => events[x]!.vigil.ts - events[y]!.vigil.ts || x - y);
  const sorted = pick(events, order);
  const lab = pick(labels, order);
  const att = pick(attacks, order);
  const fb = new FeatureExtractor().batch(sorted).find((b) => b.family === 'telemetry');
  if (!fb) throw new DetectorError('EVAL_INPUT', `${path}: no telemetry rows`);
  const p = permutation(fb.index.length, seededRandom(seed));
  const a = Math.floor(p.length * 0.6);
  const b = Math.floor(p.length * 0.8);
  const d = fb.width;
  const sub = (idx: Int32Array) => {
    const rows = new Float32Array(idx.length * d);
    idx.forEach((r, k) => rows.set(fb.rows.subarray(r * d, r * d + d), k * d));
    return { rows, n: idx.length, d };
  };
  const [tr, va, te] = [p.slice(0, a).sort(), p.slice(a, b), p.slice(b)];
  const labOf = (idx: Int32Array) => Array.from(idx, (r) => lab[fb.index[r]!]!);
  const sel = await selectModel('telemetry', FEATURE_NAMES.telemetry, sub(tr), sub(va), labOf(va), sub(te), epochs, seed, log);
  return buildReport(
    `TON_IoT ${path}`,
    `${sel.method}; per-device telemetry features (the importer's seq counter excluded), models fit a random 60 % of rows (labels unread), threshold by F1 on 20 %, reported on the other 20 % (seed ${seed})`,
    sel.threshold,
    sel.scores,
    Uint8Array.from(labOf(te)),
    Array.from(te, (r) => att[fb.index[r]!]!),
  );
}
