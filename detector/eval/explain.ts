/**
 * Why a scored set's events were flagged: per rule (and the model alone), how many honest
 * events it flagged and which attack types it caught. The false-positive rate of a cell is
 * the sum of causes; this says which check to look at, and what loosening it would cost.
 */
import type { ScoredSet } from './harness.js';

/** What flagged the events a model did not flag alone. */
export const MODEL_ONLY = 'model';

export interface Explanation {
  /** Honest events scored at or above their threshold. */
  honestFlagged: number;
  honest: number;
  /** Per cause (a rule id, or `MODEL_ONLY`), honest events it flagged; one event may count for several rules. */
  honestBy: Record<string, number>;
  /**
   * Of `honestBy`, the honest events of identities that also sent attack messages (an
   * attacker's own truthful messages, or the truth resuming after its lie): judged beside a
   * lie, not in honest traffic alone.
   */
  honestOfAttackersBy: Record<string, number>;
  /**
   * Of those, per cause, the attack type the identity last sent before the honest event
   * ("(before)" when its attack came later): which lie the flagged truth follows.
   */
  honestAfterBy: Record<string, Record<string, number>>;
  /** Per cause, attack events it flagged, per attack type. */
  caughtBy: Record<string, Record<string, number>>;
}

/**
 * Attributes every event at or above its threshold (`thresholds`: one per event, or one for
 * all) to the rules it matched, or to the model when it matched none. Needs a set scored
 * with `explain: true`.
 */
export function explainFlags(set: ScoredSet, thresholds: number | ArrayLike<number>): Explanation {
  if (!set.rules) throw new TypeError('explainFlags: the set was scored without explain: true');
  const out: Explanation = { honestFlagged: 0, honest: 0, honestBy: {}, honestOfAttackersBy: {}, honestAfterBy: {}, caughtBy: {} };
  const attackers = new Set<string>();
  if (set.entities) for (let i = 0; i < set.labels.length; i++) if (set.labels[i] === 1) attackers.add(set.entities[i]!);
  const lastLie = new Map<string, string>();
  for (let i = 0; i < set.scores.length; i++) {
    const honest = set.labels[i] === 0;
    const entity = set.entities?.[i] ?? '';
    if (!honest) lastLie.set(entity, set.attacks[i] || 'attack');
    if (honest) out.honest++;
    const thr = typeof thresholds === 'number' ? thresholds : thresholds[i]!;
    if (!(set.scores[i]! >= thr)) continue;
    const causes = set.rules[i]!.length > 0 ? new Set(set.rules[i]) : [MODEL_ONLY];
    if (honest) out.honestFlagged++;
    for (const c of causes) {
      if (honest) {
        out.honestBy[c] = (out.honestBy[c] ?? 0) + 1;
        if (attackers.has(entity)) {
          out.honestOfAttackersBy[c] = (out.honestOfAttackersBy[c] ?? 0) + 1;
          const after = (out.honestAfterBy[c] ??= {});
          const t = lastLie.get(entity) ?? '(before)';
          after[t] = (after[t] ?? 0) + 1;
        }
      }
      else {
        const t = (out.caughtBy[c] ??= {});
        const a = set.attacks[i] || 'attack';
        t[a] = (t[a] ?? 0) + 1;
      }
    }
  }
  return out;
}
