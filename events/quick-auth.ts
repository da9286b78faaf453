/**
 * The hand-checked path for authentication outcomes, the syslog collector's most frequent
 * input (every sshd, dropbear or PAM login line becomes one: a password-guessing flood is
 * thousands a second). Like the BSM path in validate.ts, it accepts only what the `auth`
 * schema accepts and makes the same event as `normalise`, its canonical text written out
 * directly with the member names in RFC 8785 order (section 3.2.3) and strings escaped as
 * RFC 8785 section 3.2.2.2 asks (as `JSON.stringify` does): no schema parse, no spread
 * objects, no generic encoder per event. Anything else — an unknown or missing field, a
 * wrong type, a value out of range, a string timestamp, a string with a lone surrogate —
 * returns undefined and takes the schema's path, which words the rejection. The tests
 * compare the two on random input (test/events-quick-auth.test.ts).
 */
import { isIP } from 'node:net';
import { remember, sha256Hex } from './canonical.js';
import { ENTITY_ID } from './entity-id.js';
import type { VigilEvent } from './model.js';

interface Bounds {
  minTimestampMs: number;
  maxFutureMs: number;
  now(): number;
}

const AUTH_FIELDS = new Set(['kind', 'device', 'ts', 'user', 'outcome', 'src', 'sport', 'method', 'app', 'pid', 'message', 'seq']);
/** What JSON.stringify escapes in a well-formed string (RFC 8785 3.2.2.2). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** Whether `v` is a string of `min`..`max` UTF-16 units with no lone surrogate (zod's min/max count units too). */
function isText(v: unknown, min: number, max: number): v is string {
  return typeof v === 'string' && v.length >= min && v.length <= max && (v as unknown as { isWellFormed(): boolean }).isWellFormed();
}

const quote = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);
const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 65_535;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The event of a well-formed `auth` input with an epoch-milliseconds timestamp, else undefined. */
export function quickAuth(o: Record<string, unknown>, options: Bounds): VigilEvent | undefined {
  for (const key in o) if (!AUTH_FIELDS.has(key)) return undefined;
  const { device, ts, user, outcome, src, sport, method, app, pid, message, seq } = o;
  if (typeof device !== 'string' || !ENTITY_ID.test(device)) return undefined;
  if (typeof ts !== 'number' || !(ts >= options.minTimestampMs && ts <= options.now() + options.maxFutureMs && ts <= 8.64e15)) return undefined;
  if (!isText(user, 1, 256) || (outcome !== 'success' && outcome !== 'failure')) return undefined;
  if (src !== undefined && (!isText(src, 0, 45) || isIP(src) === 0)) return undefined;
  if ((sport !== undefined && !isPort(sport)) || (pid !== undefined && !isCount(pid)) || (seq !== undefined && !isCount(seq))) return undefined;
  if ((method !== undefined && !isText(method, 1, 32)) || (app !== undefined && !isText(app, 1, 48))) return undefined;
  if (message !== undefined && !isText(message, 0, 65_536)) return undefined;
  const ms = Math.round(ts);
  const at = new Date(ms).toISOString();
  const action = method !== undefined ? `${method}-login` : 'login';
  const proc = app !== undefined || pid !== undefined;
  const canonical =
    `{"@timestamp":"${at}","device":{"id":"${device}"},"event":{"action":${quote(action)},"category":["authentication"],"dataset":"vigil.auth","kind":"event","outcome":"${outcome}"` +
    (seq === undefined ? '' : `,"sequence":${seq}`) +
    `,"type":["start"]}` +
    (message === undefined ? '' : `,"message":${quote(message)}`) +
    (method === undefined ? '' : `,"network":{"protocol":${quote(method)}}`) +
    (proc ? `,"process":{${app === undefined ? '' : `"name":${quote(app)}`}${pid === undefined ? '' : `${app === undefined ? '' : ','}"pid":${pid}`}}` : '') +
    (src === undefined ? '' : `,"source":{"ip":${quote(src)}${sport === undefined ? '' : `,"port":${sport}`}}`) +
    `,"user":{"name":${quote(user)}},"vigil":{"entity":{"id":"${device}","type":"device"},"kind":"auth","ts":${ms}}}`;
  // The members in the order `normalise` makes them, so both paths give objects of one shape.
  const event: VigilEvent = {
    id: sha256Hex(canonical),
    '@timestamp': at,
    event: { kind: 'event', category: ['authentication'], type: ['start'], action, dataset: 'vigil.auth', outcome },
    vigil: { kind: 'auth', ts: ms, entity: { id: device, type: 'device' } },
    device: { id: device },
    user: { name: user },
  };
  if (src !== undefined) event.source = sport !== undefined ? { ip: src, port: sport } : { ip: src };
  if (method !== undefined) event.network = { protocol: method };
  if (proc) {
    const p: NonNullable<VigilEvent['process']> = {};
    if (app !== undefined) p.name = app;
    if (pid !== undefined) p.pid = pid;
    event.process = p;
  }
  if (message !== undefined) event.message = message;
  if (seq !== undefined) event.event.sequence = seq;
  return remember(event, canonical);
}
