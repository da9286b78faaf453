/**
 * Who may speak for whom: the sensor credentials every network collector checks.
 *
 * A forged BSM raises incidents and moves a vehicle's reputation, and the ledger then
 * proves whatever was forged (issue 16), so a collector that requires credentials accepts
 * an event only from a sender whose key is scoped to the event's entity (or to the roadside
 * unit that relayed it). Keys are kept and checked by `pipeline/` over the store; a
 * collector sees them only through the `SensorAuthenticator` port, and never a secret's
 * hash or the store itself.
 */
import { reject, type VigilEvent } from '../events/index.js';
import type { IngestItem } from './sink.js';

/** A verified sensor credential and what it may speak for. */
export interface SensorPrincipal {
  /** The key's id (what events record as `agent.id`). */
  keyId: string;
  name: string;
  /** Entity ids (vehicle, device, host) the key may report, exact or with `*` wildcards. */
  entities: readonly string[];
  /** Roadside units (`rsu` of a BSM, ECS `observer.name`) whose relayed messages the key may deliver. */
  rsus: readonly string[];
  /** MQTT topic filters the key may subscribe to (`city/v2x/V-0001/#`); none by default. */
  subscribe: readonly string[];
  /** ECS `agent.type` of its events. @default 'sensor-key' */
  agentType?: string;
}

/** The port over the key store: a presented secret to its principal, or undefined. */
export interface SensorAuthenticator {
  authenticate(secret: string): SensorPrincipal | undefined;
  /** Whether the key is still live (revocation ends an MQTT session within a poll). */
  isLive(keyId: string): boolean;
}

/**
 * How a collector admits senders: `open` takes anyone (the demo on loopback; the node says
 * so at start), `keys` takes only senders with a live sensor key. In open mode a sender that
 * does present a key is held to it all the same (a wrong key is refused, its scope applies,
 * and only a key can grant MQTT subscriptions to city traffic).
 */
export type IngestAccess = { mode: 'open'; keys?: SensorAuthenticator } | { mode: 'keys'; keys: SensorAuthenticator };

export const OPEN_ACCESS: IngestAccess = { mode: 'open' };

/** A compiled list of `*` patterns: exact names in a set, the rest as anchored expressions. */
export class PatternSet {
  private readonly exact = new Set<string>();
  private readonly globs: RegExp[] = [];
  private readonly any: boolean;

  constructor(patterns: readonly string[]) {
    let any = false;
    for (const p of patterns) {
      if (p === '*') any = true;
      else if (!p.includes('*')) this.exact.add(p);
      else this.globs.push(new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`));
    }
    this.any = any;
  }

  has(name: string): boolean {
    if (this.any || this.exact.has(name)) return true;
    for (const g of this.globs) if (g.test(name)) return true;
    return false;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** What a principal may speak for, compiled once per credential (per request or connection). */
export class SensorScope {
  readonly agent: NonNullable<VigilEvent['agent']>;
  private readonly entities: PatternSet;
  private readonly rsus: PatternSet;

  constructor(readonly principal: SensorPrincipal) {
    this.entities = new PatternSet(principal.entities);
    this.rsus = new PatternSet(principal.rsus);
    // Frozen: shared by every event of this credential, and its JSON is encoded once (events/canonical.ts).
    this.agent = Object.freeze({ id: principal.keyId, name: principal.name, type: principal.agentType ?? 'sensor-key' });
  }

  /** Whether the key may report this entity itself (the topic-level MQTT check). */
  allowsEntity(entity: string): boolean {
    return this.entities.has(entity);
  }

  /** Whether the key may deliver this event: its entity is in scope, or the roadside unit that relayed it is. */
  allows(event: VigilEvent): boolean {
    if (this.entities.has(event.vigil.entity.id)) return true;
    const observer = event.observer;
    return observer !== undefined && observer.type === 'rsu' && this.rsus.has(observer.name);
  }

  /**
   * An item as this key delivered it: an event in scope records the key as its agent; one
   * outside it becomes an UNAUTHORIZED_ENTITY dead letter (kept as evidence of the attempt).
   */
  admit(item: IngestItem): IngestItem {
    const event = item.event;
    if (!event) return item;
    if (!this.allows(event)) {
      const who = JSON.stringify(event.vigil.entity.id);
      const via = event.observer ? ` via ${JSON.stringify(event.observer.name)}` : '';
      return { raw: item.raw, rejection: reject('UNAUTHORIZED_ENTITY', `sensor key ${this.principal.keyId} may not report ${event.vigil.entity.type} ${who}${via}`, 'entity') };
    }
    event.agent = this.agent;
    return item;
  }
}

/** The secret of `Authorization: Bearer <secret>` (RFC 6750), or undefined. */
export function bearerSecret(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ \t]+(\S{1,256})[ \t]*$/i.exec(header);
  return m ? m[1] : undefined;
}
