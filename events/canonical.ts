/**
 * RFC 8785 (JSON Canonicalization Scheme) encoding, the bytes Vigil hashes: an event's id,
 * and the ledger leaf that quotes it, depend only on the event's content, never on key
 * order or number spelling.
 */
import { hash } from 'node:crypto';
import { canonicalize, JcsError, type JcsErrorCode } from '@vigil/jcs';
import { EventError, type RejectionCode } from './errors.js';
import type { VigilEvent } from './model.js';

/**
 * The RFC 8785 canonical JSON text of `value`, by `@vigil/jcs` (the one encoder the ledger
 * uses too). What JSON cannot carry (NaN, Infinity, lone surrogates, nesting over 64
 * levels, class instances, bigints) throws an EventError.
 */
export function canonicalJson(value: unknown): string {
  try {
    return canonicalize(value);
  } catch (err) {
    if (!(err instanceof JcsError)) throw err;
    throw new EventError(JCS_CODES[err.code], `cannot canonicalise: ${err.message}`, { cause: err });
  }
}

const JCS_CODES: Record<JcsErrorCode, RejectionCode> = {
  NOT_FINITE: 'NON_FINITE_NUMBER',
  LONE_SURROGATE: 'INVALID_UTF8',
  TOO_DEEP: 'OUT_OF_RANGE',
  NOT_JSON: 'WRONG_TYPE',
};

export function sha256Hex(text: string): string {
  // The one-shot form: no Hash object per event.
  return hash('sha256', text, 'hex');
}

/**
 * The canonical text each event was hashed from when it was made (validation), so that the
 * store can keep it as the event's document instead of encoding the event a second time.
 * Kept on the event object itself, under a symbol no one else holds: an event is a value
 * (its id is the hash of its content) and nothing changes one after it was made; a copy
 * (a spread, a structured clone, a parsed document) does not carry it and is encoded anew.
 */
const MADE_FROM = Symbol('canonical text');

/** Make an event from its content and the canonical text of that content (the id is its hash). */
export function sealEvent(content: Omit<VigilEvent, 'id'>, canonical: string): VigilEvent {
  return remember({ id: sha256Hex(canonical), ...content } as VigilEvent, canonical);
}

/** Note that `event` (whose id is the hash of `canonical`) was made from `canonical`. */
export function remember(event: VigilEvent, canonical: string): VigilEvent {
  // Not enumerable: invisible to JSON, spreads, structured clones and deep equality.
  Object.defineProperty(event, MADE_FROM, { value: canonical });
  return event;
}

/**
 * The event as JSON text, for storage: the canonical text it was made from with its id in
 * front (no second encoding), or `JSON.stringify` for an event that came from elsewhere (a
 * stored document, a test). Either parses back to the same event.
 */
export function eventJson(event: VigilEvent): string {
  const canonical = (event as { [MADE_FROM]?: string })[MADE_FROM];
  if (canonical === undefined || canonical.length <= 2) return JSON.stringify(event);
  // `agent` and `event.original` are set after the event was made and are not in the canonical text (see model.ts).
  const agent = event.agent === undefined ? '' : agentJson(event.agent);
  const text = `{"id":"${event.id}",${agent}${canonical.slice(1)}`;
  const original = event.event.original;
  if (original === undefined) return text;
  // The first `"event":{` is the top-level key's: a string value cannot hold an unescaped quote,
  // and the keys before it in canonical order (`@timestamp`, `destination`, `device`) hold no "event".
  const at = text.indexOf('"event":{');
  if (at === -1) return JSON.stringify(event);
  const open = at + '"event":{'.length;
  return `${text.slice(0, open)}"original":${JSON.stringify(original)},${text.slice(open)}`;
}

/**
 * A collector gives every event of one credential the same frozen `agent` object
 * (collectors/auth.ts SensorScope, one per TLS connection in the syslog collector): its text
 * is made once per object, not once per event. Only a frozen object is remembered, so an
 * agent that could still change is encoded anew every time.
 */
const AGENT_TEXT = new WeakMap<object, string>();
function agentJson(agent: NonNullable<VigilEvent['agent']>): string {
  const known = AGENT_TEXT.get(agent);
  if (known !== undefined) return known;
  const text = `"agent":${JSON.stringify(agent)},`;
  if (Object.isFrozen(agent)) AGENT_TEXT.set(agent, text);
  return text;
}

/**
 * The stable id of an event: SHA-256 of the canonical encoding of everything but `id`,
 * `agent` (who delivered it is not what the sender said; model.ts) and `event.original`
 * (the same message kept raw or not is one event; events/original.ts).
 */
export function eventId(event: Omit<VigilEvent, 'id'> | VigilEvent): string {
  const { id: _id, agent: _agent, ...content } = event as VigilEvent;
  if (content.event?.original !== undefined) {
    const { original: _original, ...rest } = content.event;
    return sha256Hex(canonicalJson({ ...content, event: rest }));
  }
  return sha256Hex(canonicalJson(content));
}

/** True when `event.id` is the hash of its content: the event was not altered after it was made. */
export function hasValidId(event: VigilEvent): boolean {
  return eventId(event) === event.id;
}
