/**
 * Vigil's MQTT topics (DESIGN.md): `city/v2x/<vehicle>/bsm` and `city/iot/<device>/<kind>`.
 *
 * The topic is the channel's identity claim: a broker's ACL lets a device publish only
 * under its own id, so a payload naming another entity than its topic is how one device
 * impersonates another (or a vehicle injects a ghost). Such a message is rejected with
 * ID_MISMATCH and kept in the dead letters as evidence; it is never stored as an event.
 */
import { parseJsonRecord, reject, type ResolvedValidationOptions } from '../../events/index.js';
import type { IngestItem } from '../sink.js';

/** The subscriptions that cover Vigil's topics. */
export const VIGIL_TOPICS = ['city/v2x/+/bsm', 'city/iot/+/+'] as const;
/** Kinds an IoT device may publish under `city/iot/<device>/<kind>`. */
const IOT_KINDS = new Set(['telemetry', 'net', 'auth']);

export type TopicClaim = { kind: 'bsm'; entity: string; field: 'vehicle' } | { kind: 'telemetry' | 'net' | 'auth'; entity: string; field: 'device' };

/** What a topic claims, or undefined when it is not one of Vigil's topics. */
export function parseTopic(topic: string): TopicClaim | undefined {
  // Four levels, the first `city` (indexOf rather than split: this runs for every message).
  if (!topic.startsWith('city/')) return undefined;
  const a = 5;
  const b = topic.indexOf('/', a);
  if (b === -1) return undefined;
  const c = topic.indexOf('/', b + 1);
  if (c === -1 || topic.indexOf('/', c + 1) !== -1) return undefined;
  const area = topic.slice(a, b);
  const entity = topic.slice(b + 1, c);
  const kind = topic.slice(c + 1);
  if (entity === '') return undefined;
  if (area === 'v2x' && kind === 'bsm') return { kind: 'bsm', entity, field: 'vehicle' };
  if (area === 'iot' && IOT_KINDS.has(kind)) return { kind: kind as 'telemetry' | 'net' | 'auth', entity, field: 'device' };
  return undefined;
}

/** Whether a topic is in Vigil's namespace (`city/…`) and so must become an event or a dead letter. */
export function isCityTopic(topic: string): boolean {
  return topic === 'city' || topic.startsWith('city/');
}

/** Whether a subscription filter can match a `city/…` topic: its first level is `city`, `+` or `#` (also behind `$share/<group>/`). */
export function mayMatchCityTopics(filter: string): boolean {
  let f = filter;
  if (f.startsWith('$share/')) {
    const slash = f.indexOf('/', '$share/'.length);
    f = slash === -1 ? '' : f.slice(slash + 1);
  }
  const slash = f.indexOf('/');
  const first = slash === -1 ? f : f.slice(0, slash);
  return first === 'city' || first === '+' || first === '#';
}

/**
 * One MQTT message into an ingest item: the payload validated as an input record of
 * DESIGN.md, then checked against what its topic claims.
 */
export function messageToItem(topic: string, payload: Uint8Array, validation: ResolvedValidationOptions): IngestItem {
  const claim = parseTopic(topic);
  if (!claim) {
    const shown = JSON.stringify(topic.length > 80 ? `${topic.slice(0, 80)}…` : topic);
    return { raw: payload, rejection: reject('INVALID_FORMAT', `topic ${shown}: expected city/v2x/<vehicle>/bsm or city/iot/<device>/<telemetry|net|auth>`, 'topic') };
  }
  return claimToItem(claim, topic, payload, validation);
}

/** `messageToItem` for a topic already parsed into what it claims. */
export function claimToItem(claim: TopicClaim, topic: string, payload: Uint8Array, validation: ResolvedValidationOptions): IngestItem {
  const result = parseJsonRecord(payload, validation);
  if (!result.ok) return { raw: payload, rejection: result.rejection };
  const event = result.event;
  if (event.vigil.kind !== claim.kind) {
    return { raw: payload, rejection: reject('ID_MISMATCH', `topic ${JSON.stringify(topic)} carries ${claim.kind}, payload is ${event.vigil.kind}`, 'kind') };
  }
  if (event.vigil.entity.id !== claim.entity) {
    return {
      raw: payload,
      rejection: reject('ID_MISMATCH', `topic names ${claim.field} ${JSON.stringify(claim.entity.slice(0, 128))}, payload names ${JSON.stringify(event.vigil.entity.id)}`, claim.field),
    };
  }
  return { raw: payload, event };
}
