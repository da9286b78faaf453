/**
 * The cross-city matrix (issue #13, TRANSFER-SPEC §4): for each training profile, simulate
 * a training run (seed 1, attackers included, labels never read), train on it, choose the
 * thresholds two ways — (a) by F1 on a labelled validation run of the *training* profile
 * (seed 2), (b) with no labels, so that `budget` of the training traffic's messages would
 * alert — then score every test profile (seed 3) and report per cell the honest-message
 * false-positive rate, overall F1 and each attack type's F1, beside the plausibility
 * baseline's on the same messages. A learnt city belongs to the city it was learnt in: it
 * is checked on the training profile's own cell only.
 *
 *   npm run bench:cross-city -- --train dev-grid,dev-ring --test dev-grid,dev-ring [--vehicles 60 --duration 90 --json]
 *     [--explain]         per cell, honest flags and caught attack types by rule (and the model alone)
 *     [--no-per-attack]   leave out the per-attack F1 tables
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { simulate } from '../collectors/index.js';
import {
  buildReport,
  chooseThreshold,
  explainFlags,
  readLabels,
  STARTER_PACK_DIR,
  type Explanation,
  scoreLabelled,
  sealModel,
  thresholdFor,
  trainDetectorModel,
  type ModelBundle,
  type Report,
  type Row,
  type ScoredSet,
} from '../detector/index.js';
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../events/index.js';

export interface MatrixOptions {
  train: string[];
  test: string[];
  /** Honest vehicles per run. @default 60 */
  vehicles?: number;
  /** IoT devices per run (0: vehicle traffic only). @default 0 */
  devices?: number;
  /** Simulated seconds per run. @default 90 */
  duration?: number;
  /** Attack share of the runs (the training run's attackers are unlabelled contamination). @default 0.05 */
  attackRate?: number;
  /** Training epochs. @default 10 */
  epochs?: number;
  /** Share of the training traffic's messages the label-free threshold lets alert. @default 0.002 (0.2 %) */
  budget?: number;
  /** Added to the seeds 1 (train), 2 (validation), 3 (test): development runs use fresh seeds and leave 1–3 to the report. @default 0 */
  seedBase?: number;
  /** Attribute each cell's flags to the rules (and the model alone) that raised them. @default false */
  explain?: boolean;
  progress?: (message: string) => void;
}

export interface CellFigures {
  fpRate: number;
  f1: number;
  perAttack: Record<string, number>;
}
export interface MatrixCell {
  train: string;
  test: string;
  /** Thresholds by F1 on the training profile's validation run. */
  validated: CellFigures;
  /** Thresholds from the false-positive budget on the unlabelled training traffic. */
  budget: CellFigures;
  baseline: CellFigures;
  messages: number;
  attacks: number;
  /** With `explain`: what flagged the events at thresholds (a) and (b). */
  explain?: { validated: Explanation; budget: Explanation };
}
export interface MatrixResult {
  options: Required<Omit<MatrixOptions, 'progress'>>;
  cells: MatrixCell[];
  seconds: number;
}

const VALIDATION = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });

interface Run {
  batches: () => Generator<VigilEvent[]>;
  labels: string[];
}

/** A simulated run, replayable (the simulator is deterministic per seed and options). */
function run(profile: string, seed: number, o: Required<Omit<MatrixOptions, 'progress'>>, attackRate: number): Run {
  const sim = () => simulate({ profile, seed, vehicles: o.vehicles, devices: o.devices, duration: o.duration, attackRate });
  const labels: string[] = [];
  for (const chunk of sim()) labels.push(...chunk.labels);
  return {
    labels,
    *batches() {
      for (const chunk of sim()) {
        const events: VigilEvent[] = [];
        for (const line of chunk.events) {
          const r = parseJsonRecord(line, VALIDATION);
          if (r.ok) events.push(r.event);
        }
        if (events.length > 0) yield events;
      }
    },
  };
}

/** Per-family thresholds letting `budget` of the training traffic's scored messages alert. */
function budgetThresholds(bundle: ModelBundle, set: ScoredSet, budget: number): ModelBundle {
  const byFamily = new Map<string, number[]>();
  set.families.forEach((f, i) => {
    if (f === undefined) return;
    let a = byFamily.get(f);
    if (!a) byFamily.set(f, (a = []));
    a.push(set.scores[i]!);
  });
  const thresholds: Record<string, number> = {};
  for (const [f, s] of byFamily) {
    s.sort((a, b) => a - b);
    const k = Math.min(s.length - 1, Math.floor((1 - budget) * s.length));
    // Just above the k-th score: ties at the top (rule hits score 100) stay below the budget.
    thresholds[f] = Math.min(100, s[k]! + 1e-6);
  }
  const { hash: _h, thresholds: _t, ...rest } = bundle;
  return sealModel({ ...rest, thresholds, thresholdSource: `label-free: ${(100 * budget).toFixed(2)} % of the training traffic's messages above (${Object.entries(thresholds).map(([f, t]) => `${f} ${t.toFixed(3)}`).join(', ')})` });
}

