/**
 * Sensor keys through the API: `sensorKeys`, `createSensorKey`, `revokeSensorKey` (admin
 * only, like API tokens). Each change is a ledger `action` and is acknowledged only once a
 * durable checkpoint covers it; the key itself never enters the ledger or the store, only
 * its hash (store/sensor-keys.ts).
 *
 * The same `flushSensorKeyActions` appends the actions that `vigil sensor` queued on the
 * node's machine; the node runs it at start and every second (pipeline/node.ts).
 */
import { StoreError, type ActionRecord, type SensorKeyRecord, type SensorKeyScope, type SensorKeyStore, type Store } from '../store/index.js';
import { requirePermission } from './auth.js';
import { ApiError } from './errors.js';
import type { AuditLog } from './ports.js';
import type { ApiContext } from './resolvers.js';

export const sensorTypeDefs = /* GraphQL */ `
  "A sensor's credential for HTTP ingest and the MQTT broker, scoped to what it may report."
  type SensorKey {
    id: ID!
    name: String!
    "Entity ids (exact, or with * wildcards) whose events the key may deliver."
    entities: [String!]!
    "Roadside units whose relayed BSMs the key may deliver."
    rsus: [String!]!
    "MQTT topic filters the key may subscribe to."
    subscribe: [String!]!
    createdAt: Timestamp!
    createdBy: String!
    "When its creation entered the ledger; null while it waits (the key works only after)."
    activeAt: Timestamp
    revokedAt: Timestamp
  }
  input SensorKeyInput { name: String!, entities: [String!], rsus: [String!], subscribe: [String!] }
  type CreatedSensorKeyPayload { "Shown once; only its SHA-256 is kept." key: String!, info: SensorKey!, action: Action! }
  type SensorKeyPayload { info: SensorKey!, action: Action! }
  extend type Query { "Admin only." sensorKeys: [SensorKey!]! }
  extend type Mutation {
    createSensorKey(input: SensorKeyInput!): CreatedSensorKeyPayload!
    revokeSensorKey(id: ID!): SensorKeyPayload!
  }
`;

const NAME = /^[\p{L}\p{N} ._@-]{1,64}$/u;
const ENTITY_PATTERN = /^[A-Za-z0-9*][A-Za-z0-9._:*-]{0,127}$/;
const MAX_PATTERNS = 1_000;

/** A scope from untrusted input, checked: patterns of the entity-id alphabet, well-formed MQTT filters. */
export function sensorKeyScope(input: { entities?: readonly string[] | null; rsus?: readonly string[] | null; subscribe?: readonly string[] | null }): SensorKeyScope {
  const list = (field: string, values: readonly string[] | null | undefined, ok: (v: string) => boolean, expected: string): string[] => {
    const out = [...new Set(values ?? [])];
    if (out.length > MAX_PATTERNS) throw new ApiError('BAD_INPUT', `${field}: at most ${MAX_PATTERNS} patterns, got ${out.length}`);
    for (const v of out) if (!ok(v)) throw new ApiError('BAD_INPUT', `${field}: ${JSON.stringify(v.slice(0, 80))} is not ${expected}`);
    return out;
  };
  const scope = {
    entities: list('entities', input.entities, (v) => ENTITY_PATTERN.test(v), 'an entity id or pattern (letters, digits, . _ : - and *)'),
    rsus: list('rsus', input.rsus, (v) => ENTITY_PATTERN.test(v), 'a roadside unit id or pattern'),
    subscribe: list('subscribe', input.subscribe, isTopicFilter, 'an MQTT topic filter'),
  };
  if (scope.entities.length === 0 && scope.rsus.length === 0 && scope.subscribe.length === 0) {
    throw new ApiError('BAD_INPUT', 'a sensor key needs at least one of entities, rsus or subscribe');
  }
  return scope;
}

