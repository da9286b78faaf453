import { describe, expect, it } from 'vitest';
import { sameAsSchema } from './fast-path.js';
import canonicalize from 'canonicalize';
import {
  canonicalJson,
  eventId,
  hasValidId,
  parseJsonRecord,
  resolveValidationOptions,
  validateInput,
  type Rejection,
  type RejectionCode,
  type ValidationResult,
} from '../events/index.js';
import { eventJson } from '../events/canonical.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const options = resolveValidationOptions({ now: () => NOW });
const TS = NOW - 60_000;

const valid = {
  bsm: { kind: 'bsm', vehicle: 'V-0042', ts: TS, lat: 1.3521, lon: 103.8198, speed: 13.4, heading: 87.5, accel: 0.3, seq: 118, rsu: 'RSU-07' },
  telemetry: { kind: 'telemetry', device: 'D-17', ts: TS, metrics: { temperature: 21.5, humidity: 40, door: 'open', alarm: false } },
  net: { kind: 'net', device: 'D-17', ts: TS, src: '10.1.2.3', dst: '10.9.9.9', dport: 23, proto: 'tcp', bytes: 4200, packets: 12 },
  auth: { kind: 'auth', device: 'D-17', ts: TS, user: 'admin', outcome: 'failure', src: '203.0.113.9', method: 'telnet' },
  log: { kind: 'log', host: 'gw-1', ts: TS, message: 'link up', app: 'kernel', severity: 6, facility: 0 },
  can: { kind: 'can', vehicle: 'T-1', ts: TS, can_id: '0CF00400', data: 'FFFF7D7D7DFFFFFF' },
} as const;

function rejectionOf(result: ValidationResult): Rejection {
  if (result.ok) throw new Error(`expected a rejection, got event ${JSON.stringify(result.event)}`);
  return result.rejection;
}
const withField = (base: object, patch: Record<string, unknown>) => ({ ...base, ...patch });
const without = (base: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== key));

describe('valid input of every kind', () => {
  it.each(Object.entries(valid))('normalises a %s input into an ECS-shaped event with a stable id', (kind, input) => {
    const result = validateInput(input, options);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const e = result.event;
    expect(e.vigil.kind).toBe(kind);
    expect(e.vigil.ts).toBe(TS);
    expect(e['@timestamp']).toBe(new Date(TS).toISOString());
    expect(e.event.kind).toBe('event');
    expect(e.event.dataset).toBe(`vigil.${kind}`);
    expect(e.id).toMatch(/^[0-9a-f]{64}$/);
    expect(hasValidId(e)).toBe(true);
  });

  it('maps fields to their ECS names', () => {
    const net = validateInput(valid.net, options);
    const auth = validateInput(valid.auth, options);
    const bsm = validateInput(valid.bsm, options);
    if (!net.ok || !auth.ok || !bsm.ok) throw new Error('expected valid');
    expect(net.event.source?.ip).toBe('10.1.2.3');
    expect(net.event.destination).toEqual({ ip: '10.9.9.9', port: 23 });
    expect(net.event.network).toEqual({ transport: 'tcp', bytes: 4200, packets: 12 });
    expect(auth.event.user?.name).toBe('admin');
    expect(auth.event.event.outcome).toBe('failure');
    expect(auth.event.event.category).toEqual(['authentication']);
    expect(bsm.event.observer?.name).toBe('RSU-07');
    expect(bsm.event.vigil.vehicle).toEqual({ lat: 1.3521, lon: 103.8198, speed: 13.4, heading: 87.5, accel: 0.3, seq: 118 });
  });

  it('decodes J1939 fields from a 29-bit CAN id', () => {
    const r = validateInput(valid.can, options);
    if (!r.ok) throw new Error('expected valid');
    // 0x0CF00400: priority 3, PGN 61444 (EEC1), source address 0.
    expect(r.event.vigil.can).toMatchObject({ id: '0CF00400', priority: 3, pgn: 61444, sa: 0, dlc: 8 });
    const tsc1 = validateInput({ ...valid.can, can_id: '0C000003' }, options);
    if (!tsc1.ok) throw new Error('expected valid');
    // TSC1 is PDU1: PGN 0 with a destination address.
    expect(tsc1.event.vigil.can).toMatchObject({ pgn: 0, da: 0, sa: 3 });
  });

  it('accepts ISO-8601 timestamps and gives the same event as epoch milliseconds', () => {
    const iso = validateInput({ ...valid.bsm, ts: new Date(TS).toISOString() }, options);
    const ms = validateInput(valid.bsm, options);
    if (!iso.ok || !ms.ok) throw new Error('expected valid');
    expect(iso.event.id).toBe(ms.event.id);
  });

  it('gives the same id whatever the key order and number spelling of the input', () => {
    const a = parseJsonRecord('{"kind":"auth","device":"D-17","ts":' + TS + ',"user":"admin","outcome":"failure"}', options);
    const b = parseJsonRecord('{"outcome":"failure","user":"admin","ts":' + TS + '.0,"device":"D-17","kind":"auth"}', options);
    if (!a.ok || !b.ok) throw new Error('expected valid');
    expect(a.event.id).toBe(b.event.id);
  });

  it('gives different ids to events that differ in one value', () => {
    const a = validateInput(valid.bsm, options);
    const b = validateInput({ ...valid.bsm, seq: 119 }, options);
    if (!a.ok || !b.ok) throw new Error('expected valid');
    expect(a.event.id).not.toBe(b.event.id);
  });
});

