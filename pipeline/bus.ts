/**
 * The bus: how stored events reach their consumers (the detector, the ledger), so that
 * consumers can move out of the ingesting process and scale out (DESIGN.md, "Scale beyond
 * one machine"). The in-process adapter is the default; `bus-kafka.ts` carries events
 * through a Kafka topic to a consumer group of detector workers.
 *
 * Both adapters keep Kafka's contract: within a group each event goes to one member, and
 * all events of one entity go to the same member in order — a vehicle's history must be
 * seen whole, in order, by one detector to score replay, teleporting and speed.
 */
import type { StoredEvent } from './ingest.js';

export type BusHandler = (events: readonly StoredEvent[]) => void | Promise<void>;

export interface BusSubscription {
  /** Stop receiving; resolves when the member has left its group. */
  unsubscribe(): Promise<void>;
}

export interface Bus {
  /** Publish stored events; resolves when the bus has them (in memory: when handlers returned; Kafka: acknowledged by all in-sync replicas). */
  publish(events: readonly StoredEvent[]): Promise<void>;
  /** Join consumer group `group` with a handler. A handler that throws or rejects gets the batch again (at-least-once). */
  subscribe(group: string, handler: BusHandler): Promise<BusSubscription>;
  close(): Promise<void>;
}

/** FNV-1a, 32 bits: a stable hash of an entity id to pick a group member. */
export function entityHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The in-process bus: handlers run in the ingest writer's path, so a slow one pushes back on collectors. */
export class MemoryBus implements Bus {
  private readonly groups = new Map<string, BusHandler[]>();
  private closed = false;

  async publish(events: readonly StoredEvent[]): Promise<void> {
    if (this.closed) throw new Error('bus closed');
    if (events.length === 0) return;
    const deliveries: Array<void | Promise<void>> = [];
    for (const members of this.groups.values()) {
      if (members.length === 0) continue;
      if (members.length === 1) {
        deliveries.push(members[0]!(events));
        continue;
      }
      const parts: StoredEvent[][] = members.map(() => []);
      for (const e of events) parts[entityHash(e.event.vigil.entity.id) % members.length]!.push(e);
      parts.forEach((part, i) => {
        if (part.length > 0) deliveries.push(members[i]!(part));
      });
    }
    await Promise.all(deliveries);
  }

  async subscribe(group: string, handler: BusHandler): Promise<BusSubscription> {
    const members = this.groups.get(group) ?? [];
    members.push(handler);
    this.groups.set(group, members);
    return {
      unsubscribe: async () => {
        const list = this.groups.get(group);
        if (!list) return;
        const i = list.indexOf(handler);
        if (i !== -1) list.splice(i, 1);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.groups.clear();
  }
}