/** MQTT 3.1.1 §4.7.1: `+` and `#` fill a whole level, `#` only the last. */
function isTopicFilter(f: string): boolean {
  if (f.length === 0 || f.length > 256 || f.includes('\u0000')) return false;
  const levels = f.split('/');
  return levels.every((l, i) => (l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+'));
}

export function sensorKeyName(value: unknown): string {
  const name = String(value ?? '');
  if (!NAME.test(name)) throw new ApiError('BAD_INPUT', 'name: 1 to 64 letters, digits, spaces or . _ @ -');
  return name;
}

export interface SensorResolverDeps {
  keys: SensorKeyStore;
  audit: AuditLog | undefined;
  /** The node's one flusher: two would ledger an action twice. Undefined without a ledger. */
  flusher: SensorKeyActionFlusher | undefined;
  now: () => number;
}

export interface SensorKeyActionFlusher {
  /** Append every queued action; resolves when they are durable. One run at a time. */
  flush(): Promise<void>;
  /** Flush, then the ledgered record of this action (whichever run took it). */
  ledgered(actionId: string): Promise<ActionRecord | undefined>;
}

/**
 * Append every queued sensor-key action to the ledger, wait until each is durable, then
 * mark it (a created key becomes usable) and mirror it into the actions history.
 */
export function sensorKeyActionFlusher(keys: SensorKeyStore, audit: AuditLog, store: Pick<Store, 'recordAction'>, now: () => number = Date.now): SensorKeyActionFlusher {
  let running: Promise<void> = Promise.resolve();
  /** Recently ledgered actions, for the mutation that queued them (bounded). */
  const recent = new Map<string, ActionRecord>();
  const run = async (): Promise<void> => {
    for (const pending of keys.pendingActions()) {
      const { ledgerIndex: _omit, ...body } = pending.action;
      const receipt = await audit.appendAction({ ts: body.ts, body: body as typeof body & { id: string; actor: string; action: string } });
      keys.markLedgered(pending, receipt.index, now());
      const rec = { ...pending.action, ledgerIndex: receipt.index };
      await store.recordAction(rec);
      recent.set(rec.id, rec);
      if (recent.size > 1_000) recent.delete(recent.keys().next().value!);
    }
  };
  const flush = (): Promise<void> => (running = running.then(run, run));
  return {
    flush,
    async ledgered(actionId) {
      await flush();
      const rec = recent.get(actionId);
      recent.delete(actionId);
      return rec;
    },
  };
}

export function createSensorResolvers(deps: SensorResolverDeps) {
  const { keys, now } = deps;
  const audit = (): AuditLog => {
    // As for every mutation: refusing is safer than a change with no trace.
    if (!deps.audit) throw new ApiError('UNAVAILABLE', 'no ledger is configured on this node, so sensor keys cannot be changed');
    return deps.audit;
  };
  const ledgered = async (actionId: string): Promise<ActionRecord> => {
    const rec = await deps.flusher?.ledgered(actionId);
    if (!rec) throw new ApiError('UNAVAILABLE', 'the change is queued for the ledger; it takes effect once recorded');
    return rec;
  };
  return {
    Query: {
      sensorKeys: (_: unknown, __: unknown, ctx: ApiContext) => {
        requirePermission(ctx.principal, 'tokens');
        return keys.list();
      },
    },
    Mutation: {
      createSensorKey: async (_: unknown, a: { input: { name: string; entities?: string[]; rsus?: string[]; subscribe?: string[] } }, ctx: ApiContext) => {
        requirePermission(ctx.principal, 'tokens');
        audit();
        const { secret, action } = keys.create({ name: sensorKeyName(a.input.name), scope: sensorKeyScope(a.input), actor: ctx.principal.name, role: ctx.principal.role }, now());
        const rec = await ledgered(action.id);
        return { key: secret, info: keys.get(action.target.id), action: rec };
      },
      revokeSensorKey: async (_: unknown, a: { id: string }, ctx: ApiContext) => {
        requirePermission(ctx.principal, 'tokens');
        audit();
        let action: ActionRecord;
        try {
          action = keys.revoke(String(a.id), { actor: ctx.principal.name, role: ctx.principal.role }, now()).action;
        } catch (err) {
          if (err instanceof StoreError && err.code === 'NOT_FOUND') throw new ApiError('NOT_FOUND', err.message);
          throw err;
        }
        const rec = await ledgered(action.id);
        return { info: keys.get(String(a.id)), action: rec };
      },
    },
    SensorKey: {
      activeAt: (k: SensorKeyRecord) => k.activeAt,
      revokedAt: (k: SensorKeyRecord) => k.revokedAt,
    },
  };
}
