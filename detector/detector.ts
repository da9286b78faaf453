/**
 * The detector: features → model scores → rules → reputation → alerts → incidents, for a
 * batch of events in time order. One instance holds the state of every entity it has
 * seen; the pipeline keeps one per worker and feeds it each entity's events in order
 * (Kafka keys events by entity for exactly this reason).
 */
import { canonicalJson, sha256Hex, type VigilEvent } from '../events/index.js';
import { DetectorError } from './errors.js';
import { FEATURE_NAMES, FeatureExtractor, MODEL_FEATURES, type CityMap, type Family, type FeatureOptions } from './features/index.js';
import { cityCoverage } from './features/city.js';
import { learntCityFor, OFF_TRAFFIC_M, type LearntCityIndex } from './features/city-learn.js';
import { MemoryIncidentBook, type IncidentBook } from './incidents.js';
import { loadModel, scoreFamily, type ModelBundle } from './model/index.js';
import { ReputationBook, type ReputationOptions } from './reputation/index.js';
import { loadRuleSources, RuleBook, rulesFolder, type MatchContext, type RuleHit } from './rules/index.js';
import { incidentSeverity, resolveSeverityOptions, tallyAlert, type ResolvedSeverityOptions, type SeverityOptions } from './severity.js';
import { SEVERITIES, type Alert, type AlertOrigin, type Incident, type ReputationPoint, type Severity } from './types.js';
import { join } from 'node:path';

export interface DetectorLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface DetectorLimits {
  /** Evidence ids kept per alert; beyond it the alert says how many there were. @default 100 */
  evidenceLimit?: number;
  /** Alert ids kept per incident; beyond it the incident says how many there were. @default 1000 */
  alertLimit?: number;
  /** Alerts on one entity closer than this join one incident, milliseconds. @default 900000 (15 min) */
  incidentWindowMs?: number;
  /** Model alerts per entity are folded for this long, milliseconds. @default 60000 */
  modelSuppressMs?: number;
}

export interface DetectorOptions {
  /** Data directory; the model is loaded from the folder `<dataDir>/model/` (bundle.json and each family's TF.js model.json + weights.bin) when `model` is not given. */
  dataDir?: string;
  /** A trained model, `null` for none (rules and reputation only), or absent to load from `dataDir`. */
  model?: ModelBundle | null;
  /** Rule folders; `starter` is Vigil's starter pack. @default ['starter', '<dataDir>/rules'] */
  rules?: Array<string | 'starter'>;
  /**
   * City geometry for the range, off-road and service-area features. Without it, the city
   * the model learnt from its training traffic (if any) is checked instead. */
  city?: CityMap;
  /** Use the model's learnt city when no `city` is given. @default true */
  learntCity?: boolean;
  features?: Omit<FeatureOptions, 'city'>;
  reputation?: ReputationOptions;
  incidents?: IncidentBook;
  /** How incident severity weighs the evidence and the assets (detector/severity.ts). */
  severity?: SeverityOptions;
  limits?: DetectorLimits;
  /** Epoch milliseconds. @default Date.now */
  clock?: () => number;
  logger?: DetectorLogger;
}

export interface DetectorOutput {
  alerts: Alert[];
  /** Incidents opened or changed by these alerts (their latest state). */
  incidents: Incident[];
  /** Reputation points recorded (value moved by `historyStep`, or the flag changed). */
  reputation: ReputationPoint[];
  /**
   * Per input event, the detector's belief 0–100 that this message is malicious: 100 when
   * a rule matched it, otherwise the model's calibrated score (99–100 outside the learnt
   * plausibility envelope). Reputation is per entity and shows in `reputation` and alerts. NaN for events nothing scores. `vigil eval` ranks these.
   */
  scores: Float32Array;
  /** The batch's detection-rule matches (`eventIndex` names the event): what `vigil eval --explain` and the cross-city bench attribute each flag to. */
  hits: readonly RuleHit[];
  /** Per input event, 1 when the learnt city's off-city check flagged it. */
  offCity: Uint8Array;
}

export interface ModelInfo {
  hash: string;
  backend: string;
  threshold: number;
}

const silentLogger: DetectorLogger = { info: () => {}, warn: () => {} };