describe('the hand-checked path for basic safety messages', () => {
  // Values at, just inside and just outside every bound, of every JSON type.
  const choices: Record<string, unknown[]> = {
    vehicle: ['V-0042', 'a', 'x'.repeat(128), 'x'.repeat(129), '-V', 'V 1', '', 7, null],
    ts: [TS, TS + 0.4, TS + 0.5, NOW + 600_000, NOW + 600_001, Date.UTC(2000, 0, 1), Date.UTC(2000, 0, 1) - 1, new Date(TS).toISOString(), 'soon', Infinity, NaN, -0, null],
    lat: [0, -0, 90, -90, 90.000001, -91, 1.3521, 1e-7, 'x', Infinity, NaN, null, true],
    lon: [180, -180, 180.5, 103.8198, 5e-324, '1', -Infinity],
    speed: [0, 1000, 1000.01, -0.01, 13.4, 123456.7e-3, NaN],
    heading: [0, 359.999, 360, 360.001, -1, 87.5, 1e21],
    accel: [undefined, -100, 100, 100.1, 0.3, -0, '0.3', null, NaN],
    seq: [undefined, 0, -0, 118, 2 ** 53 - 1, 2 ** 53, 1.5, -1, '1', null],
    rsu: [undefined, 'RSU-07', 'r'.repeat(129), '', 3, null],
    pos_accuracy: [undefined, 0, 1e-9, 2.5, 1000, 1000.001, -1, '2', null, NaN],
    heading_accuracy: [undefined, 0, 0.5, 180, 180.5, -0, '1', null],
  };
  const extras: Array<Record<string, unknown>> = [{}, {}, {}, {}, { extra: 1 }, { __proto__x: 1 }, { kind: 'BSM' }];

  it('accepts and rejects exactly what the schema does, and makes the same event', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const input: Record<string, unknown> = { kind: 'bsm' };
      // Mostly valid fields, so that accepted and rejected inputs both come often.
      for (const key of Object.keys(choices)) {
        const value = rand() < 0.75 ? (valid.bsm as Record<string, unknown>)[key] : choices[key]![Math.floor(rand() * choices[key]!.length)];
        if (value !== undefined || rand() < 0.5) input[key] = value;
        else delete input[key];
      }
      if (rand() < 0.1 && i % 3 === 0) delete input[Object.keys(choices)[Math.floor(rand() * 5)]!];
      Object.assign(input, extras[Math.floor(rand() * extras.length)]);
      const fast = sameAsSchema(input, options);
      if (fast.ok) {
        accepted++;
        // The stored text reads back as the event does through JSON (-0 comes back as 0 either way).
        expect(JSON.parse(eventJson(fast.event))).toEqual(JSON.parse(JSON.stringify(fast.event)));
      }
    }
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(4500);
  });

  it('stores the canonical text it hashed, with the id in front', () => {
    const r = validateInput(valid.bsm, options);
    if (!r.ok) throw new Error('expected valid');
    const { id, ...content } = r.event;
    expect(eventJson(r.event)).toBe(`{"id":"${id}",${canonicalJson(content).slice(1)}`);
    // An event made elsewhere (a copy) is encoded as it is.
    expect(JSON.parse(eventJson({ ...r.event }))).toEqual(r.event);
  });

  it('stores the agent that delivered the event as it is at encoding time, even when a shared agent object changes', () => {
    const a = validateInput(valid.bsm, options);
    const b = validateInput({ ...valid.bsm, seq: 2 }, options);
    if (!a.ok || !b.ok) throw new Error('expected valid');
    const shared = Object.freeze({ id: 'key-1', name: 'fleet', type: 'sensor-key' });
    a.event.agent = shared;
    b.event.agent = shared;
    expect(JSON.parse(eventJson(a.event)).agent).toEqual(shared);
    expect(JSON.parse(eventJson(b.event)).agent).toEqual(shared);
    // A mutable agent is encoded afresh each time: a change shows in the next document.
    const mutable = { id: 'key-2', type: 'sensor-key' };
    a.event.agent = mutable;
    expect(JSON.parse(eventJson(a.event)).agent).toEqual({ id: 'key-2', type: 'sensor-key' });
    mutable.id = 'key-3';
    expect(JSON.parse(eventJson(a.event)).agent).toEqual({ id: 'key-3', type: 'sensor-key' });
  });
});

