/**
 * What a correlation window decides, and the shapes of its state and its hits (book.ts
 * keeps the windows; window.ts counts in them).
 */
import type { CorrelationRule, RuleMeta } from './compile.js';
import { meets } from './compile.js';
import type { MatchContext } from './match.js';
import type { SlidingWindow } from './window.js';

export interface Seen {
  ts: number;
  id: string;
  entity: MatchContext['event']['vigil']['entity'];
}

export interface GroupState {
  /** event_count, value_*, temporal, temporal_ordered: the sliding window (window.ts). */
  window?: SlidingWindow;
  /** vigil_silence: the group's last matching event. */
  last?: Seen;
  /** vigil_silence: whether the silence was already reported. */
  reported?: boolean;
  /** vigil_silence: mean interval between matches, milliseconds (exponentially weighted). */
  interval?: number;
  /** After firing, matching events until then are evidence of the same finding. */
  activeUntil?: number;
}

export interface RuleHit {
  rule: RuleMeta;
  origin: 'detection' | 'correlation';
  entity: MatchContext['event']['vigil']['entity'];
  /** Epoch milliseconds of the last evidence. */
  ts: number;
  /** Evidence event ids, oldest first (the correlation window, or the one event). */
  evidence: string[];
  /** Index in the batch of the event that triggered it (absent for tick-driven hits). */
  eventIndex?: number;
  /** Correlation details in words ("12 events in 60 s"). */
  detail?: string;
  /** A matching event while a fired correlation is still active: scored, not alerted again. */
  continuing?: boolean;
}

export function groupKey(c: CorrelationRule, ref: string, ctx: MatchContext): string {
  let key = '';
  for (let i = 0; i < c.groupBy.length; i++) {
    const g = c.groupBy[i]!;
    const get = g.byRef.size > 0 ? (g.byRef.get(ref) ?? g.get) : g.get;
    key += (i === 0 ? '' : '\u0000') + String(get(ctx));
  }
  return key;
}

/** Whether a correlation's window meets its condition now, and what it saw, in words. */
export function decide(c: CorrelationRule, w: SlidingWindow, value: string | undefined): { fired: boolean; detail: string } {
  const span = `${c.timespanMs / 1000} s`;
  switch (c.type) {
    case 'event_count':
      return { fired: meets(c.condition, w.size), detail: `${w.size} events in ${span}` };
    case 'value_count':
      return { fired: meets(c.condition, w.distinct), detail: `${w.distinct} distinct values in ${span}` };
    case 'value_sum':
      return { fired: meets(c.condition, w.total), detail: `sum ${w.total} over ${w.size} events in ${span}` };
    case 'value_avg':
      return { fired: meets(c.condition, w.mean), detail: `mean ${w.mean} over ${w.size} events in ${span}` };
    case 'value_percentile': {
      const share = w.share(value ?? '');
      return { fired: meets(c.condition, share), detail: `value ${JSON.stringify(value)} is ${share.toFixed(2)} % of ${w.size} events in ${span}` };
    }
    case 'temporal':
      return { fired: w.allRefsPresent(), detail: `all of ${c.refs.length} rules matched within ${span}` };
    case 'temporal_ordered':
      return { fired: w.orderedComplete(), detail: `${c.refs.length} rules matched in order within ${span}` };
    default:
      return { fired: false, detail: '' };
  }
}

export function meta(r: RuleMeta): RuleMeta {
  const m: RuleMeta = { id: r.id, title: r.title, description: r.description, level: r.level, score: r.score, tags: r.tags, hash: r.hash };
  if (r.name !== undefined) m.name = r.name;
  if (r.category !== undefined) m.category = r.category;
  return m;
}
