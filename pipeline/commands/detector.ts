/**
 * `vigil train` and `vigil eval`: files in, the detector's training and evaluation harness
 * (`detector/eval/`) in between, figures out.
 *
 * Evaluation never trains or tunes on what it reports:
 * - simulator traffic: `vigil train --events seed1` (unlabelled), `--validation-events seed2
 *   --validation-labels …` chooses the threshold, `vigil eval --events seed3 --labels …` reports;
 * - data sets (`--dataset`): split inside the command, stated in the output (eval-datasets.ts).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import {
  buildReport,
  chooseThreshold,
  DetectorError,
  formatReport,
  loadModel,
  readLabels,
  rocSvg,
  saveModel,
  scoreLabelled,
  thresholdFor,
  trainDetectorModel,
  type CityMap,
  type ModelBundle,
  type Report,
  type ScoredEvent,
} from '../../detector/index.js';
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../../events/index.js';
import { readCityFile } from '../city.js';
import { evalDataset } from './eval-datasets.js';
import { applyFeedbackFile } from './feedback.js';
import { DEFAULT_DATA_DIR } from '../config.js';

const BATCH = 4096;
const log = (m: string) => process.stderr.write(`${m}\n`);
const CITY_HELP = 'the city file (GeoJSON; vigil city import, vigil simulate --network); without it training learns the city from the traffic';

export function register(program: Command): void {
  program
    .command('train')
    .description('train the outlier model on unlabelled events and save it to the data directory')
    .requiredOption('--events <FILE>', 'NDJSON events (input formats of DESIGN.md), in time order; labels are never read')
    .option('--data-dir <DIR>', 'data directory (the model goes to the folder DIR/model)', DEFAULT_DATA_DIR)
    .option('--city <CITY.geojson>', CITY_HELP)
    .option('--epochs <N>', 'training epochs', '30')
    .option('--seed <N>', 'random seed (weights, sampling, shuffling)', '1')
    .option('--max-rows <N>', 'rows per family used for fitting', '200000')
    .option('--backend <NAME>', 'auto | node | wasm | cpu', 'auto')
    .option('--validation-events <FILE>', 'labelled validation events: choose the threshold by F1 on them')
    .option('--validation-labels <FILE>', 'labels of the validation events')
    .option('--feedback <FILE>', "the authority's decisions as labels (vigil overrules export): threshold choice only, never evaluation")
    .option('--feedback-events <FILE>', 'the events the feedback labels name (default: --events)')
    .action(async (o: Record<string, string | undefined>) => {
      const city = o.city ? await readCityFile(o.city, log) : undefined;
      const started = performance.now();
      let bundle = await trainDetectorModel(eventBatches(o.events!), {
        epochs: positiveInt(o.epochs, '--epochs'),
        seed: positiveInt(o.seed, '--seed'),
        maxRows: positiveInt(o.maxRows, '--max-rows'),
        backend: o.backend as 'auto',
        ...(city ? { features: { city } } : {}),
        onProgress: (m) => log(`train: ${m}`),
        onEpoch: (f, e, E, loss) => log(`train: ${f} epoch ${e}/${E} loss ${loss.toFixed(5)}`),
      });
      if (o.validationEvents) {
        if (!o.validationLabels) throw new DetectorError('BAD_OPTION', '--validation-events needs --validation-labels');
        const set = await scoreLabelled(bundle, eventBatches(o.validationEvents), await readLabels(lines(o.validationLabels), o.validationLabels), { ...(city ? { city } : {}), logger: { info: log, warn: log } });
        bundle = chooseThreshold(bundle, set.scores, set.labels, o.validationEvents, set.families);
      }
      if (o.feedback) bundle = await applyFeedbackFile(bundle, o.feedback, lines(o.feedback), eventBatches(o.feedbackEvents ?? o.events!), city, log);
      const path = await saveModel(join(o.dataDir!, 'model'), bundle);
      log(`train: saved ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s — model ${bundle.hash}, backend ${bundle.backend}, threshold ${bundle.threshold.toFixed(3)} (${bundle.thresholdSource})`);
    });

  program
    .command('eval')
    .description('score labelled events (or a public data set) and print AUROC, AUPRC, precision/recall/F1 and false-positive rate overall and per attack type')
    .option('--events <FILE>', 'labelled NDJSON events to report on (never the training or validation set)')
    .option('--labels <FILE>', 'their labels ({"id","label","attack"} per line; "attack":"normal" is normal; window labels for silent_device)')
    .option('--data-dir <DIR>', 'data directory holding the trained model', DEFAULT_DATA_DIR)
    .option('--city <CITY.geojson>', 'the city file (GeoJSON); without it the model\'s learnt city, if any')
    .option('--scores-out <FILE>', 'also write one NDJSON line per scored event: {"id","family","score","decision","label","attack"}')
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
        report = await evalDataset(String(o.dataset), o.path, positiveInt(o.epochs as string, '--epochs'), positiveInt(o.seed as string, '--seed'));
      } else {
        if (typeof o.events !== 'string' || typeof o.labels !== 'string') throw new DetectorError('BAD_OPTION', 'give --events and --labels, or --dataset and --path');
        const city = typeof o.city === 'string' ? await readCityFile(o.city, log) : undefined;
        report = await evalFile(o.dataDir as string, o.events, o.labels, city, typeof o.scoresOut === 'string' ? o.scoresOut : undefined);
      }
      if (typeof o.roc === 'string') {
        await writeFile(o.roc, rocSvg(report.curves, report.name));
        log(`eval: ROC written to ${o.roc}`);
      }
      const { curves: _c, ...printable } = report;
      if (o.json) process.stdout.write(`${JSON.stringify(printable)}\n`);
      else process.stdout.write(formatReport(report));
    });
}

async function evalFile(dataDir: string, events: string, labelsPath: string, city: CityMap | undefined, scoresOut: string | undefined): Promise<Report> {
  const bundle: ModelBundle | undefined = await loadModel(join(dataDir, 'model'));
  if (!bundle) throw new DetectorError('MODEL_MISSING', `no model in ${join(dataDir, 'model')}: run vigil train first`);
  const labels = await readLabels(lines(labelsPath), labelsPath);
  const out = scoresOut ? createWriteStream(scoresOut) : undefined;
  const write = out ? (r: ScoredEvent) => void out.write(`${JSON.stringify(r)}\n`) : undefined;
  try {
    const set = await scoreLabelled(bundle, eventBatches(events), labels, {
      ...(city ? { city } : {}),
      logger: { info: log, warn: log },
      ...(write ? { onScore: write } : {}),
      onProgress: (n) => {
        if (n % (BATCH * 50) < BATCH) log(`eval: ${n} events`);
      },
    });
    if (set.matched < labels.byId.size) log(`eval: ${labels.byId.size - set.matched} of ${labels.byId.size} labels match no event in ${events}`);
    const perEvent = Float32Array.from(set.families, (f) => thresholdFor(bundle, f));
    const report = buildReport(`simulator ${events}`, `model ${bundle.hash.slice(0, 12)} on ${bundle.backend}; threshold ${bundle.threshold.toFixed(3)} (${bundle.thresholdSource})`, bundle.threshold, set.scores, set.labels, set.attacks, perEvent, set.families);
    if (bundle.thresholds) report.thresholds = bundle.thresholds;
    if (set.windows) report.windows = set.windows;
    return report;
  } finally {
    if (out) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

// ---------------------------------------------------------------------------------------
// Files.

async function* lines(path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const l of rl) yield l;
}

async function* eventBatches(path: string): AsyncGenerator<VigilEvent[]> {
  const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
  let batch: VigilEvent[] = [];
  let bad = 0;
  for await (const l of lines(path)) {
    if (l.trim() === '') continue;
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

function positiveInt(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new DetectorError('BAD_OPTION', `${name}: expected a positive integer, got ${String(v)}`);
  return n;
}
