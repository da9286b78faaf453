/**
 * Typed fixtures for the store and API tests (and the API bench): valid events made by the
 * real validator, detector-shaped alerts and incidents, and an in-memory audit log.
 */
import { createHash } from 'node:crypto';
import { resolveValidationOptions, validateInput, type VigilEvent } from '../events/index.js';
import type { Alert, Incident, ReputationPoint, Severity } from '../detector/index.js';
import type { AuditLog, EvidenceBundleView } from '../api/index.js';

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const validation = resolveValidationOptions({ now: () => T0 + 365 * 86_400_000 });

export function makeEvent(input: Record<string, unknown>): VigilEvent {
  const r = validateInput(input, validation);
  if (!r.ok) throw new Error(`fixture event rejected: ${r.rejection.message}`);
  return r.event;
}

export function bsm(vehicle: string, ts: number, extra: Record<string, unknown> = {}): VigilEvent {
  return makeEvent({ kind: 'bsm', vehicle, ts, lat: 1.35, lon: 103.8, speed: 13.4, heading: 87.5, rsu: 'RSU-07', ...extra });
}

export function auth(device: string, ts: number, user: string, outcome: 'success' | 'failure'): VigilEvent {
  return makeEvent({ kind: 'auth', device, ts, user, outcome });
}

export function net(device: string, ts: number, src: string, dst: string, dport: number): VigilEvent {
  return makeEvent({ kind: 'net', device, ts, src, dst, dport, proto: 'tcp', bytes: 4200, packets: 12 });
}

const hex = (s: string): string => createHash('sha256').update(s).digest('hex');

export function makeAlert(n: number, over: Partial<Alert> = {}): Alert {
  const severities: Severity[] = ['low', 'medium', 'high', 'critical'];
  const a: Alert = {
    id: hex(`alert-${n}`),
    ts: T0 + n * 1000,
    entity: { id: `V-${String(n % 50).padStart(4, '0')}`, type: 'vehicle' },
    severity: severities[n % 4]!,
    score: (n * 7) % 100,
    title: n % 2 ? 'Position jump beyond physical limits' : 'Replayed basic safety message',
    description: `alert number ${n}`,
    origin: { type: 'rule', id: n % 3 ? 'bsm-position-jump' : 'bsm-replay', title: 'BSM rule', hash: hex('rule') },
    tags: ['attack.t0830'],
    evidence: [],
    category: n % 2 ? 'falsified_position' : 'replay',
    ...over,
  };
  return a;
}

export function makeIncident(n: number, alerts: Alert[], over: Partial<Incident> = {}): Incident {
  const sevRank = { low: 0, medium: 1, high: 2, critical: 3 } as const;
  const first = alerts[0]!;
  return {
    id: `INC-${String(n).padStart(6, '0')}`,
    entity: first.entity,
    title: `${first.title} on ${first.entity.id}`,
    status: 'open',
    severity: alerts.reduce<Severity>((m, a) => (sevRank[a.severity] > sevRank[m] ? a.severity : m), 'low'),
    firstSeen: Math.min(...alerts.map((a) => a.ts)),
    lastSeen: Math.max(...alerts.map((a) => a.ts)),
    alertCount: alerts.length,
    alertIds: alerts.map((a) => a.id),
    categories: [...new Set(alerts.map((a) => a.category).filter((c): c is string => c !== undefined))],
    ...over,
  };
}

export function reputation(entity: string, ts: number, value: number): ReputationPoint {
  return { entity: { id: entity, type: 'vehicle' }, ts, value, flagged: value < 0.3 };
}

/** An audit log kept in memory: appends and proves, without the Merkle tree. */
export class MemoryAuditLog implements AuditLog {
  readonly entries: Array<{ type: 'action'; ts: number; body: Record<string, unknown> }> = [];
  failNext = false;

  async appendAction(entry: { ts: number; body: Record<string, unknown> & { id: string; actor: string; action: string } }) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.entries.push({ type: 'action', ts: entry.ts, body: JSON.parse(JSON.stringify(entry.body)) as Record<string, unknown> });
    return { index: this.entries.length - 1, leafHash: hex(JSON.stringify(entry)) };
  }

  async proveById(id: string): Promise<EvidenceBundleView | undefined> {
    const i = this.entries.findIndex((e) => e.body['id'] === id);
    if (i < 0) return undefined;
    const cp = this.status().latestCheckpoint!;
    return { format: 'vigil-evidence/v1', entry: this.entries[i]!, leafIndex: i, leafHash: hex(JSON.stringify(this.entries[i])), inclusionProof: [], checkpoint: cp, cosignatures: [] };
  }

  status() {
    const cp = { origin: 'vigil/test', size: this.entries.length, root: hex('root'), prev: '0'.repeat(64), ts: T0, keyId: '00000000', signature: 'ab' };
    return { origin: 'vigil/test', size: this.entries.length, publicKeyPem: '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n', latestCheckpoint: cp, latestPublished: cp };
  }

  verify(bundle: unknown) {
    const ok = typeof bundle === 'object' && bundle !== null && (bundle as { format?: unknown }).format === 'vigil-evidence/v1';
    return ok ? { ok, steps: [{ step: 'bundle', outcome: 'passed', detail: 'fake' }] } : { ok, steps: [{ step: 'bundle', outcome: 'failed', detail: 'bad' }], reason: 'bundle: bad', code: 'INVALID_BUNDLE' };
  }
}
