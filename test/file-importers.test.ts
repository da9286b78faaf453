import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  importDataset,
  importJ1939,
  importOdds,
  importTonIot,
  readRecords,
  type DatasetFormat,
  type FileRecord,
  type ImportOptions,
  type LabelledLine,
} from '../collectors/file/index.js';
import { parseJsonRecord, resolveValidationOptions } from '../events/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'file');
const DATASETS = join(import.meta.dirname, '..', '..', 'shared', 'datasets');
const dir = mkdtempSync(join(tmpdir(), 'vigil-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function all(iterable: AsyncIterable<LabelledLine>): Promise<LabelledLine[]> {
  const out: LabelledLine[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
const inputOf = (l: LabelledLine) => JSON.parse(l.line) as Record<string, unknown> & { metrics: Record<string, unknown> };
const validation = resolveValidationOptions();

describe('the TON_IoT importer', () => {
  it('makes telemetry of the device named by the file, with UTC times from padded date and time', async () => {
    const rows = await all(importTonIot(join(FIXTURES, 'Train_Test_IoT_Fridge.csv')));
    expect(rows).toHaveLength(5);
    expect(inputOf(rows[0] as LabelledLine)).toEqual({
      kind: 'telemetry',
      device: 'ton-iot-fridge',
      ts: Date.UTC(2019, 3, 25, 19, 19, 40),
      metrics: { fridge_temperature: 9, temp_condition: 'high', seq: 0 },
    });
    expect(inputOf(rows[3] as LabelledLine).ts).toBe(Date.UTC(2019, 2, 31, 12, 36, 55));
  });

  it('keeps label and type out of the events and in the labels', async () => {
    const rows = await all(importTonIot(join(FIXTURES, 'Train_Test_IoT_Fridge.csv')));
    for (const row of rows) expect(row.line).not.toMatch(/label|type|ddos|normal/);
    expect(rows.map((r) => r.label)).toEqual([
      { id: rows[0]?.label.id, label: 'attack', attack: 'ddos' },
      { id: rows[1]?.label.id, label: 'attack', attack: 'ddos' },
      { id: rows[2]?.label.id, label: 'attack', attack: 'ddos' },
      { id: rows[3]?.label.id, label: 'normal' },
      { id: rows[4]?.label.id, label: 'normal' },
    ]);
  });

  it('makes identical rows at the same second distinct events through seq', async () => {
    const rows = await all(importTonIot(join(FIXTURES, 'Train_Test_IoT_Fridge.csv')));
    expect(rows.slice(0, 3).map((r) => inputOf(r).metrics['seq'])).toEqual([0, 1, 0]);
    expect(new Set(rows.map((r) => r.label.id)).size).toBe(rows.length);
  });

  it("labels each line with the id the line's event gets", async () => {
    for (const row of await all(importTonIot(join(FIXTURES, 'Train_Test_IoT_Fridge.csv')))) {
      const parsed = parseJsonRecord(row.line, validation);
      expect(parsed.ok && parsed.event.id).toBe(row.label.id);
    }
  });

  it('keeps categorical readings as trimmed strings', async () => {
    const rows = await all(importTonIot(join(FIXTURES, 'Train_Test_IoT_Motion_Light.csv')));
    expect(rows.map((r) => inputOf(r).metrics['light_status'])).toEqual(['off', 'on', 'off', 'on', 'off']);
    expect(inputOf(rows[2] as LabelledLine)).toMatchObject({ device: 'ton-iot-motion-light', ts: Date.UTC(2019, 3, 26, 8, 3, 11) });
    expect(rows[2]?.label).toMatchObject({ label: 'attack', attack: 'scanning' });
  });

  it('rejects a row with an impossible date or label and reads on', async () => {
    const path = join(dir, 'Train_Test_IoT_Fridge.csv');
    writeFileSync(path, 'date,time,fridge_temperature,temp_condition,label,type\n31-Apr-19,10:00:00,1,low,0,normal\n25-Apr-19,10:00:00,1,low,maybe,normal\n25-Apr-19,10:00:01,1,low,0,normal\n');
    const rejected: FileRecord[] = [];
    const rows = await all(importTonIot(path, { onRejection: (r) => rejected.push(r) }));
    expect(rows).toHaveLength(1);
    expect(rejected.map((r) => [r.line, !r.result.ok && r.result.rejection.code])).toEqual([
      [2, 'TIMESTAMP_OUT_OF_RANGE'],
      [3, 'PARSE_ERROR'],
    ]);
  });

  it('refuses a file without the TON_IoT columns', async () => {
    const path = join(dir, 'Train_Test_IoT_Weather.csv');
    writeFileSync(path, 'when,temperature\n1,2\n');
    await expect(all(importTonIot(path))).rejects.toThrow(/not a TON_IoT device file: expected columns date, time, label and type/);
  });
});

describe('the J1939 importer', () => {
  const tsc1 = join(FIXTURES, 'labeled_TSC1.csv');

  it('makes can frames with hex ids from the decimal column, times from --start', async () => {
    const start = Date.UTC(2023, 5, 1);
    const rows = await all(importJ1939(tsc1, { start }));
    expect(rows.map(inputOf)[0]).toEqual({ kind: 'can', vehicle: 'j1939-tsc1', ts: start, can_id: '0CF00C03', data: '1804FA2BFFFFFFFF', dlc: 8, iface: 'can0' });
    expect(rows.map((r) => inputOf(r).ts)).toEqual([start, start + 1, start + 2, start + 14_975, start + 15_000]);
    expect(inputOf(rows[3] as LabelledLine)).toMatchObject({ can_id: '0C00000B' });
    expect(rows.map((r) => r.label.attack)).toEqual([undefined, undefined, undefined, 'high_torque_command', 'high_torque_command']);
  });

  it('never reads the columns after label: changing them changes no event', async () => {
    const original = readFileSync(tsc1, 'utf8').split('\n');
    const tampered = original
      .map((line, i) => {
        if (i === 0 || line === '') return line;
        const cut = line.indexOf(',normal,') >= 0 ? line.indexOf(',normal,') + ',normal'.length : line.indexOf(',high_torque_command,') + ',high_torque_command'.length;
        return `${line.slice(0, cut)},"totally, different",x,"""q""",,,,,`;
      })
      .join('\n');
    const path = join(dir, 'labeled_TSC1.csv');
    writeFileSync(path, tampered);
    const a = await all(importJ1939(tsc1));
    const b = await all(importJ1939(path));
    expect(b).toEqual(a);
    for (const row of a) expect(row.line).not.toMatch(/Torque Request|rule|application/);
  });

  it('keeps the rule columns out of the raw of a rejected row', async () => {
    const path = join(dir, 'labeled_bad.csv');
    const header = readFileSync(tsc1, 'utf8').split('\n')[0];
    writeFileSync(path, `${header}\n1.0,can0,not-an-id,8,00,3,0,0,PDU1,0,TSC1,0.0,11,high_torque_command,Hazardous Low Torque Request,rule,usage,high,application,the answer,,\n`);
    const rejected: FileRecord[] = [];
    await all(importJ1939(path, { onRejection: (r) => rejected.push(r) }));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.raw).toBe('1.0,can0,not-an-id,8,00,3,0,0,PDU1,0,TSC1,0.0,11,high_torque_command');
    const result = rejected[0]?.result;
    expect(result?.ok === false && result.rejection).toMatchObject({ code: 'INVALID_FORMAT', field: 'can_id' });
  });
});

describe('the ODDS importer', () => {
  it('makes f0…fN metrics of odds-<name> at increasing synthetic times, labelled from the labels file', async () => {
    const rows = await all(importOdds(join(FIXTURES, 'tiny.csv'), { start: 1_700_000_000_000, stepMs: 500 }));
    expect(inputOf(rows[4] as LabelledLine)).toEqual({ kind: 'telemetry', device: 'odds-tiny', ts: 1_700_000_002_000, metrics: { f0: -1.5, f1: 2000, f2: 0.25, f3: 7, f4: 8 } });
    expect(rows.map((r) => r.label.label)).toEqual(['attack', 'normal', 'normal', 'normal', 'attack']);
    expect(rows[0]?.label.attack).toBe('outlier');
    // rows 3 and 4 have equal features: still two events
    expect(new Set(rows.map((r) => r.label.id)).size).toBe(5);
  });

  it('rejects rows without a label, non-numeric features, and labels without a row', async () => {
    const features = join(dir, 'short.csv');
    writeFileSync(features, '1,2\n3,x\n5,6\n7,8\n');
    writeFileSync(join(dir, 'short_labels.csv'), '0\n0\n2\n');
    const rejected: FileRecord[] = [];
    const rows = await all(importOdds(features, { onRejection: (r) => rejected.push(r) }));
    expect(rows).toHaveLength(1);
    expect(rejected.map((r) => [r.line, !r.result.ok && r.result.rejection.code])).toEqual([
      [2, 'WRONG_TYPE'],
      [3, 'PARSE_ERROR'],
      [4, 'PARSE_ERROR'],
    ]);
    writeFileSync(join(dir, 'short_labels.csv'), '0\n0\n0\n0\n1\n');
    const extra: FileRecord[] = [];
    await all(importOdds(features, { onRejection: (r) => extra.push(r) }));
    expect(extra.map((r) => !r.result.ok && r.result.rejection.message)).toContain('line 5: short_labels.csv line 5 has no features row');
  });

  it('fails at once when the labels file is missing', async () => {
    const features = join(dir, 'alone.csv');
    writeFileSync(features, '1,2\n');
    await expect(all(importOdds(features))).rejects.toThrow(/alone_labels\.csv: cannot open/);
  });
});

/**
 * The real data sets in ../shared/datasets, when present (a fresh clone passes without
 * them). Expected counts are the README's, except where the files differ from it (noted).
 */
const present = existsSync(DATASETS);
describe.skipIf(!present)('on the public data sets in ../shared/datasets', () => {
  const cases: Array<{ format: DatasetFormat; file: string; rows: number; normal: number; attacks: Record<string, number>; options?: ImportOptions }> = [
    {
      format: 'ton-iot',
      file: 'ton_iot/Train_Test_IoT_Fridge.csv',
      rows: 39_944,
      normal: 15_000,
      attacks: { ddos: 5000, backdoor: 5000, injection: 5000, password: 5000, ransomware: 2902, xss: 2042 },
    },
    { format: 'ton-iot', file: 'ton_iot/Train_Test_IoT_GPS_Tracker.csv', rows: 38_960, normal: 15_000, attacks: { ddos: 5000, backdoor: 5000, injection: 5000, password: 5000, ransomware: 2833, xss: 577, scanning: 550 } },
    { format: 'ton-iot', file: 'ton_iot/Train_Test_IoT_Garage_Door.csv', rows: 39_587, normal: 15_000, attacks: { ddos: 5000, backdoor: 5000, injection: 5000, password: 5000, ransomware: 2902, xss: 1156, scanning: 529 } },
    { format: 'ton-iot', file: 'ton_iot/Train_Test_IoT_Modbus.csv', rows: 31_106, normal: 15_000, attacks: { backdoor: 5000, injection: 5000, password: 5000, xss: 577, scanning: 529 } },
    { format: 'ton-iot', file: 'ton_iot/Train_Test_IoT_Motion_Light.csv', rows: 39_488, normal: 15_000, attacks: { ddos: 5000, backdoor: 5000, injection: 5000, password: 5000, ransomware: 2264, scanning: 1775, xss: 449 } },
    { format: 'ton-iot', file: 'ton_iot/Train_Test_IoT_Thermostat.csv', rows: 32_774, normal: 15_000, attacks: { backdoor: 5000, injection: 5000, password: 5000, ransomware: 2264, xss: 449, scanning: 61 } },
    {
      format: 'ton-iot',
      file: 'ton_iot/Train_Test_IoT_Weather.csv',
      rows: 39_260,
      normal: 15_000,
      attacks: { ddos: 5000, backdoor: 5000, injection: 5000, password: 5000, ransomware: 2865, xss: 866, scanning: 529 },
    },
    // The README says 20,643 normal frames; the file holds 20,645 (21,568 rows).
    { format: 'j1939', file: 'j1939/labeled_TSC1.csv', rows: 21_568, normal: 20_645, attacks: { high_torque_command: 923 } },
    // The README says 15,720 normal frames; the file holds 15,721.
    { format: 'j1939', file: 'j1939/labeled_address_claim.csv', rows: 15_723, normal: 15_721, attacks: { spoofed_address_claim: 2 } },
    // 49,097 rows, 7.15% outliers; 1,831 rows, 9.6% outliers.
    { format: 'odds', file: 'odds/shuttle.csv', rows: 49_097, normal: 45_586, attacks: { outlier: 3511 } },
    { format: 'odds', file: 'odds/cardio.csv', rows: 1_831, normal: 1_655, attacks: { outlier: 176 } },
  ];

  for (const c of cases) {
    it(`imports every row of ${c.file} as a distinct, labelled event`, async () => {
      const rejected: FileRecord[] = [];
      const counts: Record<string, number> = {};
      const ids = new Set<string>();
      for await (const row of importDataset(c.format, join(DATASETS, c.file), { onRejection: (r) => rejected.push(r) })) {
        ids.add(row.label.id);
        const key = row.label.attack ?? 'normal';
        counts[key] = (counts[key] ?? 0) + 1;
      }
      expect(rejected).toEqual([]);
      expect(ids.size).toBe(c.rows);
      expect(counts).toEqual({ normal: c.normal, ...c.attacks });
    });
  }

  it('reads the three candump captures without a rejection', async () => {
    for (const [file, lines] of [
      ['normal.log', 19_957],
      ['dos_1ms.log', 28_074],
      ['fuzz_1ms_ID_and_Data.log', 28_596],
    ] as const) {
      let last;
      for await (const chunk of readRecords(join(DATASETS, 'j1939', file), { format: 'candump', entity: 'truck' })) last = chunk.stats;
      expect(last).toMatchObject({ records: lines, events: lines, rejections: 0 });
    }
  });
});
if (!present) {
  describe('on the public data sets', () => {
    it.skip(`skipped: ${DATASETS} is absent (see ../shared/datasets/README.md)`, () => {});
  });
}
