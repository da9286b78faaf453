/**
 * Sigma logsource and field mapping, in the manner of pySigma processing pipelines: a
 * rule's `logsource` (product / service / category) decides which Vigil event kinds it can
 * see and which extra conditions those events must meet, and the rule's field names are
 * mapped onto Vigil's (ECS) fields. The mapping is data (mappings/vigil.yml, documented
 * there and versioned by its `version`), so a deployment adds its own sources without code.
 *
 * A rule that names a logsource or a field Vigil has no source for still loads (an
 * analyst sees it and why), but is marked as unable to fire, with what is missing.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DetectorError } from '../errors.js';

/** A Sigma field mapped onto a Vigil field, optionally with its values translated. */
export interface FieldTarget {
  field: string;
  /** Sigma value (as text, lower case) → Vigil value; a value absent here never matches. */
  values?: Record<string, string | number | boolean>;
}

export interface LogsourceEntry {
  match: { product?: string; service?: string; category?: string };
  kinds: string[];
  conditions?: Record<string, unknown>;
  fields?: Record<string, FieldTarget>;
  /** Sigma field → the value every event of this source has. */
  constants?: Record<string, unknown>;
}

export interface SigmaMapping {
  name: string;
  version: number;
  fields: Record<string, FieldTarget>;
  logsources: LogsourceEntry[];
  /** Event kind → field names (or prefixes) its events carry; `common` for every kind. */
  produces: Record<string, string[]>;
  placeholders: Record<string, string[]>;
}

/** What a rule's logsource resolves to. */
export interface ResolvedLogsource {
  kinds: string[];
  conditions?: Record<string, unknown>;
  /** The mapped field for a Sigma field name (identity when unmapped). */
  field(name: string): FieldTarget;
  /** Sigma fields with one value for every event of this source. */
  constants: Readonly<Record<string, unknown>>;
  /** Whether events of these kinds carry `field` (a mapped name). */
  produces(field: string): boolean;
}

/** Fields every rule may read whatever its source: computed features and the model's score. */
const ALWAYS = ['features.', 'vigil.score'];

/** Vigil's default mapping (mappings/vigil.yml). */
export const DEFAULT_MAPPING_FILE = new URL('./mappings/vigil.yml', import.meta.url);

let defaultMapping: SigmaMapping | undefined;

export function defaultSigmaMapping(): SigmaMapping {
  defaultMapping ??= parseMapping(readFileSync(DEFAULT_MAPPING_FILE, 'utf8'), 'mappings/vigil.yml');
  return defaultMapping;
}

/** Parses and checks a mapping file; a bad file is a BAD_OPTION error naming what is wrong. */
export function parseMapping(text: string, name = 'mapping'): SigmaMapping {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new DetectorError('BAD_OPTION', `${name}: not YAML`, { cause: err });
  }
  const fail = (what: string): never => {
    throw new DetectorError('BAD_OPTION', `${name}: ${what}`);
  };
  if (!isMap(doc)) return fail('expected a map with fields, logsources and produces');
  if (doc.version !== 1) fail(`version must be 1, got ${JSON.stringify(doc.version)}`);
  const logsources = Array.isArray(doc.logsources) ? doc.logsources : fail('logsources must be a list');
  const entries = logsources.map((e: unknown, i: number): LogsourceEntry => {
    if (!isMap(e) || !isMap(e.match) || !Array.isArray(e.kinds)) return fail(`logsources[${i}] needs match and kinds`);
    const entry: LogsourceEntry = { match: stringMap(e.match), kinds: e.kinds.map(String) };
    if (isMap(e.conditions)) entry.conditions = e.conditions;
    if (isMap(e.fields)) entry.fields = fieldMap(e.fields, `${name}: logsources[${i}].fields`);
    if (isMap(e.constants)) entry.constants = e.constants;
    return entry;
  });
  const produces: Record<string, string[]> = {};
  if (isMap(doc.produces)) for (const [k, v] of Object.entries(doc.produces)) produces[k] = Array.isArray(v) ? v.map(String) : fail(`produces.${k} must be a list`);
  const placeholders: Record<string, string[]> = {};
  if (isMap(doc.placeholders)) for (const [k, v] of Object.entries(doc.placeholders)) placeholders[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  return {
    name: typeof doc.name === 'string' ? doc.name : name,
    version: 1,
    fields: isMap(doc.fields) ? fieldMap(doc.fields, `${name}: fields`) : {},
    logsources: entries,
    produces,
    placeholders,
  };
}

/**
 * Layers mappings: the first mapping's logsource entries are tried first, its fields and
 * placeholders win, and what each kind produces is the union.
 */
export function combineMappings(mappings: readonly SigmaMapping[]): SigmaMapping {
  if (mappings.length === 1) return mappings[0]!;
  const out: SigmaMapping = { name: mappings.map((m) => m.name).join('+'), version: 1, fields: {}, logsources: [], produces: {}, placeholders: {} };
  for (const m of [...mappings].reverse()) {
    Object.assign(out.fields, m.fields);
    Object.assign(out.placeholders, m.placeholders);
    for (const [k, v] of Object.entries(m.produces)) out.produces[k] = [...new Set([...(out.produces[k] ?? []), ...v])];
  }
  out.logsources = mappings.flatMap((m) => m.logsources);
  return out;
}

/** The entry for a rule's logsource, or undefined when the mapping has no source for it. */
export function resolveLogsource(mapping: SigmaMapping, logsource: unknown): ResolvedLogsource | undefined {
  const ls = isMap(logsource) ? stringMap(logsource) : {};
  // '*' accepts anything; a key the entry leaves out must be absent from the rule too, so
  // { product: linux } is Linux's logs in general, not its process creations.
  const entry = mapping.logsources.find((e) =>
    (['product', 'service', 'category'] as const).every((k) => e.match[k] === '*' || e.match[k]?.toLowerCase() === ls[k]?.toLowerCase()),
  );
  // A rule with no logsource at all sees every kind (Vigil's own rules may omit it).
  if (!entry && Object.keys(ls).length > 0) return undefined;
  const kinds = entry?.kinds ?? Object.keys(mapping.produces).filter((k) => k !== 'common');
  const carried = [...(mapping.produces.common ?? []), ...kinds.flatMap((k) => mapping.produces[k] ?? [])];
  const local = entry?.fields ?? {};
  const resolved: ResolvedLogsource = {
    kinds,
    field: (name) => local[name] ?? mapping.fields[name] ?? { field: name },
    constants: entry?.constants ?? {},
    produces: (field) => ALWAYS.some((p) => field.startsWith(p)) || carried.some((c) => field === c || field.startsWith(`${c}.`)),
  };
  if (entry?.conditions) resolved.conditions = entry.conditions;
  return resolved;
}

/** The mapping's field for a name, for correlation rules (which have no logsource). */
export function mapField(mapping: SigmaMapping, name: string): string {
  return mapping.fields[name]?.field ?? name;
}

function fieldMap(m: Record<string, unknown>, where: string): Record<string, FieldTarget> {
  const out: Record<string, FieldTarget> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'string') out[k] = { field: v };
    else if (isMap(v) && typeof v.field === 'string') {
      const t: FieldTarget = { field: v.field };
      if (isMap(v.values)) {
        t.values = {};
        for (const [a, b] of Object.entries(v.values)) t.values[a.toLowerCase()] = typeof b === 'number' || typeof b === 'boolean' ? b : String(b);
      }
      out[k] = t;
    } else throw new DetectorError('BAD_OPTION', `${where}.${k}: expected a field name or {field, values}`);
  }
  return out;
}

function stringMap(m: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'string') out[k] = v;
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