function figures(r: Report): CellFigures {
  return { fpRate: r.overall.fpRate, f1: r.overall.f1, perAttack: Object.fromEntries(Object.entries(r.perAttack).map(([t, x]: [string, Row]) => [t, x.f1])) };
}

function report(bundle: ModelBundle, set: ScoredSet, scores = set.scores, threshold?: number): Report {
  const perEvent = threshold === undefined ? Float32Array.from(set.families, (f) => thresholdFor(bundle, f)) : undefined;
  return buildReport('cell', '', threshold ?? bundle.threshold, scores, set.labels, set.attacks, perEvent, set.families);
}

export async function runMatrix(options: MatrixOptions): Promise<MatrixResult> {
  const started = performance.now();
  const o = { vehicles: 60, devices: 0, duration: 90, attackRate: 0.05, epochs: 10, budget: 0.002, seedBase: 0, explain: false, ...options };
  const { progress: _p, ...printable } = o;
  const log = options.progress ?? (() => {});
  const quiet = { info: () => {}, warn: () => {} };
  const cells: MatrixCell[] = [];
  for (const p of o.train) {
    log(`${p}: simulating the training run (seed 1) and training`);
    const training = run(p, o.seedBase + 1, o, o.attackRate);
    const bundle = await trainDetectorModel(training.batches(), { epochs: o.epochs, seed: 1, onProgress: (m) => log(`${p}: train: ${m}`) });
    const unlabelled = { byId: new Map((await readLabels(training.labels)).byId.entries()), windows: [] };
    // Label-free: every training message counts as "normal" here, since nothing about it is known.
    for (const v of unlabelled.byId.values()) Object.assign(v, { label: 0, attack: '' });
    const own = await scoreLabelled(bundle, training.batches(), unlabelled, { logger: quiet });
    const budgeted = budgetThresholds(bundle, own, o.budget);
    log(`${p}: validation run (seed 2)`);
    const validation = run(p, o.seedBase + 2, o, o.attackRate);
    const v = await scoreLabelled(bundle, validation.batches(), await readLabels(validation.labels), { logger: quiet });
    const validated = chooseThreshold(bundle, v.scores, v.labels, `${p} seed 2`, v.families);
    for (const q of o.test) {
      log(`${p} → ${q}: scoring the test run (seed 3)`);
      const test = run(q, o.seedBase + 3, o, o.attackRate);
      const set = await scoreLabelled(bundle, test.batches(), await readLabels(test.labels), { logger: quiet, baseline: true, learntCity: p === q, explain: o.explain });
      const perEvent = (b: ModelBundle) => Float32Array.from(set.families, (fam) => thresholdFor(b, fam));
      cells.push({
        ...(o.explain ? { explain: { validated: explainFlags(set, perEvent(validated)), budget: explainFlags(set, perEvent(budgeted)) } } : {}),
        train: p,
        test: q,
        validated: figures(report(validated, set)),
        budget: figures(report(budgeted, set)),
        baseline: figures(report(bundle, set, set.baseline!, 50)),
        messages: set.matched,
        attacks: set.labels.reduce((a, b) => a + b, 0),
      });
    }
  }
  return { options: printable, cells, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const f = (x: number | undefined) => (x === undefined ? '   —' : x.toFixed(3));

/** Rule id → the features its detection reads ("formation_log"), from the starter pack's YAML: short names for the breakdown. */
export function starterRuleNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of readdirSync(STARTER_PACK_DIR).filter((f) => f.endsWith('.yml')).sort()) {
    for (const doc of readFileSync(join(STARTER_PACK_DIR, file), 'utf8').split(/^---$/m)) {
      const id = /^id:\s*(\S+)/m.exec(doc)?.[1];
      const feats = [...new Set([...doc.matchAll(/features\.(\w+)/g)].map((m) => m[1]!))];
      if (id) names.set(id, feats.length > 0 ? feats.join('+') : (/^title:\s*(.+)$/m.exec(doc)?.[1] ?? id));
    }
  }
  return names;
}

