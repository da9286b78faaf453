/**
 * Runtime validation of every input format (../shared/DESIGN.md, "Input formats").
 *
 * Everything here is attacker-controlled: a device, a vehicle or anyone on the network can
 * send any bytes. Each input becomes either a valid, normalised event or a typed
 * Rejection; nothing throws and nothing is dropped without a reason.
 *
 * Validation checks form, not plausibility: a speed of 90 m/s is well-formed (and exactly
 * what a speed-falsifying vehicle would send), so it reaches the detector; a latitude of 91
 * or a port of 70000 cannot be real, so it is rejected here.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { EventError, reject, type Rejection, type RejectionCode } from './errors.js';
import { canonicalJson, remember, sealEvent, sha256Hex } from './canonical.js';
import { INPUT_KINDS, type InputKind, type MetricValue, type VigilEvent } from './model.js';
import { ENTITY_ID } from './entity-id.js';
import { quickAuth } from './quick-auth.js';

export interface ValidationOptions {
  /**
   * Largest accepted record, in bytes (UTF-8). Larger records are rejected unread.
   * @default 65536
   */
  maxRecordBytes?: number;
  /**
   * How far in the future a timestamp may be, in milliseconds (clock skew of devices).
   * @default 600000 (10 minutes)
   */
  maxFutureMs?: number;
  /**
   * The earliest accepted timestamp, epoch milliseconds. Historical files (the public data
   * sets) are legitimate input, so the default only catches nonsense such as seconds sent as
   * milliseconds.
   * @default 946684800000 (2000-01-01T00:00:00Z)
   */
  minTimestampMs?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  now?: () => number;
}

export type ResolvedValidationOptions = Required<ValidationOptions>;

export function resolveValidationOptions(options: ValidationOptions = {}): ResolvedValidationOptions {
  const resolved = {
    maxRecordBytes: options.maxRecordBytes ?? 65_536,
    maxFutureMs: options.maxFutureMs ?? 600_000,
    minTimestampMs: options.minTimestampMs ?? Date.UTC(2000, 0, 1),
    now: options.now ?? Date.now,
  };
  for (const key of ['maxRecordBytes', 'maxFutureMs', 'minTimestampMs'] as const) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value < 0) {
      throw new EventError('BAD_OPTION', `validation option ${key}: expected a non-negative number, got ${String(value)}`);
    }
  }
  return resolved;
}

export type ValidationResult = { ok: true; event: VigilEvent } | { ok: false; rejection: Rejection };

// ---------------------------------------------------------------------------------------
// Schemas of the input formats.

const ISO_8601 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const HEX = /^[0-9A-Fa-f]*$/;

const entityId = z.string().regex(ENTITY_ID, 'expected an id of letters, digits and . _ : - (at most 128)');
const timestamp = z.union([z.number(), z.string().max(40)]);
const ip = z.string().max(45).refine((s) => isIP(s) !== 0, 'expected an IPv4 or IPv6 address');
const port = z.number().int().min(0).max(65_535);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const shortText = (max: number) => z.string().min(1).max(max);
const metricName = /^[A-Za-z0-9_.-]{1,64}$/;

/** Largest accepted `pos_accuracy`, metres (J2735's semi-major axis saturates well below it). */
const MAX_POS_ACCURACY_M = 1_000;
/** Largest accepted `heading_accuracy`, degrees (beyond 180 a heading says nothing). */
const MAX_HEADING_ACCURACY_DEG = 180;

const bsm = z.strictObject({
  kind: z.literal('bsm'),
  vehicle: entityId,
  ts: timestamp,
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  speed: z.number().min(0).max(1_000),
  // 360 is north as well (some encoders wrap late); it is stored as 0.
  heading: z.number().min(0).max(360),
  accel: z.number().min(-100).max(100).optional(),
  seq: count.optional(),
  rsu: entityId.optional(),
  // SAE J2735 PositionalAccuracy (semi-major axis of the 1-sigma error ellipse, metres) and
  // HeadingConfidence (1 sigma, degrees); both optional, the spec's ranges bound them.
  pos_accuracy: z.number().gt(0).max(MAX_POS_ACCURACY_M).optional(),
  heading_accuracy: z.number().gt(0).max(MAX_HEADING_ACCURACY_DEG).optional(),
});