export class Detector {
  readonly rules: RuleBook;
  readonly reputation: ReputationBook;
  private readonly features: FeatureExtractor;
  private model: ModelBundle | undefined;
  private readonly log: DetectorLogger;
  private readonly incidents: IncidentBook;
  private readonly severity: ResolvedSeverityOptions;
  private readonly limits: Required<DetectorLimits>;
  private readonly featureIndex: Record<Family, Record<string, number>>;
  private learnt: LearntCityIndex | undefined;
  private readonly useLearnt: boolean;
  private readonly hasMap: boolean;
  readonly clock: () => number;

  private constructor(options: DetectorOptions, rules: RuleBook, model: ModelBundle | undefined) {
    this.rules = rules;
    this.model = model;
    this.reputation = new ReputationBook(options.reputation);
    this.features = new FeatureExtractor({ ...options.features, ...(options.city ? { city: options.city } : {}), ...(model?.features ? { learnt: model.features } : {}) });
    this.incidents = options.incidents ?? new MemoryIncidentBook();
    this.severity = resolveSeverityOptions(options.severity);
    const l = options.limits ?? {};
    this.limits = {
      evidenceLimit: l.evidenceLimit ?? 100,
      alertLimit: l.alertLimit ?? 1000,
      incidentWindowMs: l.incidentWindowMs ?? 900_000,
      modelSuppressMs: l.modelSuppressMs ?? 60_000,
    };
    for (const [k, v] of Object.entries(this.limits)) {
      if (!(Number.isInteger(v) && v >= 0)) throw new DetectorError('BAD_OPTION', `limits.${k}: expected a non-negative integer, got ${String(v)}`);
    }
    this.clock = options.clock ?? Date.now;
    this.log = options.logger ?? silentLogger;
    for (const note of this.features.notes) this.log.info(`detector: ${note}`);
    this.hasMap = options.city !== undefined;
    this.useLearnt = options.learntCity !== false;
    const { can, cannot } = cityCoverage(options.city);
    if (options.city) this.log.info(`detector: city map checks ${can.join(', ') || 'nothing'}${cannot.length > 0 ? `; it cannot check ${cannot.join(', ')}` : ''}`);
    this.learnt = this.learntOf(model);
    this.featureIndex = {} as Record<Family, Record<string, number>>;
    for (const [f, names] of Object.entries(FEATURE_NAMES)) this.featureIndex[f as Family] = Object.fromEntries(names.map((n, i) => [n, i]));
  }

  static async create(options: DetectorOptions = {}): Promise<Detector> {
    const log = options.logger ?? silentLogger;
    let model: ModelBundle | undefined;
    if (options.model === null) model = undefined;
    else if (options.model) model = options.model;
    else if (options.dataDir) model = await loadModel(join(options.dataDir, 'model'));
    if (model) checkFeatures(model);
    if (model) log.info(`detector: model ${model.hash.slice(0, 12)} (families ${Object.keys(model.families).join(', ')}; threshold ${model.threshold.toFixed(2)})`);
    else log.warn('detector: no model loaded; scoring with rules and reputation only (run `vigil train`)');
    const rules = new RuleBook();
    await loadRuleSources(rules, options.rules ?? ['starter', ...(options.dataDir ? [rulesFolder(options.dataDir)] : [])], (msg) => log.warn(msg));
    log.info(`detector: ${rules.size} rules`);
    return new Detector(options, rules, model);
  }

  get modelInfo(): ModelInfo | undefined {
    return this.model ? { hash: this.model.hash, backend: this.model.backend, threshold: this.model.threshold } : undefined;
  }

  /**
   * Replaces the model in a running detector (`null`: rules and reputation only), e.g. once
   * `vigil start --demo` has trained its first one. Feature state, reputation and rule
   * windows carry on; the next `process` scores with the new model, and its alerts name
   * its hash. Call between batches (the detector is single-threaded).
   */
  setModel(bundle: ModelBundle | null): void {
    if (bundle) checkFeatures(bundle);
    this.model = bundle ?? undefined;
    // the new model's learnt feed noise replaces what was learnt online so far
    if (bundle?.features) this.features.setLearnt(bundle.features);
    this.learnt = this.learntOf(this.model);
    if (bundle) this.log.info(`detector: model ${bundle.hash.slice(0, 12)} now scoring (families ${Object.keys(bundle.families).join(', ')}; threshold ${bundle.threshold.toFixed(2)})`);
    else this.log.warn('detector: model removed; scoring with rules and reputation only');
  }

