/**
 * The evaluation harness behind `vigil eval` and the cross-city matrix: labels read
 * defensively, a labelled event stream scored by a fresh detector exactly as a deployment
 * would (time-driven rules ticking on event time), per-event scores and decisions out.
 * Evaluation never trains or tunes on what it reports; the callers keep the sets apart.
 */
import type { VigilEvent } from '../../events/index.js';
import { Detector, type DetectorLogger } from '../detector.js';
import { DetectorError } from '../errors.js';
import { familyOf, type CityMap } from '../features/index.js';
import type { ModelBundle } from '../model/index.js';
import { thresholdFor } from '../train.js';
import { PlausibilityBaseline } from './baseline.js';
import { scoreWindows, type WindowScore } from './windows.js';

/** The name `ScoredSet.rules` gives the learnt city's off-city check (not a YAML rule). */
export const LEARNT_CITY_RULE = 'learnt-city';

/** Event-time interval between ticks of the time-driven rules (the deployment's `detector.tickMs` default), milliseconds. */
export const EVAL_TICK_MS = 5_000;

export interface EventLabel {
  /** 1 attack, 0 normal. */
  label: 0 | 1;
  /** The attack type ('' for normal events). */
  attack: string;
}

export interface WindowLabelRow {
  entity: string;
  start: number;
  end: number;
  attack: string;
}

export interface Labels {
  byId: Map<string, EventLabel>;
  windows: WindowLabelRow[];
}

/**
 * Reads a labels file's lines: `{"id","label":"normal"|"attack","attack"?}` per event, or a
 * window `{"entity","start","end","attack"}`. A label `"attack"` whose `attack` is
 * `"normal"` is normal (some exporters write the class into both fields). A line that is
 * not such a label fails with its line number: a silently skipped label would be a
 * silently wrong figure.
 */
export async function readLabels(lines: AsyncIterable<string> | Iterable<string>, name = 'labels'): Promise<Labels> {
  const byId = new Map<string, EventLabel>();
  const windows: WindowLabelRow[] = [];
  let n = 0;
  for await (const l of lines) {
    n++;
    if (l.trim() === '') continue;
    let x: unknown;
    try {
      x = JSON.parse(l);
    } catch {
      throw new DetectorError('EVAL_INPUT', `${name}:${n}: not JSON`);
    }
    if (typeof x !== 'object' || x === null) throw new DetectorError('EVAL_INPUT', `${name}:${n}: expected a label object`);
    const o = x as Record<string, unknown>;
    const attack = typeof o.attack === 'string' ? o.attack : '';
    if (typeof o.entity === 'string' && typeof o.start === 'number' && typeof o.end === 'number') {
      windows.push({ entity: o.entity, start: o.start, end: o.end, attack: attack || 'window' });
      continue;
    }
    if (typeof o.id !== 'string' || (o.label !== 'normal' && o.label !== 'attack')) {
      throw new DetectorError('EVAL_INPUT', `${name}:${n}: expected {"id": string, "label": "normal" | "attack"}, got ${l.slice(0, 80)}`);
    }
    const isAttack = o.label === 'attack' && attack !== 'normal';
    byId.set(o.id, { label: isAttack ? 1 : 0, attack: isAttack ? attack || 'attack' : '' });
  }
  return { byId, windows };
}

/** One scored event, as `--scores-out` writes it. */
export interface ScoredEvent {
  id: string;
  family: string | null;
  score: number;
  decision: 'alert' | 'pass';
  label: 'normal' | 'attack' | null;
  attack: string | null;
}

export interface ScoreOptions {
  city?: CityMap;
  /** Use the model's learnt city when no `city` is given. @default true */
  learntCity?: boolean;
  logger?: DetectorLogger;
  /** Every scored event (labelled or not), in order. */
  onScore?: (row: ScoredEvent) => void;
  onProgress?: (events: number) => void;
  /** Also score every event with the plausibility baseline (`ScoredSet.baseline`). @default false */
  baseline?: boolean;
  /** Also record which rules matched each labelled event (`ScoredSet.rules`). @default false */
  explain?: boolean;
}

export interface ScoredSet {
  scores: Float32Array;
  labels: Uint8Array;
  attacks: string[];
  families: Array<string | undefined>;
  windows?: Record<string, WindowScore>;
  /** The baseline's score of each labelled event (0 for events it does not judge), with `options.baseline`. */
  baseline?: Float32Array;
  /**
   * With `options.explain`, per labelled event the ids of the detection rules it matched
   * (`LEARNT_CITY_RULE` for the learnt city's off-city check); an event scored ≥ its
   * threshold with none matched was flagged by the model alone.
   */
  rules?: string[][];
  /** With `options.explain`, each labelled event's entity id. */
  entities?: string[];
  /** Events read, and how many of them a label matched. */
  events: number;
  matched: number;
}

