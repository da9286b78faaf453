/**
 * The transport authority decides: it overrules a detector flag with a reason, or flags a
 * vehicle rogue by hand. Each decision is a ledger action first (so a decision that took
 * effect always has its entry), then a row in the decisions table, then takes effect in
 * the detector's reputation. `rogueNow` is what is rogue at this moment; the history stays
 * on the vehicle's page.
 */
import type { ActionRecord, EntitySummary, OverruleReason, OverruleRecord } from '../../store/index.js';
import { requirePermission } from '../auth.js';
import { ApiError } from '../errors.js';
import type { Resolvers } from '../generated/schema-types.js';
import type { AuthorityDesk } from './authority-port.js';
import { text, type ApiContext, type EntityParent, type Kit } from './context.js';

/** Alerts named in a decision (what a clear overrules), at most. */
const ALERTS_PER_DECISION = 200;

export function authorityResolvers(kit: Kit): Resolvers {
  const { store } = kit;

  function desk(): AuthorityDesk {
    if (!kit.authority) throw new ApiError('UNAVAILABLE', 'no authority desk is configured on this node');
    return kit.authority;
  }

  /**
   * The one definition of a rogue vehicle (every page reads it through `rogueNow` and
   * `rogueDefinition`): the authority's hand flag holds until overruled; otherwise trust under
   * the detector's flag bound, with no clear since the detector's latest word, and heard within
   * `rogueSilentAfterMs` — a Sybil ghost that stopped sending minutes ago is the vehicle page's
   * history, not a vehicle on the road to act on.
   */
  function rogueWhy(summary: EntitySummary | undefined, latest: OverruleRecord | undefined, d: AuthorityDesk, now: number): 'BY_HAND' | 'REPUTATION' | null {
    if (latest?.decision === 'rogue') return 'BY_HAND';
    if (!summary || summary.reputation === null || !(summary.reputation < d.rogueBelow)) return null;
    // A clear made after the detector's latest word holds until the detector speaks again.
    if (latest?.decision === 'clear' && (summary.lastSeen ?? 0) <= latest.at) return null;
    if (summary.lastSeen === null || now - summary.lastSeen > d.rogueSilentAfterMs) return null;
    return 'REPUTATION';
  }

  // The vehicles list asks `rogueNow` of thousands of vehicles in one request: one read of the decisions each request, not one per vehicle.
  const latestByRequest = new WeakMap<object, Promise<Map<string, OverruleRecord>>>();
  function latestOf(ctx: ApiContext): Promise<Map<string, OverruleRecord>> {
    let m = latestByRequest.get(ctx);
    if (!m) {
      m = Promise.resolve(desk().latest()).then((list) => new Map(list.map((o) => [o.entity, o])));
      latestByRequest.set(ctx, m);
    }
    return m;
  }

  async function decide(ctx: ApiContext, id: string, decision: 'clear' | 'rogue', reason: OverruleReason | null, comment: string) {
    requirePermission(ctx.principal, 'vehicles');
    const d = desk();
    latestByRequest.delete(ctx);
    return kit.serialised(`vehicle:${id}`, async () => {
      const history = await d.forEntity(id);
      const before = history.at(-1) ?? null;
      const alerts = await store.searchAlerts({ entity: id, entityType: 'vehicle' }, { first: ALERTS_PER_DECISION });
      const after = { decision, reason, comment, alertIds: alerts.edges.map((e) => e.node.id) };
      const rec: ActionRecord = await kit.recordToLedger(ctx, decision === 'clear' ? 'vehicle.overrule' : 'vehicle.rogue', { type: 'vehicle', id }, before, after, comment);
      const o: OverruleRecord = { id: rec.id, entity: id, entityType: 'vehicle', decision, reason, comment, actor: rec.actor, at: rec.ts, ledgerIndex: rec.ledgerIndex ?? null, alertIds: after.alertIds };
      await d.record(o);
      // The vehicle's own flag mirrors the decision, so every reader of `flagged` agrees.
      const summary = await store.setEntityFlag(id, 'vehicle', { flagged: decision === 'rogue', reason: comment, by: rec.actor, at: rec.ts }, rec);
      await d.apply(o);
      return { vehicle: { id, type: 'vehicle', summary: (await store.getEntity(id, 'vehicle')) ?? summary } satisfies EntityParent, decision: o, action: rec };
    });
  }

  return {
    Query: {
      rogueNow: async (_, a) => {
        const d = desk();
        const first = a.first ?? 200;
        if (!Number.isInteger(first) || first < 1 || first > 1000) throw new ApiError('BAD_INPUT', 'first: expected 1 to 1000');
        const latest = new Map((await d.latest()).map((o) => [o.entity, o]));
        const now = kit.now();
        const out: Array<{ vehicle: EntityParent; why: string }> = [];
        const seen = new Set<string>();
        for (const o of latest.values()) {
          if (o.decision !== 'rogue' || out.length >= first) continue;
          seen.add(o.entity);
          out.push({ vehicle: { id: o.entity, type: 'vehicle', summary: await store.getEntity(o.entity, 'vehicle') }, why: 'BY_HAND' });
        }
        let after: string | undefined;
        for (let pages = 0; out.length < first && pages < 20; pages++) {
          const page = await store.searchEntities({ type: 'vehicle', reputationBelow: d.rogueBelow }, { first: 200, ...(after ? { after } : {}) });
          for (const e of page.edges) {
            const s = e.node;
            if (seen.has(s.id) || out.length >= first) continue;
            const why = rogueWhy(s, latest.get(s.id), d, now);
            if (why) out.push({ vehicle: { id: s.id, type: 'vehicle', summary: s }, why });
          }
          const last = page.edges.at(-1);
          if (!page.hasNextPage || !last) break;
          after = last.cursor;
        }
        return out;
      },
      rogueDefinition: () => {
        const d = desk();
        return { reputationBelow: d.rogueBelow, flagAfterMs: d.rogueAfterMs, silentAfterMs: d.rogueSilentAfterMs };
      },
      authorityDecisions: () => desk().all(),
    },
    Mutation: {
      overruleVehicle: (_, a, ctx) => decide(ctx, text('id', a.id), 'clear', a.reason, text('comment', a.comment, 1000)),
      flagVehicleRogue: (_, a, ctx) => decide(ctx, text('id', a.id), 'rogue', null, text('comment', a.comment, 1000)),
    },
    Vehicle: {
      decisions: (p) => (kit.authority ? kit.authority.forEntity(p.id) : []),
      rogueNow: async (p, _a, ctx) => {
        if (!kit.authority) return false;
        return rogueWhy(p.summary, (await latestOf(ctx)).get(p.id), kit.authority, kit.now()) !== null;
      },
    },
    AuthorityDecision: {
      vehicleId: (o) => o.entity,
      by: (o) => o.actor,
      action: async (o) => (await store.actionsFor({ type: 'vehicle', id: o.entity })).find((r) => r.id === o.id) ?? null,
    },
  };
}