  /** The model's learnt city, when no map was given (the log says which checks run). */
  private learntOf(model: ModelBundle | undefined): LearntCityIndex | undefined {
    return this.hasMap ? undefined : learntCityFor(this.useLearnt ? model?.city : undefined, model?.city !== undefined, this.log);
  }

  private thresholdOf(family: Family): number {
    return this.model?.thresholds?.[family] ?? this.model?.threshold ?? Infinity;
  }

  /** Scores, matches and folds a batch of events (in time order) into alerts, incidents and reputation. */
  process(events: readonly VigilEvent[]): DetectorOutput {
    const n = events.length;
    const modelScores = new Float32Array(n).fill(Number.NaN);
    const scores = new Float32Array(n).fill(Number.NaN);
    const rowOf = new Int32Array(n).fill(-1);
    const familyOfEvent: Array<Family | undefined> = new Array(n).fill(undefined);
    const rowsOfEvent: Array<Float32Array | undefined> = new Array(n).fill(undefined);
    const batches = this.features.batch(events);
    for (const b of batches) {
      for (let r = 0; r < b.index.length; r++) {
        rowOf[b.index[r]!] = r * b.width;
        familyOfEvent[b.index[r]!] = b.family;
        rowsOfEvent[b.index[r]!] = b.rows;
      }
      const fm = this.model?.families[b.family];
      if (!fm) continue;
      // the model reads each row's leading MODEL_FEATURES (the rest are for rules only)
      const m = { rows: b.rows, n: b.index.length, d: MODEL_FEATURES[b.family].length, stride: b.width };
      const s = scoreFamily(fm, b.keys ? { ...m, keys: b.keys } : m);
      for (let r = 0; r < b.index.length; r++) modelScores[b.index[r]!] = s[r]!;
    }

    const thresholds = {} as Record<Family, number>;
    for (const f of Object.keys(FEATURE_NAMES) as Family[]) thresholds[f] = this.thresholdOf(f);
    const hits: RuleHit[] = [];
    const ruleScore = new Float32Array(n);
    const modelHits = new Map<string, { family: Family; idx: number[]; score: number }>();
    const cityHits = new Map<string, number[]>();
    const offCity = new Uint8Array(n);
    const reputation: ReputationPoint[] = [];
    const newlyFlagged: Array<{ idx: number; point: ReputationPoint }> = [];
    // One context for the whole batch, every field always present (undefined when absent):
    // a fixed shape keeps the rule predicates' property reads monomorphic.
    const ctx: MatchContext = { event: events[0]!, features: undefined, offset: undefined, featureIndex: undefined, score: undefined };
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      const fam = familyOfEvent[i];
      ctx.event = e;
      if (fam) {
        ctx.features = rowsOfEvent[i];
        ctx.offset = rowOf[i]!;
        ctx.featureIndex = this.featureIndex[fam];
      } else {
        ctx.features = undefined;
        ctx.offset = undefined;
        ctx.featureIndex = undefined;
      }
      const ms = modelScores[i]!;
      ctx.score = Number.isNaN(ms) ? undefined : ms;
      const before = hits.length;
      this.rules.evaluate(ctx, i, hits);
      let rs = 0;
      for (let h = before; h < hits.length; h++) rs = Math.max(rs, hits[h]!.rule.score);
      if (this.learnt && e.vigil.vehicle && this.learnt.offCity(e.vigil.vehicle.lat, e.vigil.vehicle.lon)) {
        rs = Math.max(rs, 1);
        offCity[i] = 1;
        const key = e.vigil.entity.id;
        const c = cityHits.get(key);
        if (c) c.push(i);
        else cityHits.set(key, [i]);
      }
      ruleScore[i] = rs;
      // model: an outlier above the threshold, unless an exception covers it
      let badness = rs > 0 ? 1 : 0;
      if (fam && !Number.isNaN(ms)) {
        const thr = thresholds[fam];
        if (ms >= thr && !this.rules.excepted(`model:${fam}`, ctx)) {
          badness = Math.max(badness, 0.5 + (0.5 * (ms - thr)) / Math.max(1e-9, 100 - thr));
          const key = `${fam}\u0000${e.vigil.entity.id}`;
          const m = modelHits.get(key);
          if (m) {
            m.idx.push(i);
            m.score = Math.max(m.score, ms);
          } else modelHits.set(key, { family: fam, idx: [i], score: ms });
        }
      }
      if (fam || rs > 0) {
        const entity = e.vigil.entity;
        const point = this.reputation.observe(entity.id, entity.type, e.vigil.ts, badness);
        if (point) {
          reputation.push(point);
          if (point.flagged && this.reputation.flippedByLast) newlyFlagged.push({ idx: i, point });
        }
      }
      // A rule hit is an alert whatever its level: 100; otherwise the model's calibrated
      // score. Reputation judges the entity, not the message: a flagged vehicle's truthful
      // messages are still truthful (a Sybil attacker's own BSMs, a device beside its
      // impersonator), so distrust raises the rogue alert but not each message's score.
      scores[i] = fam || rs > 0 ? (rs > 0 ? 100 : Number.isNaN(ms) ? 0 : ms) : Number.NaN;
    }

