/**
 * `vigil train` and `vigil eval`.
 *
 * Evaluation never trains or tunes on what it reports:
 * - simulator traffic: `vigil train --events seed1` (unlabelled), `--validation-events seed2
 *   --validation-labels …` chooses the threshold, `vigil eval --events seed3 --labels …` reports;
 * - data sets (`--dataset`): split inside the command, stated in the output — ODDS at random
 *   (seeded) 60 % train / 20 % validation / 20 % test; J1939 TSC1 trains on the unlabelled
 *   normal drive `normal.log` beside it and splits `labeled_TSC1.csv` by time into validation
 *   (first half) and test (second half); TON_IoT per device by time 60/20/20.
 */
import { createReadStream, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { importDataset, readRecords } from '../../collectors/index.js';
import {
  auprc,
  auroc,
  chooseThreshold,
  confusion,
  Detector,
  DetectorError,
  FEATURE_NAMES,
  FeatureExtractor,
  permutation,
  roc,
  rocSvg,
  saveModel,
  loadModel,
  scoreFamily,
  seededRandom,
  trainDetectorModel,
  trainFamily,
  trainForest,
  scoreForest,
  bestF1Threshold,
  familyOf,
  scoreWindows,
  thresholdFor,
  type CityMap,
  type ModelBundle,
  type Curve,
  type Matrix,
  type WindowScore,
} from '../../detector/index.js';
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../../events/index.js';
import { cityFromDescription } from '../demo.js';
import { DEFAULT_DATA_DIR } from '../config.js';

const BATCH = 4096;
/** Event-time interval between ticks of the time-driven rules in `vigil eval` (the deployment's `detector.tickMs` default). */
const TICK_MS = 5_000;
const log = (m: string) => process.stderr.write(`${m}\n`);

export function register(program: Command): void {
  program
    .command('train')
    .description('train the outlier model on unlabelled events and save it to the data directory')
    .requiredOption('--events <FILE>', 'NDJSON events (input formats of DESIGN.md), in time order; labels are never read')
    .option('--data-dir <DIR>', 'data directory (the model goes to DIR/model/model.json)', DEFAULT_DATA_DIR)
    .option('--city <CITY.json>', 'road network and roadside units (vigil simulate --network)')
    .option('--epochs <N>', 'training epochs', '30')
    .option('--seed <N>', 'random seed (weights, sampling, shuffling)', '1')
    .option('--max-rows <N>', 'rows per family used for fitting', '200000')
    .option('--backend <NAME>', 'auto | node | wasm | cpu', 'auto')
    .option('--validation-events <FILE>', 'labelled validation events: choose the threshold by F1 on them')
    .option('--validation-labels <FILE>', 'labels of the validation events')
    .action(async (o: Record<string, string | undefined>) => {
      const city = o.city ? await readCity(o.city) : undefined;
      const started = performance.now();
      const bundle0 = await trainDetectorModel(eventBatches(o.events!), {
        epochs: positiveInt(o.epochs, '--epochs'),
        seed: positiveInt(o.seed, '--seed'),
        maxRows: positiveInt(o.maxRows, '--max-rows'),
        backend: o.backend as 'auto',
        ...(city ? { features: { city } } : {}),
        onProgress: (m) => log(`train: ${m}`),
        onEpoch: (f, e, E, loss) => log(`train: ${f} epoch ${e}/${E} loss ${loss.toFixed(5)}`),
      });
      let bundle = bundle0;
      if (o.validationEvents) {
        if (!o.validationLabels) throw new DetectorError('BAD_OPTION', '--validation-events needs --validation-labels');
        const { scores, labels, families } = await scoreFile(bundle, o.validationEvents, o.validationLabels, city);
        bundle = chooseThreshold(bundle, scores, labels, o.validationEvents, families);
      }
      const path = await saveModel(join(o.dataDir!, 'model'), bundle);
      log(`train: saved ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s — model ${bundle.hash}, backend ${bundle.backend}, threshold ${bundle.threshold.toFixed(3)} (${bundle.thresholdSource})`);
    });

  program
    .command('eval')
    .description('score labelled events (or a public data set) and print AUROC, AUPRC, precision/recall/F1 overall and per attack type')
    .option('--events <FILE>', 'labelled NDJSON events to report on (never the training or validation set)')
    .option('--labels <FILE>', 'their labels ({"id","label","attack"} per line; window labels for silent_device)')
    .option('--data-dir <DIR>', 'data directory holding the trained model', DEFAULT_DATA_DIR)
    .option('--city <CITY.json>', 'road network and roadside units')
    .option('--dataset <NAME>', 'ton-iot | j1939 | odds: train, validate and test on a public data set (split stated in the output)')
    .option('--path <PATH>', 'the data set file (odds: shuttle.csv; j1939: labeled_TSC1.csv; ton-iot: a Train_Test_IoT_*.csv or the folder)')
    .option('--epochs <N>', 'training epochs (dataset modes)', '30')
    .option('--seed <N>', 'seed (dataset modes)', '1')
    .option('--json', 'one JSON object on stdout')
    .option('--roc <OUT.svg>', 'write the ROC curves as SVG')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      let report: Report;
      if (o.dataset) {
        if (typeof o.path !== 'string') throw new DetectorError('BAD_OPTION', '--dataset needs --path');
        if (!existsSync(o.path)) throw new DetectorError('EVAL_INPUT', `${o.path} does not exist (the data sets live in ../shared/datasets)`);
        const epochs = positiveInt(o.epochs as string, '--epochs');
        const seed = positiveInt(o.seed as string, '--seed');
        if (o.dataset === 'odds') report = await evalOdds(o.path, epochs, seed);
        else if (o.dataset === 'j1939') report = await evalJ1939(o.path, epochs, seed);
        else if (o.dataset === 'ton-iot') report = await evalTonIot(o.path, epochs, seed);
        else throw new DetectorError('BAD_OPTION', `--dataset: expected ton-iot, j1939 or odds, got ${String(o.dataset)}`);
      } else {
        if (typeof o.events !== 'string' || typeof o.labels !== 'string') throw new DetectorError('BAD_OPTION', 'give --events and --labels, or --dataset and --path');
        const bundle = await loadModel(join(o.dataDir as string, 'model'));
        if (!bundle) throw new DetectorError('MODEL_MISSING', `no model in ${join(o.dataDir as string, 'model')}: run vigil train first`);
        const city = typeof o.city === 'string' ? await readCity(o.city) : undefined;
        const { scores, labels, attacks, windows, families } = await scoreFile(bundle, o.events, o.labels, city);
        const perEvent = Float32Array.from(families, (f) => thresholdFor(bundle, f));
        report = buildReport(`simulator ${o.events}`, `model ${bundle.hash.slice(0, 12)} on ${bundle.backend}; threshold ${bundle.threshold.toFixed(3)} (${bundle.thresholdSource})`, bundle.threshold, scores, labels, attacks, perEvent, families);
        if (bundle.thresholds) report.thresholds = bundle.thresholds;
        if (windows) report.windows = windows;
      }
      if (typeof o.roc === 'string') {
        await writeFile(o.roc, rocSvg(report.curves, report.name));
        log(`eval: ROC written to ${o.roc}`);
      }
      const { curves: _c, ...printable } = report;
      if (o.json) process.stdout.write(`${JSON.stringify(printable)}\n`);
      else printReport(report);
    });
}

