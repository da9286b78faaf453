/**
 * Syslog messages into events: RFC 5424 (with structured data) and RFC 3164 (the BSD
 * format most network gear and busybox still send).
 *
 * Every byte here comes from the network and anyone can forge a syslog datagram, so the
 * parsers never throw and never drop: a message becomes an `auth` event (when it is a
 * login outcome we recognise, see auth.ts), a generic `log` event (everything else), or a
 * typed rejection kept in the dead letters with its reason.
 */
import { isIP } from 'node:net';
import { reject, validateInput, type LogInput, type Rejection, type ResolvedValidationOptions } from '../../events/index.js';
import type { IngestItem } from '../sink.js';
import { authFromMessage } from './auth.js';
import type { RepeatCounter } from '../sequence.js';

/** Where a message came from, as the socket saw it (not what the message claims). */
export interface Peer {
  /** The sender's IP address. */
  address: string;
}

/** A syslog message split into its header fields, before it becomes an input record. */
export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  facility: number;
  severity: number;
  /** Epoch milliseconds; the receive time where the sender gave none. */
  ts: number;
  hostname?: string;
  app?: string;
  pid?: number;
  msgid?: string;
  version?: number;
  sd?: Record<string, Record<string, string>>;
  message: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const BOM = '\ufeff';
/** RFC 5424 §6: HOSTNAME is at most 255 printable characters; APP-NAME 48, PROCID 128, MSGID 32, SD-NAME 32. */
const MAX = { hostname: 255, app: 48, procid: 128, msgid: 32, sdName: 32 } as const;
/** Entity ids are a conservative alphabet (events/validate.ts); a hostname outside it falls back to the sender's address. */
const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
const BSD_TS = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) /;

export type ParseResult = { ok: true; message: SyslogMessage } | { ok: false; rejection: Rejection };

/**
 * Parse one syslog message (one UDP datagram, or one TCP frame without its framing).
 * `now` is the receive time, used where the message has no usable time of its own.
 */
export function parseSyslog(bytes: Uint8Array, now: number): ParseResult {
  return parseSyslogText(bytes, now).result;
}

/** `parseSyslog`, with the decoded text (without trailing newlines) when the bytes were UTF-8. */
function parseSyslogText(bytes: Uint8Array, now: number): { result: ParseResult; text?: string } {
  const text = decodeMessage(bytes);
  if (typeof text !== 'string') return { result: text };
  return { result: parseText(text, now), text };
}

function decodeMessage(bytes: Uint8Array): string | { ok: false; rejection: Rejection } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    // RFC 5424 §6.4 lets MSG be in any encoding without a BOM, but Vigil's events are text:
    // the bytes are kept verbatim in the dead letters rather than mangled into U+FFFD.
    return { ok: false, rejection: reject('INVALID_UTF8', 'expected a UTF-8 syslog message, got invalid byte sequences') };
  }
  // Trailing newlines are framing (UDP senders and `logger` add one), not content.
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x0a || text.charCodeAt(end - 1) === 0x0d || text.charCodeAt(end - 1) === 0)) end--;
  if (end !== text.length) text = text.slice(0, end);
  return text;
}

function parseText(text: string, now: number): ParseResult {
  if (text.length === 0) return { ok: false, rejection: reject('EMPTY', 'expected a syslog message, got an empty one') };

  const pri = parsePri(text);
  if (pri === undefined) {
    // RFC 3164 §4.3.3: a relay that gets no PRI treats the whole as the message with PRI 13 (user.notice).
    return { ok: true, message: { format: 'rfc3164', facility: 1, severity: 5, ts: now, message: text } };
  }
  if (typeof pri === 'string') return { ok: false, rejection: reject('PARSE_ERROR', pri, 'pri') };
  const rest = text.slice(pri.length);
  if (rest.startsWith('1 ')) return parse5424(rest.slice(2), pri.value, now);
  return { ok: true, message: parse3164(rest, pri.value, now) };
}

/** `<PRI>`: 1 to 3 digits, 0–191 (RFC 5424 §6.2.1). A malformed PRI is a parse error, an absent one is not. */
function parsePri(text: string): { value: number; length: number } | string | undefined {
  if (text.charCodeAt(0) !== 0x3c /* < */) return undefined;
  const close = text.indexOf('>', 1);
  if (close < 2 || close > 4) return `expected <PRI> of 1 to 3 digits, got ${JSON.stringify(text.slice(0, 6))}`;
  const digits = text.slice(1, close);
  if (!/^\d+$/.test(digits) || (digits.length > 1 && digits.startsWith('0'))) return `expected <PRI> digits, got ${JSON.stringify(digits)}`;
  const value = Number(digits);
  if (value > 191) return `PRI ${value} is out of range 0–191`;
  return { value, length: close + 1 };
}

