/**
 * CSV with a column mapping: each row becomes one input object of a fixed kind, then is
 * validated like any other input, so a wrong cell becomes the same typed rejection a wrong
 * JSON field would (WRONG_TYPE, MISSING_FIELD, …).
 */
import { INPUT_KINDS, reject, type InputKind, type ResolvedValidationOptions } from '../../../events/index.js';
import { CollectorError } from '../../errors.js';
import type { CsvItem } from '../csv.js';
import { CsvConverter } from './csv-converter.js';
import type { FileRecord } from '../types.js';
import { converted, failed, isNumeric } from './common.js';

/** Input fields a column can fill (every format's, see events/validate.ts), plus `metrics.<name>`. */
const FIELDS = new Set([
  'kind', 'vehicle', 'device', 'host', 'ts', 'lat', 'lon', 'speed', 'heading', 'accel', 'seq', 'rsu',
  'src', 'dst', 'dport', 'sport', 'proto', 'bytes', 'packets', 'user', 'outcome', 'method',
  'message', 'app', 'pid', 'facility', 'severity', 'msgid', 'version', 'can_id', 'data', 'dlc', 'iface',
]);
/** Fields whose cells are read as numbers (a cell that is not one stays text, and is rejected as WRONG_TYPE). */
const NUMERIC = new Set(['lat', 'lon', 'speed', 'heading', 'accel', 'seq', 'dport', 'sport', 'bytes', 'packets', 'pid', 'facility', 'severity', 'version', 'dlc']);
const METRIC = /^metrics\.([A-Za-z0-9_.-]{1,64})$/;

/** Parse `target=column,target=column`. Throws a CollectorError naming the bad pair. */
export function parseColumnMap(spec: string | Readonly<Record<string, string>>): Map<string, string> {
  const pairs: Array<[string, string]> =
    typeof spec === 'string'
      ? spec
          .split(',')
          .filter((p) => p.trim() !== '')
          .map((pair) => {
            const eq = pair.indexOf('=');
            if (eq <= 0 || eq === pair.length - 1) {
              throw new CollectorError('BAD_OPTION', `--map: expected target=column, got ${JSON.stringify(pair)}`, false);
            }
            return [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
          })
      : Object.entries(spec);
  const map = new Map<string, string>();
  for (const [target, column] of pairs) {
    checkTarget(target, '--map');
    if (map.has(target)) throw new CollectorError('BAD_OPTION', `--map: ${target} is mapped twice`, false);
    map.set(target, column);
  }
  if (map.size === 0) throw new CollectorError('BAD_OPTION', '--map: expected at least one target=column pair', false);
  return map;
}

function checkTarget(target: string, where: string): void {
  if (!FIELDS.has(target) && !METRIC.test(target)) {
    throw new CollectorError(
      'BAD_OPTION',
      `${where}: ${JSON.stringify(target)} is no input field (expected one of ${[...FIELDS].join(', ')}, or metrics.<name>)`,
      false,
    );
  }
}

export class MappedCsvConverter extends CsvConverter {
  private columns: Array<{ target: string; index: number }> | undefined;
  private width = 0;

  constructor(
    private readonly validation: ResolvedValidationOptions,
    private readonly map: Map<string, string> | undefined,
    private readonly kind: InputKind,
    private readonly file: string,
  ) {
    super(validation.maxRecordBytes);
    if (!(INPUT_KINDS as readonly string[]).includes(kind)) {
      throw new CollectorError('BAD_OPTION', `--kind: expected one of ${INPUT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`, false);
    }
  }

  protected take(item: CsvItem, out: FileRecord[]): void {
    if (item.fields === undefined) out.push(failed(item.line, item.raw, item.rejection));
    else if (this.columns === undefined) this.header(item.fields, item.line);
    else out.push(this.row(item.line, item.raw, item.fields));
  }

  private header(names: string[], line: number): void {
    const trimmed = names.map((n) => n.trim());
    this.width = names.length;
    if (this.map === undefined) {
      for (const name of trimmed) checkTarget(name, `${this.file}: header column`);
      this.columns = trimmed.map((target, index) => ({ target, index }));
      return;
    }
    this.columns = [...this.map].map(([target, column]) => {
      const index = trimmed.indexOf(column);
      if (index === -1) {
        throw new CollectorError(
          'BAD_OPTION',
          `--map: ${target}=${column}: the header (line ${line}) of ${this.file} has no column ${JSON.stringify(column)}`,
          false,
        );
      }
      return { target, index };
    });
  }

  private row(line: number, raw: string, fields: string[]): FileRecord {
    if (fields.length !== this.width) {
      return failed(line, raw, reject('PARSE_ERROR', `expected ${this.width} fields as in the header, got ${fields.length}`));
    }
    const input: Record<string, unknown> = { kind: this.kind };
    let metrics: Record<string, unknown> | undefined;
    for (const { target, index } of this.columns ?? []) {
      const cell = (fields[index] ?? '').trim();
      // An empty cell is an absent field: optional ones may be left out, required ones are reported missing.
      if (cell === '') continue;
      const metric = METRIC.exec(target);
      if (metric) {
        metrics ??= {};
        metrics[metric[1] as string] = cell === 'true' ? true : cell === 'false' ? false : isNumeric(cell) ? Number(cell) : cell;
      } else if (NUMERIC.has(target) || (target === 'ts' && /^\d+(\.\d+)?$/.test(cell))) {
        input[target] = isNumeric(cell) ? Number(cell) : cell;
      } else input[target] = cell;
    }
    if (metrics !== undefined) input['metrics'] = metrics;
    return converted(line, raw, input, this.validation);
  }
}