// ---------------------------------------------------------------------------------------

interface Row {
  auroc: number;
  auprc: number;
  precision: number;
  recall: number;
  f1: number;
  attacks: number;
  normals: number;
}
interface Report {
  name: string;
  method: string;
  threshold: number;
  /** Per-family thresholds, when validation chose them (each event is judged by its family's). */
  thresholds?: Record<string, number>;
  overall: Row;
  perAttack: Record<string, Row>;
  windows?: Record<string, WindowScore>;
  curves: Array<{ label: string; curve: Curve; auroc: number }>;
}

function row(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number | ArrayLike<number>): Row {
  const c = confusion(scores, labels, threshold);
  const r = (x: number) => Math.round(x * 10_000) / 10_000;
  return { auroc: r(auroc(scores, labels)), auprc: r(auprc(scores, labels)), precision: r(c.precision), recall: r(c.recall), f1: r(c.f1), attacks: c.tp + c.fn, normals: c.fp + c.tn };
}

/**
 * Per attack type: that type's events against the normal events (other attacks left out) —
 * with `families`, only the normal events of the type's own family (a forged BSM competes
 * with honest BSMs, not with meter readings). `perEvent` gives each event its own
 * threshold (its family's), else `threshold` applies.
 */
function buildReport(name: string, method: string, threshold: number, scores: Float32Array, labels: Uint8Array, attacks: string[], perEvent?: Float32Array, families?: ReadonlyArray<string | undefined>): Report {
  const report: Report = { name, method, threshold, overall: row(scores, labels, perEvent ?? threshold), perAttack: {}, curves: [] };
  report.curves.push({ label: 'all', curve: roc(scores, labels), auroc: report.overall.auroc });
  const types = [...new Set(attacks.filter((a) => a !== ''))].sort();
  for (const t of types) {
    const idx: number[] = [];
    const fam = families?.[attacks.indexOf(t)];
    for (let i = 0; i < labels.length; i++) if ((labels[i] === 0 && (fam === undefined || families?.[i] === fam)) || attacks[i] === t) idx.push(i);
    const s = Float32Array.from(idx, (i) => scores[i]!);
    const l = Uint8Array.from(idx, (i) => labels[i]!);
    report.perAttack[t] = row(s, l, perEvent ? Float32Array.from(idx, (i) => perEvent[i]!) : threshold);
    if (types.length <= 12) report.curves.push({ label: t, curve: roc(s, l), auroc: report.perAttack[t].auroc });
  }
  return report;
}