// ---------------------------------------------------------------------------------------
// RFC 5424: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]

// Hot path (every TCP and UDP message): no closures made per message.
function fail5424(message: string, field?: string): ParseResult {
  return { ok: false, rejection: reject('PARSE_ERROR', `RFC 5424: ${message}`, field) };
}

/** End of the space-delimited token at `pos` (the index of its space, or the text's end). */
function tokenEnd(text: string, pos: number): number {
  const sp = text.indexOf(' ', pos);
  return sp === -1 ? text.length : sp;
}

function parse5424(rest: string, pri: number, now: number): ParseResult {
  // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, each a non-empty token followed by one space.
  const fields: string[] = [];
  let pos = 0;
  for (let i = 0; i < 5; i++) {
    const end = tokenEnd(rest, pos);
    if (end === pos) return fail5424('expected TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA after the version');
    fields.push(rest.slice(pos, end));
    pos = end === rest.length ? end : end + 1;
  }
  const [tsText, hostname, app, procid, msgid] = fields as [string, string, string, string, string];
  let ts = now;
  if (tsText !== '-') {
    const parsed = parseRfc3339(tsText);
    if (parsed === undefined) return fail5424(`expected an RFC 3339 timestamp or -, got ${JSON.stringify(tsText.slice(0, 40))}`, 'timestamp');
    ts = parsed;
  }
  if (hostname.length > MAX.hostname) return tooLong('hostname', hostname, MAX.hostname);
  if (app.length > MAX.app) return tooLong('app-name', app, MAX.app);
  if (procid.length > MAX.procid) return tooLong('procid', procid, MAX.procid);
  if (msgid.length > MAX.msgid) return tooLong('msgid', msgid, MAX.msgid);
  if (pos >= rest.length) return fail5424('expected STRUCTURED-DATA (- or [...])', 'structured_data');
  let sd: Record<string, Record<string, string>> | undefined;
  if (rest[pos] === '-') {
    pos++;
  } else if (rest[pos] === '[') {
    const parsed = parseStructuredData(rest, pos);
    if (typeof parsed === 'string') return fail5424(parsed, 'structured_data');
    sd = parsed.sd;
    pos = parsed.end;
  } else return fail5424(`expected STRUCTURED-DATA (- or [...]), got ${JSON.stringify(rest.slice(pos, pos + 20))}`, 'structured_data');
  let message = '';
  if (pos < rest.length) {
    if (rest[pos] !== ' ') return fail5424('expected a space between STRUCTURED-DATA and MSG', 'structured_data');
    message = rest.slice(pos + 1);
    if (message.startsWith(BOM)) message = message.slice(1);
  }
  const m: SyslogMessage = { format: 'rfc5424', facility: pri >> 3, severity: pri & 7, ts, version: 1, message };
  if (hostname !== '-') m.hostname = hostname;
  if (app !== '-') m.app = app;
  if (procid !== '-' && /^\d{1,15}$/.test(procid)) m.pid = Number(procid);
  if (msgid !== '-') m.msgid = msgid;
  if (sd !== undefined) m.sd = sd;
  return { ok: true, message: m };
}

function tooLong(name: string, value: string, max: number): ParseResult {
  return fail5424(`${name} of ${value.length} characters exceeds ${max}`, name);
}

function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  // RFC 5424 §6.2.3: no leap seconds (60), and the date must exist.
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Years 0–99: Date.UTC would read them as 1900–1999; Date.parse decides those (rejected later as too old anyway).
  if (year < 100) return parseRfc3339ByDate(text, year, month, day);
  if (day > daysInMonth(year, month)) return undefined;
  let offset = 0;
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    // What Date.parse refuses (ECMA-262 §21.4.1.32): offsets past 23:59.
    if (oh > 23 || om > 59) return undefined;
    offset = (zone.charCodeAt(0) === 0x2d /* - */ ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  // Milliseconds from the fraction's first three digits (Date.parse ignores the rest).
  const ms = frac === undefined ? 0 : Number(`${frac.slice(1, 4)}00`.slice(0, 3));
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset;
}

