/**
 * `npm run bench -- [--json] [--only NAME[,NAME]]`: runs the benchmark programs and
 * prints their figures (one JSON object with --json). Benchmarks are programs, not timed
 * tests (STYLE.md 11); each module in `suites` returns its own figures.
 */
import { parseArgs } from 'node:util';

export type Figures = Record<string, number | string | boolean>;
export interface BenchContext {
  /** Print a progress line to stderr (stdout carries only the figures). */
  progress(message: string): void;
}
type Suite = (ctx: BenchContext) => Promise<Figures>;

/** Suite names, each a module `bench/<name>.ts` exporting `run`. */
const suites = ['ingest', 'collectors', 'ledger', 'detector', 'api', 'anchor', 'auth', 'api-load', 'kafka-bus', 'pages'];
/**
 * Suites run only when named in --only: ones that repeat others (the auth on/off
 * comparison, the API under ingest load), the Kafka bus (it needs a broker) and the page
 * loads in Chromium (bench/pages.ts).
 */
const onlyWhenNamed = new Set(['auth', 'api-load', 'kafka-bus', 'pages']);
const loadSuite = (name: string): Promise<{ run: Suite }> => import(`./${name}.js`);

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, only: { type: 'string' } },
  allowPositionals: false,
});
const only = values.only ? new Set(values.only.split(',')) : undefined;
const ctx: BenchContext = { progress: (m) => process.stderr.write(`bench: ${m}\n`) };
const figures: Figures = {};
for (const name of suites) {
  if (only ? !only.has(name) : onlyWhenNamed.has(name)) continue;
  let mod: { run: Suite };
  try {
    mod = await loadSuite(name);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(`bench/${name}.`)) continue;
    throw err;
  }
  ctx.progress(`running ${name}`);
  Object.assign(figures, await mod.run(ctx));
}
// The full node's figures lead (issue 20: nobody runs Vigil with its detector off).
const ordered: Figures = {};
for (const [k, v] of Object.entries(figures)) if (k.startsWith('full_node_')) ordered[k] = v;
Object.assign(ordered, figures);
if (values.json) process.stdout.write(`${JSON.stringify(ordered)}\n`);
else for (const [k, v] of Object.entries(ordered)) process.stdout.write(`${k.padEnd(36)} ${v}\n`);