describe('each way input can be wrong has its own reason', () => {
  const cases: Array<[string, string | Uint8Array, RejectionCode, string?]> = [
    ['truncated JSON', '{"kind":"bsm","vehicle":"V-1","ts":', 'INVALID_JSON'],
    ['trailing garbage', `${JSON.stringify(valid.auth)}}`, 'INVALID_JSON'],
    ['an empty record', '   ', 'EMPTY'],
    ['an array', '[1,2]', 'NOT_AN_OBJECT'],
    ['a bare string', '"bsm"', 'NOT_AN_OBJECT'],
    ['null', 'null', 'NOT_AN_OBJECT'],
    ['no kind', JSON.stringify(without(valid.auth, 'kind')), 'MISSING_FIELD', 'kind'],
    ['kind of the wrong type', JSON.stringify(withField(valid.auth, { kind: 7 })), 'WRONG_TYPE', 'kind'],
    ['an unknown kind', JSON.stringify(withField(valid.auth, { kind: 'weather' })), 'UNKNOWN_KIND', 'kind'],
    ['a missing required field', JSON.stringify(without(valid.bsm, 'speed')), 'MISSING_FIELD', 'speed'],
    ['a number sent as a string', JSON.stringify(withField(valid.bsm, { speed: '13.4' })), 'WRONG_TYPE', 'speed'],
    ['an object where a number belongs', JSON.stringify(withField(valid.bsm, { lat: { deg: 1 } })), 'WRONG_TYPE', 'lat'],
    ['NaN', JSON.stringify(valid.bsm).replace('13.4', 'NaN'), 'NON_FINITE_NUMBER'],
    ['Infinity', JSON.stringify(valid.bsm).replace('13.4', '-Infinity'), 'NON_FINITE_NUMBER'],
    ['a number too large to be finite', JSON.stringify(valid.bsm).replace('13.4', '1e400'), 'NON_FINITE_NUMBER', 'speed'],
    ['latitude above 90', JSON.stringify(withField(valid.bsm, { lat: 91 })), 'OUT_OF_RANGE', 'lat'],
    ['a negative speed', JSON.stringify(withField(valid.bsm, { speed: -1 })), 'OUT_OF_RANGE', 'speed'],
    ['a heading above 360', JSON.stringify(withField(valid.bsm, { heading: 360.5 })), 'OUT_OF_RANGE', 'heading'],
    ['a pos_accuracy of 0', JSON.stringify(withField(valid.bsm, { pos_accuracy: 0 })), 'OUT_OF_RANGE', 'pos_accuracy'],
    ['a fractional sequence number', JSON.stringify(withField(valid.bsm, { seq: 1.5 })), 'WRONG_TYPE', 'seq'],
    ['a port above 65535', JSON.stringify(withField(valid.net, { dport: 70000 })), 'OUT_OF_RANGE', 'dport'],
    ['an invalid IP address', JSON.stringify(withField(valid.net, { src: '10.1.2.300' })), 'INVALID_FORMAT', 'src'],
    ['an entity id with a slash', JSON.stringify(withField(valid.auth, { device: 'a/b' })), 'INVALID_FORMAT', 'device'],
    ['an outcome that is not success or failure', JSON.stringify(withField(valid.auth, { outcome: 'maybe' })), 'INVALID_VALUE', 'outcome'],
    ['a protocol Vigil does not know', JSON.stringify(withField(valid.net, { proto: 'sctp' })), 'INVALID_VALUE', 'proto'],
    ['an undefined field', JSON.stringify(withField(valid.auth, { password: 'x' })), 'UNKNOWN_FIELD', 'password'],
    ['no metrics', JSON.stringify(withField(valid.telemetry, { metrics: {} })), 'INVALID_FORMAT', 'metrics'],
    ['a metric that is an object', JSON.stringify(withField(valid.telemetry, { metrics: { t: { v: 1 } } })), 'WRONG_TYPE', 'metrics.t'],
    ['a CAN id that is not hex', JSON.stringify(withField(valid.can, { can_id: 'XYZ' })), 'INVALID_FORMAT', 'can_id'],
    ['CAN data of half a byte', JSON.stringify(withField(valid.can, { data: 'FFF' })), 'INVALID_FORMAT', 'data'],
    ['a timestamp far in the future', JSON.stringify(withField(valid.bsm, { ts: NOW + 86_400_000 })), 'TIMESTAMP_OUT_OF_RANGE', 'ts'],
    ['a timestamp far in the past (seconds sent as milliseconds)', JSON.stringify(withField(valid.bsm, { ts: Math.floor(TS / 1000) })), 'TIMESTAMP_OUT_OF_RANGE', 'ts'],
    ['a timestamp that is not a date', JSON.stringify(withField(valid.bsm, { ts: 'yesterday' })), 'TIMESTAMP_OUT_OF_RANGE', 'ts'],
    ['an ISO date that does not exist', JSON.stringify(withField(valid.bsm, { ts: '2026-02-30T25:61:00Z' })), 'TIMESTAMP_OUT_OF_RANGE', 'ts'],
    ['a lone surrogate', JSON.stringify(valid.auth).replace('"admin"', '"\\ud800"'), 'INVALID_UTF8'],
    ['invalid UTF-8 bytes', Buffer.concat([Buffer.from('{"kind":"auth","device":"D-17","user":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 'INVALID_UTF8'],
    ['a record over the size limit', JSON.stringify(withField(valid.log, { message: 'x'.repeat(70_000) })), 'TOO_LARGE'],
  ];

  it.each(cases)('rejects %s', (_name, input, code, field) => {
    const rejection = rejectionOf(parseJsonRecord(input, options));
    expect(rejection.code).toBe(code);
    if (field !== undefined) expect(rejection.field).toBe(field);
    expect(rejection.message.length).toBeGreaterThan(5);
  });

  it('does not read a 10 MB line before rejecting it', () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 0x41);
    expect(rejectionOf(parseJsonRecord(huge, options)).code).toBe('TOO_LARGE');
  });

  it('honours its own clock and limits', () => {
    const strict = resolveValidationOptions({ now: () => NOW, maxFutureMs: 0, maxRecordBytes: 100 });
    expect(rejectionOf(validateInput(withField(valid.bsm, { ts: NOW + 1 }), strict)).code).toBe('TIMESTAMP_OUT_OF_RANGE');
    expect(validateInput(withField(valid.bsm, { ts: NOW }), strict).ok).toBe(true);
    expect(rejectionOf(parseJsonRecord(JSON.stringify(valid.bsm), strict)).code).toBe('TOO_LARGE');
  });

  it('refuses a negative limit at start, naming the option', () => {
    expect(() => resolveValidationOptions({ maxRecordBytes: -1 })).toThrow(/maxRecordBytes/);
  });
});

describe('RFC 8785 canonical encoding', () => {
  it('matches the RFC example of sorting, numbers and string escapes (section 3.2.2)', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts member names by UTF-16 code units (section 3.2.3)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    );
    // Read the order off the text: re-parsing would let JavaScript move "1" first.
    const text = canonicalJson(input);
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) => text.indexOf(`${JSON.stringify(k)}:`));
    expect(order.every((pos) => pos > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  // The RFC's number vectors (appendix B) are held by test/jcs.test.ts, against the one encoder this calls.

  it.each([NaN, Infinity, -Infinity])('refuses %s', (value) => {
    expect(() => canonicalJson({ x: value })).toThrow();
  });

  it('agrees with the canonicalize reference package on random documents', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.3) return [rand() * 1e6 - 5e5, Math.floor(rand() * 1e9), 'é€\n"\\', true, null, 1e-9 * rand()][Math.floor(rand() * 6)];
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => pick(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, (_, i) => [`k${Math.floor(rand() * 100)}${'äz'[i % 2]}`, pick(depth + 1)]));
    };
    for (let i = 0; i < 500; i++) {
      const doc = pick(0);
      expect(canonicalJson(doc)).toBe(canonicalize(doc));
    }
  });

  it('makes the event id the hash of everything but the id', () => {
    const r = validateInput(valid.telemetry, options);
    if (!r.ok) throw new Error('expected valid');
    expect(eventId(r.event)).toBe(r.event.id);
    const tampered = { ...r.event, vigil: { ...r.event.vigil, metrics: { temperature: 99 } } };
    expect(hasValidId(tampered)).toBe(false);
  });
});