function parseRfc3339ByDate(text: string, year: number, month: number, day: number): number | undefined {
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  return ms;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** SD-ELEMENT = "[" SD-ID *(SP SD-PARAM) "]"; SD-PARAM = PARAM-NAME "=" %d34 PARAM-VALUE %d34, with \" \\ \] escaped (RFC 5424 §6.3). */
function parseStructuredData(text: string, start: number): { sd: Record<string, Record<string, string>>; end: number } | string {
  // Null-prototype objects: an SD-ID of "__proto__" is data, not a prototype (CWE-1321).
  const sd: Record<string, Record<string, string>> = Object.create(null) as Record<string, Record<string, string>>;
  let pos = start;
  let elements = 0;
  while (text[pos] === '[') {
    if (++elements > 64) return 'more than 64 SD-ELEMENTs';
    pos++;
    const idEnd = scanName(text, pos);
    if (idEnd === pos) return 'expected an SD-ID after [';
    const id = text.slice(pos, idEnd);
    if (id.length > MAX.sdName) return `SD-ID of ${id.length} characters exceeds ${MAX.sdName}`;
    if (Object.hasOwn(sd, id)) return `SD-ID ${JSON.stringify(id)} appears twice`;
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    pos = idEnd;
    while (text[pos] === ' ') {
      pos++;
      const nameEnd = scanName(text, pos);
      if (nameEnd === pos) return 'expected a PARAM-NAME';
      const name = text.slice(pos, nameEnd);
      if (name.length > MAX.sdName) return `PARAM-NAME of ${name.length} characters exceeds ${MAX.sdName}`;
      pos = nameEnd;
      if (text[pos] !== '=' || text[pos + 1] !== '"') return `expected ="value" after ${JSON.stringify(name)}`;
      pos += 2;
      let value = '';
      for (;;) {
        if (pos >= text.length) return 'unterminated PARAM-VALUE';
        const c = text[pos]!;
        if (c === '"') break;
        if (c === '\\' && (text[pos + 1] === '"' || text[pos + 1] === '\\' || text[pos + 1] === ']')) {
          value += text[pos + 1];
          pos += 2;
        } else {
          // §6.3.3: a backslash before any other character is kept as it is.
          value += c;
          pos++;
        }
        if (value.length > 1024) return 'PARAM-VALUE longer than 1024 characters';
      }
      pos++;
      // A repeated PARAM-NAME is allowed by the RFC; the event keeps the values joined.
      params[name] = Object.hasOwn(params, name) ? `${params[name]!},${value}` : value;
    }
    if (text[pos] !== ']') return `expected ] to close [${id.slice(0, 32)}`;
    pos++;
    sd[id] = params;
  }
  return { sd, end: pos };
}

/** SD-NAME: 1*32 PRINTUSASCII except = SP ] " (RFC 5424 §6). */
function scanName(text: string, pos: number): number {
  let i = pos;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 33 || c > 126 || c === 0x3d || c === 0x5d || c === 0x22) break;
    i++;
  }
  return i;
}

// ---------------------------------------------------------------------------------------
// RFC 3164: TIMESTAMP SP HOSTNAME SP TAG[PID]: MSG — loosely, as real senders are loose.

function parse3164(rest: string, pri: number, now: number): SyslogMessage {
  const m: SyslogMessage = { format: 'rfc3164', facility: pri >> 3, severity: pri & 7, ts: now, message: rest };
  let body = rest;
  const bsd = BSD_TS.exec(body);
  if (bsd) {
    m.ts = bsdTime(bsd, now) ?? now;
    body = body.slice(bsd[0].length);
    // §4.1.2: HOSTNAME follows the timestamp; a word ending in ':' or holding '[' is the TAG (local senders omit the host).
    const sp = body.indexOf(' ');
    const first = sp === -1 ? body : body.slice(0, sp);
    if (sp !== -1 && first.length > 0 && first.length <= MAX.hostname && !first.endsWith(':') && !first.includes('[')) {
      m.hostname = first;
      body = body.slice(sp + 1);
    }
  } else {
    const iso = /^(\S+) /.exec(body);
    const ts = iso ? parseRfc3339(iso[1]!) : undefined;
    if (ts !== undefined) {
      // Many daemons (rsyslog's RSYSLOG_ForwardFormat) write an RFC 3339 time into the BSD layout.
      m.ts = ts;
      body = body.slice(iso![0].length);
      const sp = body.indexOf(' ');
      const first = sp === -1 ? body : body.slice(0, sp);
      if (sp !== -1 && first.length > 0 && first.length <= MAX.hostname && !first.endsWith(':') && !first.includes('[')) {
        m.hostname = first;
        body = body.slice(sp + 1);
      }
    }
  }
  // TAG: up to 32 alphanumerics (§4.1.3), in practice also - _ . /, then an optional [PID], then ':'.
  const tag = /^([A-Za-z0-9_./-]{1,48})(?:\[(\d{1,15})\])?: ?/.exec(body);
  if (tag) {
    m.app = tag[1]!;
    if (tag[2] !== undefined) m.pid = Number(tag[2]);
    body = body.slice(tag[0].length);
  }
  m.message = body;
  return m;
}