function printReport(r: Report): void {
  const out: string[] = [`${r.name}`, `  ${r.method}`, ''];
  const head = `${'attack'.padEnd(26)} ${'AUROC'.padStart(7)} ${'AUPRC'.padStart(7)} ${'P'.padStart(7)} ${'R'.padStart(7)} ${'F1'.padStart(7)} ${'attacks'.padStart(9)} ${'normals'.padStart(9)}`;
  const line = (n: string, x: Row) => `${n.padEnd(26)} ${x.auroc.toFixed(4).padStart(7)} ${x.auprc.toFixed(4).padStart(7)} ${x.precision.toFixed(4).padStart(7)} ${x.recall.toFixed(4).padStart(7)} ${x.f1.toFixed(4).padStart(7)} ${String(x.attacks).padStart(9)} ${String(x.normals).padStart(9)}`;
  out.push(head, line('all', r.overall));
  for (const [t, x] of Object.entries(r.perAttack)) out.push(line(t, x));
  if (r.windows) for (const [t, w] of Object.entries(r.windows)) out.push(`${t.padEnd(26)} windows ${w.windows}, detected ${w.detected}, false alerts ${w.falseAlerts}, censored ${w.censored} (${w.censoredDetected} found): P ${w.precision.toFixed(4)} R ${w.recall.toFixed(4)} F1 ${w.f1.toFixed(4)}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------
// The demo's first model and the city conversion live in ../demo.ts.

// ---------------------------------------------------------------------------------------
// Files.

async function* lines(path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const l of rl) if (l.trim() !== '') yield l;
}

async function* eventBatches(path: string): AsyncGenerator<VigilEvent[]> {
  const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
  let batch: VigilEvent[] = [];
  let bad = 0;
  for await (const l of lines(path)) {
    const r = parseJsonRecord(l, opts);
    if (r.ok) batch.push(r.event);
    else if (++bad <= 3) log(`skipping a record of ${path}: ${r.rejection.code} ${r.rejection.message}`);
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
  if (bad > 3) log(`${bad} records of ${path} skipped in all`);
}

async function readCity(path: string): Promise<CityMap> {
  return cityFromDescription(JSON.parse(await readFile(path, 'utf8')) as Parameters<typeof cityFromDescription>[0]);
}

interface WindowLabel {
  entity: string;
  start: number;
  end: number;
  attack: string;
}

/** Scores a labelled events file with a fresh detector (model + starter rules). */
async function scoreFile(bundle: ModelBundle, eventsPath: string, labelsPath: string, city: CityMap | undefined) {
  const byId = new Map<string, { label: number; attack: string }>();
  const windowLabels: WindowLabel[] = [];
  for await (const l of lines(labelsPath)) {
    const x = JSON.parse(l) as { id: string; label: string; attack?: string; entity?: string; start?: number; end?: number };
    if (x.start !== undefined && x.end !== undefined && x.entity !== undefined) windowLabels.push({ entity: x.entity, start: x.start, end: x.end, attack: x.attack ?? 'window' });
    else byId.set(x.id, { label: x.label === 'attack' ? 1 : 0, attack: x.attack ?? '' });
  }
  const detector = await Detector.create({ model: bundle, ...(city ? { city } : {}), logger: { info: log, warn: log } });
  const scores: number[] = [];
  const labels: number[] = [];
  const attacks: string[] = [];
  const families: Array<string | undefined> = [];
  const silence: Array<{ entity: string; ts: number }> = [];
  let count = 0;
  let lastTs = 0;
  // Time-driven rules tick as in a deployment: every TICK_MS of event time (the
  // `detector.tickMs` default), not only at the end of a batch — a batch of a small run can
  // span minutes, and a silence checked only after the device spoke again is never seen.
  let nextTick = -Infinity;
  const tick = (now: number) => {
    for (const a of detector.tick(now).alerts) if (a.category === 'silent_device') silence.push({ entity: a.entity.id, ts: a.ts });
  };
  const score = (part: VigilEvent[]) => {
    if (part.length === 0) return;
    const out = detector.process(part);
    for (let i = 0; i < part.length; i++) {
      const lab = byId.get(part[i]!.id);
      if (!lab) continue;
      const s = out.scores[i]!;
      scores.push(Number.isNaN(s) ? 0 : s);
      labels.push(lab.label);
      attacks.push(lab.attack);
      families.push(familyOf(part[i]!));
    }
  };
  for await (const batch of eventBatches(eventsPath)) {
    let from = 0;
    for (let i = 0; i < batch.length; i++) {
      const ts = batch[i]!.vigil.ts;
      if (nextTick === -Infinity) nextTick = ts + TICK_MS;
      if (ts < nextTick) continue;
      score(batch.slice(from, i));
      from = i;
      while (nextTick <= ts) {
        tick(nextTick);
        nextTick += TICK_MS;
      }
    }
    score(from === 0 ? batch : batch.slice(from));
    lastTs = batch.at(-1)!.vigil.ts;
    count += batch.length;
    if (count % (BATCH * 50) < BATCH) log(`eval: ${count} events`);
  }
  tick(lastTs);
  let windows: Report['windows'];
  // A silence window is found when a silence alert for its device falls inside it or within
  // 180 s after it; a window the run's end cut short is censored (detector/eval/windows.ts).
  if (windowLabels.length > 0) windows = { silent_device: scoreWindows(windowLabels, silence, lastTs) };
  return { scores: Float32Array.from(scores), labels: Uint8Array.from(labels), attacks, windows, families };
}

function positiveInt(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new DetectorError('BAD_OPTION', `${name}: expected a positive integer, got ${String(v)}`);
  return n;
}

// ---------------------------------------------------------------------------------------
// Public data sets.

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
  const sel = await selectModel('odds', names, matrix(tr), matrix(va), pick(labels, va), matrix(te), epochs, seed);
  return buildReport(
    `ODDS ${path}`,
    `${sel.method}; models fit a random 60 % (labels unread), threshold by F1 on the 20 % validation split, reported on the other 20 % (seed ${seed})`,
    sel.threshold,
    sel.scores,
    Uint8Array.from(pick(labels, te)),
    pick(labels, te).map((l) => (l ? 'outlier' : '')),
  );
}

/**
 * Two unsupervised models on the same training rows (labels unread) — the autoencoder and
 * an isolation forest — and their rank average; the one with the best AUROC on the
 * validation split scores the test split, at the F1-maximising validation threshold. Model
 * selection never sees the test rows. On shuttle the forest or the average wins: the forest
 * isolates the rare classes in a few axis-parallel cuts, the autoencoder varies with its seed.
 */
async function selectModel(family: string, names: readonly string[], tr: Matrix, va: Matrix, vaLabels: number[], te: Matrix, epochs: number, seed: number) {
  const model = await trainFamily(family, names, tr, { epochs, seed, envelopeQuantile: 0, onEpoch: (e, E, l) => log(`train: epoch ${e}/${E} loss ${l.toFixed(5)}`) });
  const forest = trainForest(tr.rows, tr.n, tr.d, seededRandom(seed), { trees: 200, sampleSize: 256 });
  const candidates = (m: Matrix): Record<string, Float32Array> => {
    const ae = scoreFamily(model, m);
    const iforest = Float32Array.from(scoreForest(forest, m.rows, m.n));
    return { autoencoder: ae, 'isolation forest': iforest, 'rank average': rankAverage(ae, iforest) };
  };
  const vaScores = candidates(va);
  const vaAuroc = Object.entries(vaScores).map(([k, v]) => [k, auroc(v, vaLabels)] as const);
  const [chosen] = vaAuroc.reduce((a, b) => (b[1] > a[1] ? b : a));
  const threshold = bestF1Threshold(vaScores[chosen]!, vaLabels).threshold;
  const note = vaAuroc.map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
  return { scores: candidates(te)[chosen]!, threshold, method: `${chosen} chosen by validation AUROC (${note})` };
}

/** Mean of each item's rank (0–1) under two scores: combines scales that do not compare. */
function rankAverage(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const ranks = (x: ArrayLike<number>) => {
    const order = Array.from({ length: x.length }, (_, i) => i).sort((i, j) => x[i]! - x[j]!);
    const r = new Float64Array(x.length);
    order.forEach((i, k) => (r[i] = k / Math.max(1, x.length - 1)));
    return r;
  };
  const ra = ranks(a);
  const rb = ranks(b);
  return Float32Array.from(ra, (v, i) => (v + rb[i]!) / 2);
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
  const sel = await selectModel('telemetry', FEATURE_NAMES.telemetry, sub(tr), sub(va), labOf(va), sub(te), epochs, seed);
  return buildReport(
    `TON_IoT ${path}`,
    `${sel.method}; per-device telemetry features (the importer's seq counter excluded), models fit a random 60 % of rows (labels unread), threshold by F1 on 20 %, reported on the other 20 % (seed ${seed})`,
    sel.threshold,
    sel.scores,
    Uint8Array.from(labOf(te)),
    Array.from(te, (r) => att[fb.index[r]!]!),
  );
}
