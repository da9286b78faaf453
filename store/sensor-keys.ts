/**
 * Sensor keys: the credentials devices, vehicles, roadside units and gateways present to the
 * collectors (HTTP ingest, the MQTT broker), each scoped to the entities it may speak for.
 *
 * Only a key's SHA-256 is kept (as for API tokens, api/auth.ts: the secret has 256 bits of
 * entropy, so a fast hash cannot be searched and lookup by hash compares no secret in JS).
 *
 * Every change is a ledger `action`. A change made through the API is ledgered before it
 * returns; one made with `vigil sensor` on the node's machine is written here with its
 * action in one transaction, and the running node (or the next one to start) appends the
 * pending actions to its ledger. A key works only once its creation is in the ledger, so no
 * event can be accepted under a key the audit trail does not show; a revocation takes effect
 * at once and its entry follows.
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import type { ActionRecord } from './types.js';

export const SENSOR_KEY_PREFIX = 'vgs_';

export interface SensorKeyScope {
  /** Entity ids, exact or with `*` wildcards (`V-00*`, `*`). */
  entities: string[];
  /** Roadside units whose relayed BSMs the key may deliver. */
  rsus: string[];
  /** MQTT topic filters it may subscribe to. */
  subscribe: string[];
}

export interface SensorKeyRecord extends SensorKeyScope {
  id: string;
  name: string;
  createdAt: number;
  createdBy: string;
  /** When its creation entered the ledger; null: not usable yet. */
  activeAt: number | null;
  revokedAt: number | null;
}

/** An action waiting for the ledger. */
export interface PendingSensorAction {
  seq: number;
  action: ActionRecord;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sensor_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scope TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  active_at INTEGER,
  revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS sensor_key_actions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key_id TEXT NOT NULL,
  body TEXT NOT NULL,
  ledger_index INTEGER
);
CREATE INDEX IF NOT EXISTS sensor_key_actions_pending ON sensor_key_actions (seq) WHERE ledger_index IS NULL;
`;

interface Row {
  id: string;
  name: string;
  scope: string;
  created_at: number;
  created_by: string;
  active_at: number | null;
  revoked_at: number | null;
}

export function hashSensorKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class SensorKeyStore {
  private readonly byHash: Database.Statement;
  private readonly live: Database.Statement;

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.byHash = db.prepare('SELECT * FROM sensor_keys WHERE hash = ? AND revoked_at IS NULL AND active_at IS NOT NULL');
    this.live = db.prepare('SELECT 1 FROM sensor_keys WHERE id = ? AND revoked_at IS NULL AND active_at IS NOT NULL').pluck();
  }

  /** Make a key (not usable until its action is ledgered); the secret is returned once. */
  create(input: { name: string; scope: SensorKeyScope; actor: string; role: string }, now: number): { secret: string; record: SensorKeyRecord; action: ActionRecord } {
    const secret = SENSOR_KEY_PREFIX + randomBytes(32).toString('base64url');
    const record: SensorKeyRecord = { id: randomUUID(), name: input.name, ...input.scope, createdAt: now, createdBy: input.actor, activeAt: null, revokedAt: null };
    const action = newAction(input.actor, input.role, 'sensor-key.create', record.id, null, record, now);
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO sensor_keys (id, name, hash, scope, created_at, created_by, active_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)')
        .run(record.id, record.name, hashSensorKey(secret), JSON.stringify(input.scope), now, input.actor);
      this.queue(action);
    }).immediate();
    return { secret, record, action };
  }

  /** Revoke a key at once; its action waits for the ledger. */
  revoke(id: string, input: { actor: string; role: string }, now: number): { record: SensorKeyRecord; action: ActionRecord } {
    return this.db.transaction(() => {
      const before = this.get(id);
      if (!before) throw new StoreError('NOT_FOUND', `no sensor key ${id}`);
      this.db.prepare('UPDATE sensor_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?').run(now, id);
      const record = this.get(id)!;
      const action = newAction(input.actor, input.role, 'sensor-key.revoke', id, before, record, now);
      this.queue(action);
      return { record, action };
    }).immediate();
  }

  private queue(action: ActionRecord): void {
    this.db.prepare('INSERT INTO sensor_key_actions (key_id, body) VALUES (?, ?)').run(action.target.id, JSON.stringify(action));
  }

  /** Actions not yet in the ledger, oldest first. */
  pendingActions(): PendingSensorAction[] {
    const rows = this.db.prepare('SELECT seq, body FROM sensor_key_actions WHERE ledger_index IS NULL ORDER BY seq').all() as Array<{ seq: number; body: string }>;
    return rows.map((r) => ({ seq: r.seq, action: JSON.parse(r.body) as ActionRecord }));
  }

  /** The action is in the ledger at `index`: a created key becomes usable. */
  markLedgered(pending: PendingSensorAction, index: number, now: number): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE sensor_key_actions SET ledger_index = ? WHERE seq = ?').run(index, pending.seq);
      if (pending.action.action === 'sensor-key.create') this.db.prepare('UPDATE sensor_keys SET active_at = coalesce(active_at, ?) WHERE id = ?').run(now, pending.action.target.id);
    }).immediate();
  }

  /** The live, ledgered key whose secret hashes to this. */
  keyByHash(hash: string): SensorKeyRecord | undefined {
    const row = this.byHash.get(hash) as Row | undefined;
    return row && toRecord(row);
  }

  isLive(id: string): boolean {
    return this.live.get(id) !== undefined;
  }

  get(id: string): SensorKeyRecord | undefined {
    const row = this.db.prepare('SELECT * FROM sensor_keys WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  list(): SensorKeyRecord[] {
    return (this.db.prepare('SELECT * FROM sensor_keys ORDER BY created_at, id').all() as Row[]).map(toRecord);
  }
}

function newAction(actor: string, role: string, action: string, id: string, before: unknown, after: unknown, ts: number): ActionRecord {
  return { id: randomUUID(), ts, actor, role, action, target: { type: 'sensor-key', id }, before, after };
}

function toRecord(r: Row): SensorKeyRecord {
  const scope = JSON.parse(r.scope) as SensorKeyScope;
  return {
    id: r.id,
    name: r.name,
    entities: scope.entities,
    rsus: scope.rsus,
    subscribe: scope.subscribe,
    createdAt: r.created_at,
    createdBy: r.created_by,
    activeAt: r.active_at,
    revokedAt: r.revoked_at,
  };
}