function bsdTime(m: RegExpExecArray, now: number): number | undefined {
  const month = MONTHS[m[1]!];
  if (month === undefined) return undefined;
  const day = Number(m[2]!.trim());
  const [h, mi, s] = [Number(m[3]), Number(m[4]), Number(m[5])];
  if (day < 1 || day > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  // RFC 3164 has no year (and no zone: read as UTC). Take the year that puts the time
  // nearest to now, so a December message read on 1 January lands in the old year.
  const year = new Date(now).getUTCFullYear();
  let best: number | undefined;
  for (const y of [year - 1, year, year + 1]) {
    const t = Date.UTC(y, month, day, h, mi, s);
    if (new Date(t).getUTCDate() !== day) continue;
    if (best === undefined || Math.abs(t - now) < Math.abs(best - now)) best = t;
  }
  return best;
}

// ---------------------------------------------------------------------------------------
// Into events.

/**
 * One received syslog message into an ingest item. The entity is the syslog HOSTNAME when
 * it is a usable id, else the sender's address: what the message claims is kept in the
 * event, but an unusable claim must not make the message unstorable.
 */
export function syslogToItem(raw: Uint8Array, peer: Peer, validation: ResolvedValidationOptions, repeats?: RepeatCounter): IngestItem {
  if (raw.byteLength > validation.maxRecordBytes) {
    return { raw, rejection: reject('TOO_LARGE', `syslog message of ${raw.byteLength} bytes exceeds the limit of ${validation.maxRecordBytes}`) };
  }
  const { result: parsed, text } = parseSyslogText(raw, validation.now());
  if (!parsed.ok) return { raw, rejection: parsed.rejection };
  const record = toRecord(parsed.message, peer);
  if (repeats && text !== undefined) {
    // UDP syslog has no redelivery: the same line twice from one sender is two messages.
    // (The decoded text is the message less its trailing newlines, which make no difference to the event either.)
    const n = repeats.next(`${peer.address} ${text}`, parsed.message.ts);
    if (n > 0) record.seq = n;
  }
  const result = validateInput(record, validation);
  return result.ok ? { raw, event: result.event } : { raw, rejection: result.rejection };
}

/** The input record (an `auth` or a `log` input of DESIGN.md) for a parsed message. */
export function toRecord(m: SyslogMessage, peer: Peer): Record<string, unknown> {
  const host = m.hostname !== undefined && ENTITY_ID.test(m.hostname) ? m.hostname : peerId(peer.address);
  const auth = authFromMessage(m.app, m.message);
  if (auth) {
    // The pid, port and line keep one attempt apart from the next: twelve guesses in one
    // second differ only there, and without them they would deduplicate into one event.
    const record: Record<string, unknown> = { kind: 'auth', device: host, ts: m.ts, user: auth.user, outcome: auth.outcome, method: auth.method, message: m.message };
    if (auth.src !== undefined && isIP(auth.src) !== 0) {
      record.src = auth.src;
      if (auth.port !== undefined) record.sport = auth.port;
    }
    if (m.app !== undefined) record.app = m.app;
    if (m.pid !== undefined) record.pid = m.pid;
    return record;
  }
  const record: Partial<LogInput> & Record<string, unknown> = { kind: 'log', host, ts: m.ts, message: m.message, facility: m.facility, severity: m.severity };
  if (m.app !== undefined) record.app = m.app;
  if (m.pid !== undefined) record.pid = m.pid;
  if (m.msgid !== undefined) record.msgid = m.msgid;
  if (m.version !== undefined) record.version = m.version;
  if (m.sd !== undefined && Object.keys(m.sd).length > 0) record.sd = { ...m.sd };
  if (isIP(peer.address) !== 0) record.src = peer.address;
  return record;
}

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address; entity ids have no brackets or zones. */
function peerId(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const id = v4 ? v4[1]! : address.replace(/%.*$/, '');
  return ENTITY_ID.test(id) ? id : 'unknown-host';
}
