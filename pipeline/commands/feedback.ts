/**
 * The transport authority's decisions as feedback for the next `vigil train`, and
 * `vigil overrules export`. A decision labels events:
 * - an overrule as a false positive or a known test vehicle: the evidence events of the
 *   alerts it overruled are `normal`;
 * - a hand flag: the vehicle's stored events up to the decision are `attack`
 *   (`attack: "authority_rogue"`);
 * - an overrule as `fixed` labels nothing: the alerts were right when raised.
 * These labels are used only to choose the model's threshold (`vigil train --feedback`),
 * never by `vigil eval`: a threshold fitted to the authority's labels and then scored on
 * them would report its own fit. Labels match events by id, the SHA-256 of the event's
 * content (events/canonical.ts), so the events scored must be the same traffic.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { bestF1Threshold, chooseThreshold, readLabels, scoreLabelled, sealModel, thresholdFor, type CityMap, type ModelBundle } from '../../detector/index.js';
import type { VigilEvent } from '../../events/index.js';
import { SqliteOverrules, SqliteStore, type OverruleRecord, type Store } from '../../store/index.js';
import { DEFAULT_DATA_DIR } from '../config.js';

export interface FeedbackLabel {
  id: string;
  label: 'normal' | 'attack';
  attack?: string;
  /** The ledger action of the decision that gave the label. */
  decision: string;
}

/** Events of one hand-flagged vehicle labelled at most (the most recent before the decision). */
const MAX_EVENTS_PER_FLAG = 10_000;
/** The store's largest page. */
const EVENT_PAGE = 1000;

/** The labels the decisions give, latest decision per event winning. */
export async function feedbackLabels(decisions: readonly OverruleRecord[], store: Pick<Store, 'getAlert' | 'searchEvents'>): Promise<FeedbackLabel[]> {
  const byId = new Map<string, FeedbackLabel>();
  for (const d of decisions) {
    if (d.decision === 'clear') {
      if (d.reason === 'fixed') continue;
      for (const alertId of d.alertIds) {
        const alert = await store.getAlert(alertId);
        for (const id of alert?.evidence ?? []) byId.set(id, { id, label: 'normal', decision: d.id });
      }
    } else {
      let after: string | undefined;
      for (let n = 0; n < MAX_EVENTS_PER_FLAG; ) {
        const page = await store.searchEvents({ entity: d.entity, time: { to: d.at + 1 } }, { first: EVENT_PAGE, ...(after ? { after } : {}) });
        for (const e of page.edges) byId.set(e.node.event.id, { id: e.node.event.id, label: 'attack', attack: 'authority_rogue', decision: d.id });
        n += page.edges.length;
        const last = page.edges.at(-1);
        if (!page.hasNextPage || !last) break;
        after = last.cursor;
      }
    }
  }
  return [...byId.values()];
}

/**
 * Chooses the threshold from feedback scores (`scores[i]` of the event labelled `labels[i]`,
 * 1 attack). With both classes, the F1-maximising threshold per family (as validation
 * labels do, detector/train.ts). With overruled false positives only, each family's
 * threshold is raised just past the highest-scoring one (never lowered, capped at 100):
 * the authority said those were not attacks, and there is nothing to weigh them against.
 */
export function thresholdFromFeedback(bundle: ModelBundle, scores: ArrayLike<number>, labels: ArrayLike<number>, families: ArrayLike<string | undefined>, source: string): ModelBundle {
  let attacks = 0;
  for (let i = 0; i < labels.length; i++) attacks += labels[i]!;
  if (attacks > 0 && Number.isFinite(bestF1Threshold(scores, labels).threshold)) return chooseThreshold(bundle, scores, labels, `authority feedback ${source}`, families);
  const highest = new Map<string, number>();
  for (let i = 0; i < scores.length; i++) {
    const f = families[i];
    const s = scores[i]!;
    if (f === undefined || Number.isNaN(s)) continue;
    highest.set(f, Math.max(highest.get(f) ?? -Infinity, s));
  }
  const thresholds: Record<string, number> = { ...bundle.thresholds };
  const notes: string[] = [];
  for (const [f, s] of [...highest].sort(([a], [b]) => a.localeCompare(b))) {
    const now = thresholdFor(bundle, f);
    if (s < now) continue;
    // The next representable step above the false positive's score.
    thresholds[f] = Math.min(100, s + Math.max(1e-6, Math.abs(s) * 1e-9));
    notes.push(`${f} ${now.toFixed(3)} → ${thresholds[f].toFixed(3)}`);
  }
  if (notes.length === 0) return bundle;
  const { hash: _h, ...rest } = bundle;
  return sealModel({ ...rest, thresholds, thresholdSource: `${bundle.thresholdSource}; raised past the authority's overruled false positives (${source}): ${notes.join(', ')}` });
}

export function register(program: Command): void {
  program
    .command('overrules')
    .description("the transport authority's decisions")
    .command('export')
    .description('write the decisions as labels (NDJSON, vigil train --feedback)')
    .requiredOption('--out <FILE>', 'labels file to write')
    .option('--data-dir <DIR>', 'data directory of the node', DEFAULT_DATA_DIR)
    .action(async (o: { out: string; dataDir: string }) => {
      const store = SqliteStore.open({ dataDir: resolve(o.dataDir) });
      try {
        const labels = await feedbackLabels(new SqliteOverrules(store.db).all(), store);
        await writeFile(o.out, labels.map((l) => `${JSON.stringify(l)}\n`).join(''));
        process.stderr.write(`overrules: ${labels.length} labelled events written to ${o.out}\n`);
      } finally {
        store.close();
      }
    });
}

/** `vigil train --feedback F`: scores `batches` with the new model, labels them from `F`, chooses the threshold. */
export async function applyFeedbackFile(bundle: ModelBundle, labelsPath: string, lines: AsyncIterable<string>, batches: AsyncIterable<readonly VigilEvent[]>, city: CityMap | undefined, log: (m: string) => void): Promise<ModelBundle> {
  const labels = await readLabels(lines, labelsPath);
  const set = await scoreLabelled(bundle, batches, labels, { ...(city ? { city } : {}), logger: { info: log, warn: log } });
  log(`train: feedback ${labelsPath}: ${set.matched} of ${labels.byId.size} labelled events found`);
  if (set.matched === 0) return bundle;
  return thresholdFromFeedback(bundle, set.scores, set.labels, set.families, labelsPath);
}
