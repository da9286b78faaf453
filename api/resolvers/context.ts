/**
 * What every resolver module shares: the dependencies the server hands in, the context
 * of one request, and the few steps each mutation goes through (permission, one change
 * per target at a time, the ledger entry before the store write).
 */
import { randomUUID } from 'node:crypto';
import type { PubSub } from 'graphql-yoga';
import type { EntityType } from '../../events/index.js';
import type { ActionRecord, Alert, EntitySummary, Store, StoredIncident, TokenRepository } from '../../store/index.js';
import type { Principal } from '../auth.js';
import { ApiError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { AuditLog, RuleAdmin } from '../ports.js';
import type { AuthorityDesk } from './authority-port.js';

export interface ApiContext {
  principal: Principal;
  /** Fires when the operation's wall-clock budget runs out (guards.ts). */
  signal?: AbortSignal;
}

/** What subscribers receive. */
export interface PubSubTopics {
  [key: string]: [unknown];
  alert: [Alert];
  incident: [IncidentChange];
}

export interface IncidentChange {
  incident: StoredIncident;
  action: ActionRecord | null;
}

export interface ResolverDeps {
  store: Store;
  tokens: TokenRepository;
  audit: AuditLog | undefined;
  rules: RuleAdmin | undefined;
  /** The authority's decisions (table and reputation); absent: the mutations are UNAVAILABLE. */
  authority?: AuthorityDesk | undefined;
  limits: Limits;
  now: () => number;
  pubsub: PubSub<PubSubTopics>;
}

/** What a `Vehicle` or `Device` field resolves from. */
export interface EntityParent {
  id: string;
  type: EntityType;
  summary: EntitySummary | undefined;
}

/** The shared steps, built once per server. */
export interface Kit extends ResolverDeps {
  /** Mutations of one target run one at a time: read, ledger, write must not interleave. */
  serialised<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** The ledger, or an UNAVAILABLE error. */
  ledger(): AuditLog;
  recordToLedger(ctx: ApiContext, action: string, target: ActionRecord['target'], before: unknown, after: unknown, comment?: string | null): Promise<ActionRecord>;
}

export function createKit(deps: ResolverDeps): Kit {
  const locks = new Map<string, Promise<unknown>>();

  function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return run;
  }

  function ledger(): AuditLog {
    // Refusing is safer than changing state with no trace: the audit trail is the point.
    if (!deps.audit) throw new ApiError('UNAVAILABLE', 'no ledger is configured on this node, so actions cannot be recorded');
    return deps.audit;
  }

  async function recordToLedger(ctx: ApiContext, action: string, target: ActionRecord['target'], before: unknown, after: unknown, comment?: string | null): Promise<ActionRecord> {
    const rec: ActionRecord = { id: randomUUID(), ts: deps.now(), actor: ctx.principal.name, role: ctx.principal.role, action, target, before: before ?? null, after: after ?? null };
    if (comment) rec.comment = comment;
    const { ledgerIndex: _omit, ...body } = rec;
    const receipt = await ledger().appendAction({ ts: rec.ts, body: { ...body, tokenId: ctx.principal.tokenId } });
    rec.ledgerIndex = receipt.index;
    return rec;
  }

  return { ...deps, serialised, ledger, recordToLedger };
}

/** An optional analyst comment, bounded. */
export function comment(value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value);
  if (s.length > 4000) throw new ApiError('BAD_INPUT', `comment: at most 4000 characters, got ${s.length}`);
  return s;
}

/** A required short text, trimmed and bounded. */
export function text(name: string, value: string | null | undefined, max = 200): string {
  const s = String(value ?? '').trim();
  if (s === '' || s.length > max) throw new ApiError('BAD_INPUT', `${name}: expected 1 to ${max} characters`);
  return s;
}