    const alerts: Alert[] = [];
    this.alertsFromHits(hits, events, alerts);
    for (const [, m] of modelHits) {
      const last = events[m.idx.at(-1)!]!;
      ctx.event = last;
      const folded = this.rules.admit(`model:${m.family}`, ctx, last.vigil.ts, { timespanMs: this.limits.modelSuppressMs, groupBy: ['vigil.entity.id'] });
      if (folded === undefined) continue;
      const model = this.model!;
      const origin: AlertOrigin = { type: 'model', id: `model:${m.family}`, hash: model.hash };
      const sev: Severity = m.score >= 99.5 ? 'high' : m.score >= 99 ? 'medium' : 'low';
      alerts.push(
        this.makeAlert(origin, last, sev, m.score, `Outlier ${m.family} behaviour`, `${m.idx.length} event(s) scored above the model threshold ${this.thresholdOf(m.family).toFixed(2)} (max ${m.score.toFixed(2)})${foldNote(folded)}`, [], m.idx.map((i) => events[i]!.id)),
      );
    }
    for (const idx of cityHits.values()) this.learntCityAlert(idx, events, ctx, alerts);
    for (const f of newlyFlagged) {
      const e = events[f.idx]!;
      ctx.event = e;
      const folded = this.rules.admit('reputation:rogue', ctx, e.vigil.ts);
      if (folded === undefined) continue;
      const origin: AlertOrigin = { type: 'reputation', id: 'reputation:rogue', hash: sha256Hex(canonicalJson(this.reputation.options)) };
      const kind = e.vigil.entity.type === 'vehicle' ? 'vehicle' : 'device';
      alerts.push(this.makeAlert(origin, e, 'high', Math.round(100 * (1 - f.point.value)), `Rogue ${kind}: reputation ${f.point.value.toFixed(2)}`, `Trust stayed below ${this.reputation.options.flagBelow} for ${this.reputation.options.flagAfterMs / 1000} s`, ['vigil.reputation'], [e.id]));
    }
    return { alerts, incidents: this.join(alerts), reputation, scores, hits, offCity };
  }

  private learntCityAlert(idx: number[], events: readonly VigilEvent[], ctx: MatchContext, alerts: Alert[]): void {
    const last = events[idx.at(-1)!]!;
    ctx.event = last;
    const id = 'city:learnt';
    const folded = this.rules.admit(id, ctx, last.vigil.ts, { timespanMs: this.limits.modelSuppressMs, groupBy: ['vigil.entity.id'] });
    if (folded === undefined) return;
    const origin: AlertOrigin = { type: 'rule', id, title: 'Position off the learnt city', hash: sha256Hex(canonicalJson(this.learnt!.city)) };
    const description = `${idx.length} position(s) outside the service area learnt from training traffic or more than ${OFF_TRAFFIC_M} m from anywhere vehicles drove${foldNote(folded)}`;
    alerts.push(this.makeAlert(origin, last, 'medium', 100, origin.title, description, ['attack.defense_evasion', 'attack.t1036'], idx.map((i) => events[i]!.id), 'position_falsification'));
  }

  /**
   * Forgets per-entity state of entities not seen since `before` (epoch milliseconds of event
   * time): their reputation (flagged ones kept) and their feature state (tracks, windows).
   * Returns how many entities' reputation was forgotten.
   */
  evictIdle(before: number): number {
    this.features.evictIdle(before);
    return this.reputation.evictIdle(before);
  }

  /** Time-driven rules (a device gone silent) at `now` (epoch milliseconds), without new events. */
  tick(now: number = this.clock()): DetectorOutput {
    const hits: RuleHit[] = [];
    this.rules.tick(now, hits);
    const alerts: Alert[] = [];
    this.alertsFromHits(hits, [], alerts);
    return { alerts, incidents: this.join(alerts), reputation: [], scores: new Float32Array(0), hits: [], offCity: new Uint8Array(0) };
  }

  private alertsFromHits(hits: RuleHit[], events: readonly VigilEvent[], alerts: Alert[]): void {
    // One alert per rule and entity per batch: a burst of matching events is one finding.
    const grouped = new Map<string, RuleHit[]>();
    for (const h of hits) {
      if (h.continuing) continue;
      const key = h.origin === 'correlation' ? `${h.rule.id}\u0000${h.entity.id}\u0000${h.ts}\u0000${grouped.size}` : `${h.rule.id}\u0000${h.entity.id}`;
      const g = grouped.get(key);
      if (g) g.push(h);
      else grouped.set(key, [h]);
    }
    const ctxEvent = (h: RuleHit): VigilEvent | undefined => (h.eventIndex !== undefined ? events[h.eventIndex] : undefined);
    for (const group of grouped.values()) {
      const last = group.at(-1)!;
      const r = last.rule;
      const e = ctxEvent(last);
      const ctx: MatchContext = { event: e ?? syntheticEvent(last) };
      const folded = this.rules.admit(r.id, ctx, last.ts);
      if (folded === undefined) continue;
      const evidence = group.flatMap((h) => h.evidence);
      const origin: AlertOrigin = { type: 'rule', id: r.id, title: r.title, hash: r.hash };
      const detail = last.detail ? ` (${last.detail})` : '';
      alerts.push(this.makeAlert(origin, ctx.event, r.level, r.score, r.title, `${r.description}${detail}${foldNote(folded)}`, r.tags, evidence, r.category, last.entity, last.ts));
    }
  }

  private makeAlert(
    origin: AlertOrigin,
    event: VigilEvent,
    severity: Severity,
    score: number,
    title: string,
    description: string,
    tags: string[],
    evidenceAll: string[],
    category?: string,
    entity = event.vigil.entity,
    ts = event.vigil.ts,
  ): Alert {
    const unique = [...new Set(evidenceAll)];
    const limit = this.limits.evidenceLimit;
    // Keep the newest evidence when capping: it is what the analyst acts on; the count says the rest existed.
    const evidence = unique.length > limit ? unique.slice(unique.length - limit) : unique;
    const body: Omit<Alert, 'id'> = { ts, entity: { id: entity.id, type: entity.type }, severity, score: Math.round(score * 100) / 100, title, description, origin, tags, evidence };
    if (unique.length > limit) body.evidenceTruncated = { total: unique.length, kept: limit };
    if (category !== undefined) body.category = category;
    if (event.observer?.type === 'rsu') body.rsu = event.observer.name;
    return { id: sha256Hex(canonicalJson(body)), ...body };
  }

  private join(alerts: Alert[]): Incident[] {
    const changed = new Map<string, Incident>();
    for (const a of alerts) {
      let inc = this.incidents.openIncidentFor(a.entity.id, a.ts, this.limits.incidentWindowMs);
      if (!inc) {
        inc = {
          id: sha256Hex(`incident\u0000${a.entity.id}\u0000${a.ts}\u0000${a.id}`),
          entity: { ...a.entity },
          title: `${a.entity.type === 'vehicle' ? 'Vehicle' : a.entity.type === 'device' ? 'Device' : 'Host'} ${a.entity.id}: ${a.title}`,
          status: 'open',
          severity: 'low',
          firstSeen: a.ts,
          lastSeen: a.ts,
          alertCount: 0,
          alertIds: [],
          categories: [],
        };
      }
      inc.alertCount++;
      inc.lastSeen = Math.max(inc.lastSeen, a.ts);
      inc.firstSeen = Math.min(inc.firstSeen, a.ts);
      this.grade(inc, a);
      if (inc.alertIds.length < this.limits.alertLimit) inc.alertIds.push(a.id);
      else inc.alertsTruncated = { total: inc.alertCount, kept: inc.alertIds.length };
      if (a.category !== undefined && !inc.categories.includes(a.category)) inc.categories.push(a.category);
      if (a.rsu !== undefined) countRsu(inc, a.rsu);
      a.incidentId = inc.id;
      this.incidents.save(inc);
      changed.set(inc.id, inc);
    }
    return [...changed.values()];
  }

  private grade(inc: Incident, a: Alert): void {
    const { reasons: _r, ...prev } = inc.severityBasis ?? { reasons: [] };
    const tally = tallyAlert('level' in prev ? prev : undefined, a);
    const e = inc.entity;
    const heard = this.reputation.heardForMs(e.id);
    const transient = heard < this.reputation.options.flagAfterMs;
    const d = incidentSeverity({ ...tally, entity: e, trust: this.reputation.trust(e.id), flagged: this.reputation.isFlagged(e.id), alerts: inc.alertCount, transient }, this.severity);
    if (SEVERITIES.indexOf(d.severity) >= SEVERITIES.indexOf(inc.severity)) {
      inc.severity = d.severity;
      inc.severityBasis = { ...tally, reasons: d.reasons };
    } else inc.severityBasis = { ...tally, reasons: inc.severityBasis?.reasons ?? d.reasons };
  }
}

