/**
 * Builds a case bundle (`vigil-case/v1`, anchor/case.ts): an incident with its alerts, the
 * event documents that are their evidence and every triage action, each with its ledger
 * proof, grouped under the checkpoints the proofs lead to (one, usually) with their anchor.
 * Served by the `caseBundle` query and written by `vigil prove --incident`; both read the
 * same ports, so the two give the same package.
 */
import { CASE_FORMAT, type CaseBundle, type CaseCheckpoint, type CasePart, type CasePartRole } from '../anchor/index.js';
import type { LedgerEntry } from '../ledger/index.js';
import type { ActionRecord, Alert, Awaitable, Store, StoredEvent, StoredIncident } from '../store/index.js';
import type { EvidenceBundleView } from './ports.js';

export interface CaseSources {
  incident(id: string): Awaitable<StoredIncident | undefined>;
  /** The incident's alerts (all of them, up to the bundle's limit). */
  alerts(incidentId: string, limit: number): Awaitable<Alert[]>;
  event(id: string): Awaitable<StoredEvent | undefined>;
  actions(incidentId: string): Awaitable<ActionRecord[]>;
  /** The evidence bundle of the ledger entry with this body.id (with its `anchor` when one covers it). */
  prove(id: string): Awaitable<(EvidenceBundleView & { anchor?: unknown }) | undefined>;
}

export interface CaseBundleOptions {
  /** Most parts (alerts + events + actions) in one bundle. @default 20000 */
  maxParts?: number;
  /** Epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** The case bundle of incident `id`, or undefined when there is no such incident. */
export async function buildCaseBundle(id: string, src: CaseSources, options: CaseBundleOptions = {}): Promise<CaseBundle | undefined> {
  const stored = await src.incident(id);
  if (!stored) return undefined;
  const max = options.maxParts ?? 20_000;
  const checkpoints: CaseCheckpoint[] = [];
  const bySize = new Map<number, number>();
  const parts: CasePart[] = [];
  const missing: CaseBundle['missing'] = [];
  const add = async (role: CasePartRole, partId: string, document?: Record<string, unknown>): Promise<void> => {
    if (parts.length >= max) return void missing.push({ role, id: partId, reason: `the bundle holds at most ${max} parts` });
    const b = await src.prove(partId);
    if (!b) return void missing.push({ role, id: partId, reason: 'the ledger holds no checkpointed entry with this id' });
    let at = bySize.get(b.checkpoint.size);
    if (at === undefined) {
      at = checkpoints.length;
      bySize.set(b.checkpoint.size, at);
      checkpoints.push({ checkpoint: b.checkpoint, cosignatures: b.cosignatures, ...(b.anchor !== undefined ? { anchor: b.anchor } : {}) });
    }
    parts.push({ role, id: partId, entry: b.entry as LedgerEntry, leafIndex: b.leafIndex, leafHash: b.leafHash, inclusionProof: b.inclusionProof, checkpoint: at, ...(document ? { document } : {}) });
  };
  const alerts = await src.alerts(id, max);
  const seen = new Set<string>();
  for (const a of alerts) {
    await add('alert', a.id);
    for (const ev of a.evidence) {
      if (seen.has(ev)) continue;
      seen.add(ev);
      const e = await src.event(ev);
      if (!e) missing.push({ role: 'evidence', id: ev, reason: 'the store no longer holds the event (retention)' });
      else await add('evidence', ev, JSON.parse(JSON.stringify(e.event)) as Record<string, unknown>);
    }
  }
  for (const act of await src.actions(id)) await add('action', act.id);
  const inc = stored.incident;
  return {
    format: CASE_FORMAT,
    generatedAt: (options.now ?? Date.now)(),
    incident: { ...(JSON.parse(JSON.stringify(inc)) as Record<string, unknown>), id: inc.id, alertIds: inc.alertIds },
    checkpoints,
    parts,
    missing,
  };
}

/** The sources over a `Store` and a prover (the API's ledger port, or a ledger snapshot in `vigil prove`). */
export function storeCaseSources(store: Pick<Store, 'getIncident' | 'searchAlerts' | 'getEvent' | 'actionsFor'>, prove: CaseSources['prove']): CaseSources {
  return {
    incident: (id) => store.getIncident(id),
    async alerts(incidentId, limit) {
      const out: Alert[] = [];
      let after: string | undefined;
      while (out.length < limit) {
        const page = await store.searchAlerts({ incidentId }, { first: Math.min(500, limit - out.length), ...(after !== undefined ? { after } : {}) });
        out.push(...page.edges.map((e) => e.node));
        if (!page.hasNextPage || page.edges.length === 0) break;
        after = page.edges.at(-1)!.cursor;
      }
      return out;
    },
    event: (id) => store.getEvent(id),
    actions: (incidentId) => store.actionsFor({ type: 'incident', id: incidentId }),
    prove,
  };
}