/** Each cell's breakdown: per cause, honest events flagged at (a) and (b), and the attack types it caught at (b). */
export function formatExplain(m: MatrixResult, names = starterRuleNames()): string {
  const out: string[] = [];
  for (const c of m.cells) {
    if (!c.explain) continue;
    const { validated: a, budget: b } = c.explain;
    out.push('', `${c.train} → ${c.test}: honest flagged (a) ${a.honestFlagged} (${pct(a.honestFlagged / Math.max(1, a.honest))}), (b) ${b.honestFlagged} of ${b.honest}; by cause: (a) [of attackers' ids]  (b)  caught at (b)`);
    const causes = [...new Set([...Object.keys(a.honestBy), ...Object.keys(b.honestBy), ...Object.keys(b.caughtBy)])];
    causes.sort((x, y) => (b.honestBy[y] ?? 0) + (a.honestBy[y] ?? 0) - (b.honestBy[x] ?? 0) - (a.honestBy[x] ?? 0));
    for (const k of causes) {
      const caught = Object.entries(b.caughtBy[k] ?? {}).sort((x, y) => y[1] - x[1]).map(([t, n]) => `${t} ${n}`).join(', ');
      const ofAttackers = `[${a.honestOfAttackersBy[k] ?? 0}]`;
      out.push(`  ${(names.get(k) ?? k).slice(0, 40).padEnd(40)} ${String(a.honestBy[k] ?? 0).padStart(5)} ${ofAttackers.padStart(6)} ${String(b.honestBy[k] ?? 0).padStart(5)}  ${caught}`);
      const after = Object.entries(a.honestAfterBy[k] ?? {}).sort((x, y) => y[1] - x[1]);
      if (after.length > 0) out.push(`  ${''.padEnd(40)} (a) attackers' honest flags after: ${after.map(([t, n]) => `${t} ${n}`).join(', ')}`);
    }
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** The matrix as text: one row per cell, then each cell's per-attack F1 (detector a / b, baseline). */
export function formatMatrix(m: MatrixResult, perAttack = true): string {
  const o = m.options;
  const out = [
    `cross-city matrix: ${o.vehicles} vehicles, ${o.devices} devices, ${o.duration} s per run, attack rate ${o.attackRate}, ${o.epochs} epochs, FP budget ${pct(o.budget)}; ${m.seconds} s`,
    `(a) thresholds by F1 on the training profile's seed 2; (b) label-free from the FP budget on the training traffic; baseline: physical plausibility checks`,
    '',
    `${'train → test'.padEnd(30)} ${'msgs'.padStart(7)} ${'att'.padStart(6)} | ${'(a) FP'.padStart(7)} ${'F1'.padStart(6)} | ${'(b) FP'.padStart(7)} ${'F1'.padStart(6)} | ${'base FP'.padStart(7)} ${'F1'.padStart(6)}`,
  ];
  for (const c of m.cells) {
    out.push(`${`${c.train} → ${c.test}`.padEnd(30)} ${String(c.messages).padStart(7)} ${String(c.attacks).padStart(6)} | ${pct(c.validated.fpRate).padStart(7)} ${f(c.validated.f1).padStart(6)} | ${pct(c.budget.fpRate).padStart(7)} ${f(c.budget.f1).padStart(6)} | ${pct(c.baseline.fpRate).padStart(7)} ${f(c.baseline.f1).padStart(6)}`);
  }
  for (const c of perAttack ? m.cells : []) {
    out.push('', `${c.train} → ${c.test}: per-attack F1   (a)    (b)   base`);
    for (const t of Object.keys(c.baseline.perAttack).sort()) out.push(`  ${t.padEnd(28)} ${f(c.validated.perAttack[t])} ${f(c.budget.perAttack[t])} ${f(c.baseline.perAttack[t])}`);
  }
  return `${out.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      train: { type: 'string', default: 'dev-grid,dev-ring,dev-irregular,dev-noisy' },
      test: { type: 'string' },
      vehicles: { type: 'string', default: '60' },
      devices: { type: 'string', default: '0' },
      duration: { type: 'string', default: '90' },
      'attack-rate': { type: 'string', default: '0.05' },
      epochs: { type: 'string', default: '10' },
      budget: { type: 'string', default: '0.002' },
      'seed-base': { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
      explain: { type: 'boolean', default: false },
      'no-per-attack': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const num = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name}: expected a number from ${min} to ${max}, got ${v}`);
    return n;
  };
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const result = await runMatrix({
    train: list(values.train),
    test: list(values.test ?? values.train),
    vehicles: num('vehicles', values.vehicles, 1, 5_000),
    devices: num('devices', values.devices, 0, 10_000),
    duration: num('duration', values.duration, 1, 86_400),
    attackRate: num('attack-rate', values['attack-rate'], 0.001, 0.5),
    epochs: num('epochs', values.epochs, 1, 1_000),
    budget: num('budget', values.budget, 1e-6, 0.5),
    seedBase: num('seed-base', values['seed-base'], 0, 1_000_000),
    explain: values.explain,
    ...(values.quiet ? {} : { progress: (m: string) => process.stderr.write(`cross-city: ${m}\n`) }),
  });
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatMatrix(result, !values['no-per-attack']) + formatExplain(result));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    process.stderr.write(`cross-city: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