const telemetry = z.strictObject({
  kind: z.literal('telemetry'),
  device: entityId,
  ts: timestamp,
  metrics: z
    .record(
      z.string().regex(metricName, 'expected a metric name of letters, digits and . _ - (at most 64)'),
      z.union([z.number(), z.boolean(), z.string().max(64)]),
    )
    .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= 64, 'expected 1 to 64 metrics'),
});

const net = z.strictObject({
  kind: z.literal('net'),
  device: entityId,
  ts: timestamp,
  src: ip,
  dst: ip,
  dport: port,
  sport: port.optional(),
  proto: z.enum(['tcp', 'udp', 'icmp', 'other']),
  bytes: count,
  packets: count,
});

const auth = z.strictObject({
  kind: z.literal('auth'),
  device: entityId,
  ts: timestamp,
  user: shortText(256),
  outcome: z.enum(['success', 'failure']),
  src: ip.optional(),
  /** The client's port, which tells one attempt from the next (sshd: "… from A port N"). */
  sport: port.optional(),
  method: shortText(32).optional(),
  /** The daemon that reported it, and its process id. */
  app: shortText(48).optional(),
  pid: count.optional(),
  /** The line as the daemon wrote it, for the analyst and for keyword rules. */
  message: z.string().max(65_536).optional(),
  seq: count.optional(),
});

const log = z.strictObject({
  kind: z.literal('log'),
  host: entityId,
  ts: timestamp,
  message: z.string().max(65_536),
  app: shortText(48).optional(),
  pid: count.optional(),
  facility: z.number().int().min(0).max(23).optional(),
  severity: z.number().int().min(0).max(7).optional(),
  msgid: shortText(32).optional(),
  version: z.number().int().min(1).max(99).optional(),
  sd: z.record(z.string().max(32), z.record(z.string().max(32), z.string().max(1024))).optional(),
  src: ip.optional(),
  seq: count.optional(),
});

const can = z.strictObject({
  kind: z.literal('can'),
  vehicle: entityId,
  ts: timestamp,
  can_id: z.string().min(1).max(8).regex(HEX, 'expected a hexadecimal CAN id'),
  data: z.string().max(128).regex(HEX, 'expected hexadecimal payload bytes').refine((s) => s.length % 2 === 0, 'expected whole bytes'),
  dlc: z.number().int().min(0).max(64).optional(),
  iface: shortText(16).optional(),
  seq: count.optional(),
});

const schemas = { bsm, telemetry, net, auth, log, can } satisfies Record<InputKind, z.ZodType>;
type Inputs = { [K in InputKind]: z.infer<(typeof schemas)[K]> };
export type BsmInput = Inputs['bsm'];
export type TelemetryInput = Inputs['telemetry'];
export type NetInput = Inputs['net'];
export type AuthInput = Inputs['auth'];
export type LogInput = Inputs['log'];
export type CanInput = Inputs['can'];
export type AnyInput = Inputs[InputKind];

// ---------------------------------------------------------------------------------------
// Parsing.

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parse one record of a line-oriented JSON input (an NDJSON line, an MQTT payload, a Kafka
 * value) into an event.
 */