/**
 * Scores a labelled stream with a fresh detector (model + starter rules). Throws
 * `EVAL_INPUT` when no label matches any event (the wrong labels file, or events
 * re-encoded so their ids changed) rather than reporting on nothing.
 */
export async function scoreLabelled(bundle: ModelBundle | null, batches: AsyncIterable<readonly VigilEvent[]> | Iterable<readonly VigilEvent[]>, labels: Labels, options: ScoreOptions = {}): Promise<ScoredSet> {
  const detector = await Detector.create({
    model: bundle,
    ...(options.city ? { city: options.city } : {}),
    ...(options.learntCity === false ? { learntCity: false } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const scores: number[] = [];
  const lab: number[] = [];
  const attacks: string[] = [];
  const families: Array<string | undefined> = [];
  const base = options.baseline ? new PlausibilityBaseline() : undefined;
  const baseScores: number[] = [];
  const ruleIds: string[][] | undefined = options.explain ? [] : undefined;
  const none: string[] = [];
  const entities: string[] = [];
  const silence: Array<{ entity: string; ts: number }> = [];
  let count = 0;
  let lastTs = 0;
  // Time-driven rules tick as in a deployment: every tick of event time, not only at the
  // end of a batch — a batch of a small run can span minutes, and a silence checked only
  // after the device spoke again is never seen.
  let nextTick = -Infinity;
  const tick = (now: number) => {
    for (const a of detector.tick(now).alerts) if (a.category === 'silent_device') silence.push({ entity: a.entity.id, ts: a.ts });
  };
  const score = (part: readonly VigilEvent[]) => {
    if (part.length === 0) return;
    const out = detector.process(part);
    const b = base?.score(part);
    let byEvent: Map<number, string[]> | undefined;
    if (ruleIds) {
      byEvent = new Map();
      for (const h of out.hits) {
        if (h.eventIndex === undefined) continue;
        const a = byEvent.get(h.eventIndex);
        if (a) a.push(h.rule.id);
        else byEvent.set(h.eventIndex, [h.rule.id]);
      }
      out.offCity.forEach((x, i) => {
        if (x) byEvent!.set(i, [...(byEvent!.get(i) ?? []), LEARNT_CITY_RULE]);
      });
    }
    for (let i = 0; i < part.length; i++) {
      const e = part[i]!;
      const raw = out.scores[i]!;
      const l = labels.byId.get(e.id);
      const family = familyOf(e);
      if (options.onScore && !Number.isNaN(raw)) {
        const thr = bundle ? thresholdFor(bundle, family) : 100;
        options.onScore({ id: e.id, family: family ?? null, score: Math.round(raw * 1e4) / 1e4, decision: raw >= thr ? 'alert' : 'pass', label: l ? (l.label ? 'attack' : 'normal') : null, attack: l?.label ? l.attack : null });
      }
      if (!l) continue;
      scores.push(Number.isNaN(raw) ? 0 : raw);
      lab.push(l.label);
      attacks.push(l.attack);
      families.push(family);
      if (b) baseScores.push(Number.isNaN(b[i]!) ? 0 : b[i]!);
      if (ruleIds) {
        ruleIds.push(byEvent!.get(i) ?? none);
        entities.push(e.vigil.entity.id);
      }
    }
  };
  for await (const batch of batches) {
    if (batch.length === 0) continue;
    let from = 0;
    for (let i = 0; i < batch.length; i++) {
      const ts = batch[i]!.vigil.ts;
      if (nextTick === -Infinity) nextTick = ts + EVAL_TICK_MS;
      if (ts < nextTick) continue;
      score(batch.slice(from, i));
      from = i;
      while (nextTick <= ts) {
        tick(nextTick);
        nextTick += EVAL_TICK_MS;
      }
    }
    score(from === 0 ? batch : batch.slice(from));
    lastTs = batch.at(-1)!.vigil.ts;
    count += batch.length;
    options.onProgress?.(count);
  }
  tick(lastTs);
  if (scores.length === 0 && labels.windows.length === 0) {
    throw new DetectorError('EVAL_INPUT', `no label matches any of the ${count} events (${labels.byId.size} labels): wrong labels file, or events whose ids changed`);
  }
  const set: ScoredSet = { scores: Float32Array.from(scores), labels: Uint8Array.from(lab), attacks, families, events: count, matched: scores.length };
  if (base) set.baseline = Float32Array.from(baseScores);
  if (ruleIds) {
    set.rules = ruleIds;
    set.entities = entities;
  }
  // A silence window is found when a silence alert for its device falls inside it or within
  // 180 s after it; a window the run's end cut short is censored (windows.ts).
  if (labels.windows.length > 0) set.windows = { silent_device: scoreWindows(labels.windows, silence, lastTs) };
  return set;
}