/** Roadside units kept per incident: a moving vehicle crosses a few; more is a relay or a flood. */
const RSUS_PER_INCIDENT = 16;

/** One more alerting message heard by `rsu`; the incident's unit is the one that heard most (first heard on a tie). */
function countRsu(inc: Incident, rsu: string): void {
  const list = (inc.rsus ??= []);
  const hit = list.find((r) => r.id === rsu);
  if (hit) hit.alerts++;
  else if (list.length < RSUS_PER_INCIDENT) list.push({ id: rsu, alerts: 1 });
  let best = list[0];
  for (const r of list) if (best && r.alerts > best.alerts) best = r;
  if (best) inc.rsu = best.id;
}

function foldNote(folded: number): string {
  return folded > 0 ? `; ${folded} similar alert(s) folded since the previous one` : '';
}

/** Tick-driven hits have no triggering event; suppression keys read the entity from this stand-in. */
function syntheticEvent(h: RuleHit): VigilEvent {
  return {
    id: h.evidence.at(-1) ?? '',
    '@timestamp': new Date(h.ts).toISOString(),
    event: { kind: 'event', category: [], type: [], action: 'tick', dataset: 'vigil.detector' },
    vigil: { kind: 'log', ts: h.ts, entity: h.entity },
  };
}

/**
 * A model scores feature rows by position: one trained on another version's features would
 * score silently misaligned rows. Refuses it, naming the first difference.
 */
export function checkFeatures(bundle: ModelBundle): void {
  for (const [name, family] of Object.entries(bundle.families)) {
    const expected = MODEL_FEATURES[name as Family];
    if (!expected) throw new DetectorError('MODEL_INVALID', `model ${bundle.hash.slice(0, 12)} has a family ${name} this version does not score; retrain it (vigil train)`);
    const got = family.inputs;
    const at = expected.findIndex((n, i) => got[i] !== n);
    if (at === -1 && got.length === expected.length) continue;
    const where = at === -1 ? `it has ${got.length} inputs, this version computes ${expected.length}` : `input ${at} is ${got[at] ?? 'missing'} where this version computes ${expected[at]}`;
    throw new DetectorError('MODEL_INVALID', `model ${bundle.hash.slice(0, 12)} was trained on other ${name} features than this version computes (${where}); retrain it (vigil train)`);
  }
}