export function parseJsonRecord(input: string | Uint8Array, options: ResolvedValidationOptions): ValidationResult {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > options.maxRecordBytes) {
    return fail('TOO_LARGE', `record of ${bytes} bytes exceeds the limit of ${options.maxRecordBytes}`);
  }
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = utf8.decode(input);
    } catch {
      return fail('INVALID_UTF8', 'expected UTF-8 text, got invalid byte sequences');
    }
  }
  if (text.trim() === '') return fail('EMPTY', 'expected a JSON object, got an empty record');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (/(^|[^A-Za-z"])(NaN|-?Infinity)([^A-Za-z"]|$)/.test(text)) {
      return fail('NON_FINITE_NUMBER', 'JSON has no NaN or Infinity; expected finite numbers');
    }
    return fail('INVALID_JSON', `expected a JSON object: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200));
  }
  return validateInput(value, options);
}

/** Validate an already-parsed value (from a CSV row, a syslog line, …) and normalise it. */
export function validateInput(value: unknown, options: ResolvedValidationOptions): ValidationResult {
  if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'bsm' && !Array.isArray(value)) {
    const quick = quickBsm(value as Record<string, unknown>, options);
    if (quick !== undefined) return { ok: true, event: quick };
  } else if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'auth' && !Array.isArray(value)) {
    const quick = quickAuth(value as Record<string, unknown>, options);
    if (quick !== undefined) return { ok: true, event: quick };
  }
  return validateBySchema(value, options);
}

/**
 * `validateInput` through the schemas alone, without the hand-checked path for well-formed
 * BSMs: the reference that path is tested against.
 */
export function validateBySchema(value: unknown, options: ResolvedValidationOptions): ValidationResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('NOT_AN_OBJECT', `expected a JSON object, got ${describe(value)}`);
  }
  const kind = (value as { kind?: unknown }).kind;
  if (kind === undefined) return fail('MISSING_FIELD', 'expected a "kind" field', 'kind');
  if (typeof kind !== 'string') return fail('WRONG_TYPE', `kind: expected a string, got ${describe(kind)}`, 'kind');
  if (!(INPUT_KINDS as readonly string[]).includes(kind)) {
    return fail('UNKNOWN_KIND', `kind: expected one of ${INPUT_KINDS.join(', ')}, got ${JSON.stringify(kind.slice(0, 40))}`, 'kind');
  }
  const parsed = schemas[kind as InputKind].safeParse(value);
  if (!parsed.success) return { ok: false, rejection: fromZod(parsed.error, value) };
  const input = parsed.data as AnyInput;
  const ts = parseTimestamp(input.ts, options);
  if (typeof ts !== 'number') return { ok: false, rejection: ts };
  try {
    return { ok: true, event: normalise(input, ts) };
  } catch (err) {
    // canonicalisation refuses lone surrogates, which JSON.parse lets through ("\ud800").
    const code: RejectionCode = err instanceof EventError && err.code !== 'BAD_OPTION' && err.code !== 'CITY_INVALID' ? err.code : 'INVALID_FORMAT';
    return fail(code, err instanceof Error ? err.message : String(err));
  }
}

function parseTimestamp(ts: number | string, options: ResolvedValidationOptions): number | Rejection {
  let ms: number;
  if (typeof ts === 'number') {
    if (!Number.isFinite(ts)) return reject('NON_FINITE_NUMBER', 'ts: expected finite epoch milliseconds', 'ts');
    ms = ts;
  } else {
    if (!ISO_8601.test(ts)) {
      return reject('TIMESTAMP_OUT_OF_RANGE', `ts: expected epoch milliseconds or ISO-8601, got ${JSON.stringify(ts)}`, 'ts');
    }
    ms = Date.parse(ts.replace(' ', 'T'));
    if (Number.isNaN(ms)) return reject('TIMESTAMP_OUT_OF_RANGE', `ts: not a real date: ${JSON.stringify(ts)}`, 'ts');
  }
  if (ms < options.minTimestampMs) {
    return reject('TIMESTAMP_OUT_OF_RANGE', `ts: ${new Date(Math.max(ms, -8.64e15)).toISOString()} is before ${new Date(options.minTimestampMs).toISOString()}`, 'ts');
  }
  const latest = options.now() + options.maxFutureMs;
  if (ms > latest) {
    return reject('TIMESTAMP_OUT_OF_RANGE', `ts: ${ms > 8.64e15 ? ms : new Date(ms).toISOString()} is more than ${options.maxFutureMs} ms in the future`, 'ts');
  }
  return Math.round(ms);
}

// ---------------------------------------------------------------------------------------
// Normalisation to the ECS-shaped event.

function normalise(input: AnyInput, ts: number): VigilEvent {
  const base = { '@timestamp': new Date(ts).toISOString() };
  let event: Omit<VigilEvent, 'id'>;
  switch (input.kind) {
    case 'bsm': {
      const vehicle: VigilEvent['vigil']['vehicle'] = { lat: input.lat, lon: input.lon, speed: input.speed, heading: input.heading === 360 ? 0 : input.heading };
      if (input.accel !== undefined) vehicle.accel = input.accel;
      if (input.seq !== undefined) vehicle.seq = input.seq;
      if (input.pos_accuracy !== undefined) vehicle.pos_accuracy = input.pos_accuracy;
      if (input.heading_accuracy !== undefined) vehicle.heading_accuracy = input.heading_accuracy;
      event = {
        ...base,
        event: { kind: 'event', category: ['network'], type: ['info'], action: 'basic-safety-message', dataset: 'vigil.bsm' },
        vigil: { kind: 'bsm', ts, entity: { id: input.vehicle, type: 'vehicle' }, vehicle },
        ...(input.rsu !== undefined ? { observer: { name: input.rsu, type: 'rsu' } } : {}),
      };
      break;
    }
    case 'telemetry':
      event = {
        ...base,
        event: { kind: 'event', category: ['host'], type: ['info'], action: 'telemetry', dataset: 'vigil.telemetry' },
        vigil: { kind: 'telemetry', ts, entity: { id: input.device, type: 'device' }, metrics: input.metrics as Record<string, MetricValue> },
        device: { id: input.device },
      };
      break;
    case 'net': {
      event = {
        ...base,
        event: { kind: 'event', category: ['network'], type: ['connection'], action: 'network-flow', dataset: 'vigil.net' },
        vigil: { kind: 'net', ts, entity: { id: input.device, type: 'device' } },
        device: { id: input.device },
        source: input.sport !== undefined ? { ip: input.src, port: input.sport } : { ip: input.src },
        destination: { ip: input.dst, port: input.dport },
        network: { transport: input.proto, bytes: input.bytes, packets: input.packets },
      };
      break;
    }
    case 'auth':
      event = {
        ...base,
        event: {
          kind: 'event',
          category: ['authentication'],
          type: ['start'],
          action: input.method !== undefined ? `${input.method}-login` : 'login',
          dataset: 'vigil.auth',
          outcome: input.outcome,
        },
        vigil: { kind: 'auth', ts, entity: { id: input.device, type: 'device' } },
        device: { id: input.device },
        user: { name: input.user },
        ...(input.src !== undefined ? { source: input.sport !== undefined ? { ip: input.src, port: input.sport } : { ip: input.src } } : {}),
        ...(input.method !== undefined ? { network: { protocol: input.method } } : {}),
        ...(input.app !== undefined || input.pid !== undefined ? { process: processOf(input.app, input.pid) } : {}),
        ...(input.message !== undefined ? { message: input.message } : {}),
      };
      break;
    case 'log': {
      const syslog: NonNullable<NonNullable<VigilEvent['log']>['syslog']> = {};
      if (input.facility !== undefined) syslog.facility = { code: input.facility };
      if (input.severity !== undefined) syslog.severity = { code: input.severity };
      if (input.version !== undefined) syslog.version = input.version;
      if (input.msgid !== undefined) syslog.msgid = input.msgid;
      if (input.sd !== undefined) syslog.structured_data = input.sd;
      const proc = processOf(input.app, input.pid);
      event = {
        ...base,
        event: { kind: 'event', category: ['host'], type: ['info'], action: 'log', dataset: 'vigil.log' },
        vigil: { kind: 'log', ts, entity: { id: input.host, type: 'host' } },
        host: { name: input.host },
        message: input.message,
        // ECS: the sender of a log line is log.source.address; source.* is the peer the line is about.
        ...(Object.keys(syslog).length > 0 || input.src !== undefined
          ? { log: { ...(Object.keys(syslog).length > 0 ? { syslog } : {}), ...(input.src !== undefined ? { source: { address: input.src } } : {}) } }
          : {}),
        ...(Object.keys(proc).length > 0 ? { process: proc } : {}),
      };
      break;
    }
    case 'can':
      event = {
        ...base,
        event: { kind: 'event', category: ['network'], type: ['info'], action: 'can-frame', dataset: 'vigil.can' },
        vigil: { kind: 'can', ts, entity: { id: input.vehicle, type: 'vehicle' }, can: decodeCan(input) },
      };
      break;
  }
  // ECS event.sequence: "to make the exact ordering of events unambiguous, regardless of
  // the timestamp precision". Identical messages within one timestamp (a flood of the same
  // CAN frame, the same failed login twice in an RFC 3164 second) stay distinct events.
  if ('seq' in input && input.seq !== undefined && input.kind !== 'bsm') event.event.sequence = input.seq;
  return sealEvent(event, canonicalJson(event));
}

// ---------------------------------------------------------------------------------------
// The hot path: basic safety messages, by far the most frequent input (1–10 Hz per vehicle).

const BSM_FIELDS = new Set(['kind', 'vehicle', 'ts', 'lat', 'lon', 'speed', 'heading', 'accel', 'seq', 'rsu', 'pos_accuracy', 'heading_accuracy']);

/**
 * A well-formed BSM with an epoch-milliseconds timestamp, checked by hand and made into its
 * event with the canonical text written out directly (its member names in RFC 8785 order;
 * entity ids and the ISO timestamp need no escaping, numbers print as `String` does). It
 * accepts only what the `bsm` schema accepts and makes the same event as `normalise`
 * (the tests compare the two on random input); anything else — an unknown or missing field,
 * a wrong type, a value out of range, a string timestamp — returns undefined and takes the
 * schema's path, which words the rejection.
 */
function quickBsm(o: Record<string, unknown>, options: ResolvedValidationOptions): VigilEvent | undefined {
  for (const key in o) if (!BSM_FIELDS.has(key)) return undefined;
  const { vehicle, ts, lat, lon, speed, accel, seq, rsu, pos_accuracy: posAcc, heading_accuracy: headAcc } = o;
  const rawHeading = o.heading;
  if (typeof vehicle !== 'string' || !ENTITY_ID.test(vehicle)) return undefined;
  if (typeof ts !== 'number' || !(ts >= options.minTimestampMs && ts <= options.now() + options.maxFutureMs && ts <= 8.64e15)) return undefined;
  if (typeof lat !== 'number' || !(lat >= -90 && lat <= 90)) return undefined;
  if (typeof lon !== 'number' || !(lon >= -180 && lon <= 180)) return undefined;
  if (typeof speed !== 'number' || !(speed >= 0 && speed <= 1_000)) return undefined;
  if (typeof rawHeading !== 'number' || !(rawHeading >= 0 && rawHeading <= 360)) return undefined;
  const heading = rawHeading === 360 ? 0 : rawHeading;
  if (accel !== undefined && (typeof accel !== 'number' || !(accel >= -100 && accel <= 100))) return undefined;
  if (posAcc !== undefined && (typeof posAcc !== 'number' || !(posAcc > 0 && posAcc <= MAX_POS_ACCURACY_M))) return undefined;
  if (headAcc !== undefined && (typeof headAcc !== 'number' || !(headAcc > 0 && headAcc <= MAX_HEADING_ACCURACY_DEG))) return undefined;
  if (seq !== undefined && (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)) return undefined;
  if (rsu !== undefined && (typeof rsu !== 'string' || !ENTITY_ID.test(rsu))) return undefined;
  const ms = Math.round(ts);
  const at = new Date(ms).toISOString();
  const kinematics: VigilEvent['vigil']['vehicle'] = { lat, lon, speed, heading };
  if (accel !== undefined) kinematics.accel = accel;
  if (seq !== undefined) kinematics.seq = seq;
  if (posAcc !== undefined) kinematics.pos_accuracy = posAcc;
  if (headAcc !== undefined) kinematics.heading_accuracy = headAcc;
  const canonical =
    `{"@timestamp":"${at}","event":{"action":"basic-safety-message","category":["network"],"dataset":"vigil.bsm","kind":"event","type":["info"]}` +
    (rsu === undefined ? '' : `,"observer":{"name":"${rsu}","type":"rsu"}`) +
    `,"vigil":{"entity":{"id":"${vehicle}","type":"vehicle"},"kind":"bsm","ts":${ms},"vehicle":{` +
    (accel === undefined ? '' : `"accel":${accel},`) +
    `"heading":${heading}` +
    (headAcc === undefined ? '' : `,"heading_accuracy":${headAcc}`) +
    `,"lat":${lat},"lon":${lon}` +
    (posAcc === undefined ? '' : `,"pos_accuracy":${posAcc}`) +
    (seq === undefined ? '' : `,"seq":${seq}`) +
    `,"speed":${speed}}}}`;
  const event: VigilEvent = {
    id: sha256Hex(canonical),
    '@timestamp': at,
    event: { kind: 'event', category: ['network'], type: ['info'], action: 'basic-safety-message', dataset: 'vigil.bsm' },
    vigil: { kind: 'bsm', ts: ms, entity: { id: vehicle, type: 'vehicle' }, vehicle: kinematics },
  };
  if (rsu !== undefined) event.observer = { name: rsu, type: 'rsu' };
  return remember(event, canonical);
}

/** J1939 fields of a 29-bit identifier (SAE J1939-21): priority, PGN, destination and source address. */
export function decodeCan(input: Pick<CanInput, 'can_id' | 'data' | 'dlc' | 'iface'>): NonNullable<VigilEvent['vigil']['can']> {
  const id = input.can_id.toUpperCase();
  const data = input.data.toUpperCase();
  const frame: NonNullable<VigilEvent['vigil']['can']> = { id, dlc: input.dlc ?? data.length / 2, data };
  if (input.iface !== undefined) frame.iface = input.iface;
  const raw = Number.parseInt(id, 16);
  if (id.length > 3 && raw <= 0x1fffffff) {
    const pf = (raw >>> 16) & 0xff;
    const ps = (raw >>> 8) & 0xff;
    const dp = (raw >>> 24) & 0x3;
    frame.priority = (raw >>> 26) & 0x7;
    frame.sa = raw & 0xff;
    // PDU1 (PF < 240) carries a destination address in PS; PDU2 uses PS as group extension.
    if (pf < 240) {
      frame.pgn = (dp << 16) | (pf << 8);
      frame.da = ps;
    } else frame.pgn = (dp << 16) | (pf << 8) | ps;
  }
  return frame;
}

// ---------------------------------------------------------------------------------------
// Rejections.

function processOf(name: string | undefined, pid: number | undefined): NonNullable<VigilEvent['process']> {
  const proc: NonNullable<VigilEvent['process']> = {};
  if (name !== undefined) proc.name = name;
  if (pid !== undefined) proc.pid = pid;
  return proc;
}

function fail(code: RejectionCode, message: string, field?: string): ValidationResult {
  return { ok: false, rejection: reject(code, message, field) };
}

function fromZod(error: z.ZodError, raw: unknown): Rejection {
  const issue = error.issues[0];
  if (!issue) return reject('INVALID_FORMAT', 'invalid input');
  const field = issue.path.map(String).join('.');
  const value = valueAt(raw, issue.path);
  const at = field === '' ? '' : `${field}: `;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ');
      return reject('UNKNOWN_FIELD', `${at}unexpected field${issue.keys.length > 1 ? 's' : ''} ${keys}`, field === '' ? issue.keys[0] : `${field}.${issue.keys[0]}`);
    }
    case 'invalid_type':
      if (value === undefined) return reject('MISSING_FIELD', `expected a "${field}" field`, field);
      if (typeof value === 'number' && !Number.isFinite(value)) return reject('NON_FINITE_NUMBER', `${at}expected a finite number, got ${value}`, field);
      return reject('WRONG_TYPE', `${at}expected ${issue.expected}, got ${describe(value)}`, field);
    case 'invalid_union':
      if (value === undefined) return reject('MISSING_FIELD', `expected a "${field}" field`, field);
      if (typeof value === 'number' && !Number.isFinite(value)) return reject('NON_FINITE_NUMBER', `${at}expected a finite number, got ${value}`, field);
      return reject('WRONG_TYPE', `${at}${describe(value)} is not an accepted type`, field);
    case 'too_big':
    case 'too_small':
      if (typeof value === 'string') return reject('OUT_OF_RANGE', `${at}string of length ${value.length}: ${issue.message}`, field);
      return reject('OUT_OF_RANGE', `${at}${issue.message}, got ${describe(value)}`, field);
    case 'invalid_value':
      return reject('INVALID_VALUE', `${at}${issue.message}, got ${describe(value)}`, field);
    case 'invalid_format':
    case 'custom':
      return reject('INVALID_FORMAT', `${at}${issue.message}, got ${describe(value)}`, field);
    default:
      return reject('INVALID_FORMAT', `${at}${issue.message}`, field);
  }
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}
