/**
 * `npm run bench:baselines [-- --json] [--seed N] [--path shuttle.csv]`: Vigil's ODDS
 * evaluation beside scikit-learn's IsolationForest and PyOD's ECOD on the very same split,
 * so the comparison is measured, not quoted. Vigil's figures come from `vigil eval
 * --dataset odds` in a child process; the split it uses (a seeded permutation: 60 % train,
 * 20 % validation, 20 % test) is written out for bench/odds_baselines.py. Python with the
 * packages of bench/requirements.txt must be installed (`.ci/run` makes a venv in
 * `.venv-bench`; set PYTHON to use another interpreter).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { permutation, seededRandom } from '../detector/index.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    path: { type: 'string', default: resolve(root, '../shared/datasets/odds/shuttle.csv') },
  },
});
const seed = Number(values.seed);
const data = resolve(values.path!);
const labelsPath = data.replace(/\.csv$/, '_labels.csv');
if (!existsSync(data) || !existsSync(labelsPath)) {
  process.stderr.write(`bench:baselines: ${data} or its labels file is missing (the ODDS data lives in ../shared/datasets)\n`);
  process.exit(2);
}
const venvPython = join(root, '.venv-bench', 'bin', 'python');
const python = process.env.PYTHON ?? (existsSync(venvPython) ? venvPython : 'python3');

const n = readFileSync(data, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
const p = Array.from(permutation(n, seededRandom(seed)));
const a = Math.floor(n * 0.6);
const b = Math.floor(n * 0.8);
const tmp = mkdtempSync(join(tmpdir(), 'vigil-baselines-'));
try {
  const split = join(tmp, 'split.json');
  writeFileSync(split, JSON.stringify({ train: p.slice(0, a), validation: p.slice(a, b), test: p.slice(b) }));
  process.stderr.write(`bench:baselines: vigil eval on ${data} (seed ${seed})\n`);
  const vigil = JSON.parse(execFileSync(process.execPath, [join(root, 'bin', 'vigil.js'), 'eval', '--dataset', 'odds', '--path', data, '--seed', String(seed), '--json'], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }).toString()) as {
    method: string;
    overall: Record<string, number>;
  };
  process.stderr.write(`bench:baselines: ${python} bench/odds_baselines.py\n`);
  const py = JSON.parse(execFileSync(python, [join(root, 'bench', 'odds_baselines.py'), '--data', data, '--labels', labelsPath, '--split', split, '--seed', String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] }).toString()) as Record<string, Record<string, number>>;
  const rows: Record<string, Record<string, number>> = { [`Vigil (${vigil.method.split(' chosen')[0]})`]: vigil.overall, ...py };
  if (values.json) process.stdout.write(`${JSON.stringify({ dataset: data, seed, rows })}\n`);
  else {
    process.stdout.write(`ODDS ${data}, seed ${seed}: fit on 60 % (labels unread), threshold by F1 on 20 %, reported on the other 20 %\n`);
    process.stdout.write(`${'model'.padEnd(40)} ${['AUROC', 'AUPRC', 'P', 'R', 'F1'].map((h) => h.padStart(7)).join(' ')}\n`);
    for (const [name, r] of Object.entries(rows)) {
      process.stdout.write(`${name.padEnd(40)} ${['auroc', 'auprc', 'precision', 'recall', 'f1'].map((k) => (r[k] ?? NaN).toFixed(4).padStart(7)).join(' ')}\n`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
