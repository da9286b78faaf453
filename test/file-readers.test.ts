import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecords, type FileReadOptions, type FileRecord, type ReadStats } from '../collectors/file/index.js';
import { readLines, OVERSIZED_PREFIX_BYTES } from '../collectors/file/lines.js';
import { splitCsv } from '../collectors/file/csv.js';
import type { VigilEvent } from '../events/index.js';
import { tempDir } from './helpers.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'file');
const dir = mkdtempSync(join(tmpdir(), 'vigil-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write a generated fixture (text or bytes) and return its path. */
function fixture(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function collect(path: string, options: FileReadOptions): Promise<{ records: FileRecord[]; stats: ReadStats }> {
  const records: FileRecord[] = [];
  let stats: ReadStats | undefined;
  for await (const chunk of readRecords(path, options)) {
    records.push(...chunk.records);
    stats = chunk.stats;
  }
  return { records, stats: stats as ReadStats };
}

const events = (records: FileRecord[]): VigilEvent[] => records.flatMap((r) => (r.result.ok ? [r.result.event] : []));
const rejections = (records: FileRecord[]) => records.flatMap((r) => (r.result.ok ? [] : [{ line: r.line, raw: r.raw, ...r.result.rejection }]));

const NOW = Date.UTC(2024, 10, 21);
const validation = { now: () => NOW };
const tel = (device: string, ts: number, temperature: number) => JSON.stringify({ kind: 'telemetry', device, ts, metrics: { temperature } });

describe('reading lines', () => {
  const chunks = (...parts: Array<string | Buffer>) => Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  const lines = async (stream: Readable, max = 64) => {
    const out = [];
    for await (const c of readLines(stream, max)) out.push(...c.lines);
    return out;
  };

  it('joins a line split across chunks and strips CRLF', async () => {
    const got = await lines(chunks('ab', 'c\r', '\nde\n'));
    expect(got).toEqual([
      { no: 1, text: 'abc' },
      { no: 2, text: 'de' },
    ]);
  });

  it('keeps a last line that has no newline, and makes no line of the empty end after one', async () => {
    expect(await lines(chunks('a\nb'))).toEqual([
      { no: 1, text: 'a' },
      { no: 2, text: 'b' },
    ]);
    expect(await lines(chunks('a\n'))).toEqual([{ no: 1, text: 'a' }]);
  });

  it('rejects an oversized line as TOO_LARGE keeping only a prefix, then reads on', async () => {
    const huge = 'x'.repeat(5000);
    const got = await lines(chunks('ok\n', huge.slice(0, 2000), huge.slice(2000), '\nnext\n'), 100);
    expect(got.map((l) => l.text ?? l.rejection?.code)).toEqual(['ok', 'TOO_LARGE', 'next']);
    const big = got[1];
    expect(big?.raw?.byteLength).toBe(OVERSIZED_PREFIX_BYTES);
    expect(big?.rejection?.message).toMatch(/^line 2: 5000 bytes exceeds the record limit of 100/);
  });

  it('reads past a 256 MB line without holding it, and counts its exact size', async () => {
    const block = Buffer.alloc(64 * 1024, 0x78);
    async function* huge() {
      yield Buffer.from('{"a":1}\n');
      for (let i = 0; i < 4096; i++) yield block; // 256 MiB, never materialised
      yield Buffer.from('\nafter\n');
    }
    const before = process.memoryUsage().rss;
    let peak = before;
    const got = [];
    for await (const c of readLines(huge(), 65_536)) {
      got.push(...c.lines);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(got.map((l) => l.text ?? l.rejection?.code)).toEqual(['{"a":1}', 'TOO_LARGE', 'after']);
    expect(got[1]?.rejection?.message).toContain(`${4096 * 64 * 1024} bytes`);
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('drops a UTF-8 byte-order mark on the first line only', async () => {
    const got = await lines(chunks(Buffer.from([0xef, 0xbb, 0xbf]), 'a,b\n', Buffer.from([0xef, 0xbb, 0xbf]), 'c\n'));
    expect(got[0]?.text).toBe('a,b');
    expect(got[1]?.text).toBe('\ufeffc');
  });
});

describe('NDJSON files', () => {
  const good = [tel('D-1', NOW - 3000, 20.5), tel('D-2', NOW - 2000, 21), tel('D-1', NOW - 1000, 22)];
  const invalidUtf8 = Buffer.concat([Buffer.from('{"kind":"telemetry","device":"D-'), Buffer.from([0xc3, 0x28]), Buffer.from('","ts":1,"metrics":{"a":1}}')]);
  const bad = {
    truncated: '{"kind":"telemetry","device":"D-1","ts":',
    wrongType: JSON.stringify({ kind: 'telemetry', device: 'D-1', ts: NOW, metrics: { temperature: [1] } }),
    oversized: JSON.stringify({ kind: 'log', host: 'h', ts: NOW, message: 'A'.repeat(70_000) }),
  };
  const path = fixture(
    'mixed.ndjson',
    Buffer.concat([
      Buffer.from(`${good[0]}\n${bad.truncated}\n${good[1]}\n\n`),
      invalidUtf8,
      Buffer.from(`\n${bad.wrongType}\r\n${bad.oversized}\n${good[2]}`),
    ]),
  );

  it('turns good lines into events and each bad line into a rejection with its line number', async () => {
    const { records } = await collect(path, { format: 'ndjson', validation });
    expect(events(records).map((e) => e.vigil.entity.id)).toEqual(['D-1', 'D-2', 'D-1']);
    const rejected = rejections(records);
    expect(rejected.map((r) => [r.line, r.code])).toEqual([
      [2, 'INVALID_JSON'],
      [5, 'INVALID_UTF8'],
      [6, 'WRONG_TYPE'],
      [7, 'TOO_LARGE'],
    ]);
    for (const r of rejected) expect(r.message).toMatch(new RegExp(`^line ${r.line}: `));
  });

  it('keeps the verbatim raw of each rejected line (bytes when they are not UTF-8)', async () => {
    const rejected = rejections((await collect(path, { format: 'ndjson', validation })).records);
    expect(rejected[0]?.raw).toBe(bad.truncated);
    expect(Buffer.from(rejected[1]?.raw as Uint8Array).equals(invalidUtf8)).toBe(true);
    expect(rejected[2]?.raw).toBe(bad.wrongType);
  });

  it('counts add up: records = events + rejections, lines = records + blank', async () => {
    const { records, stats } = await collect(path, { format: 'ndjson', validation });
    expect(stats).toMatchObject({ lines: 8, blank: 1, records: 7, events: 3, rejections: 4 });
    expect(records).toHaveLength(stats.events + stats.rejections);
    expect(stats.bytesRead).toBe(stats.totalBytes);
  });

  it('honours a smaller record limit from the validation options', async () => {
    const { records } = await collect(path, { format: 'ndjson', validation: { ...validation, maxRecordBytes: 40 } });
    // every line but the truncated one (40 bytes) is over the limit
    expect(rejections(records).map((r) => r.code)).toEqual(['TOO_LARGE', 'INVALID_JSON', 'TOO_LARGE', 'TOO_LARGE', 'TOO_LARGE', 'TOO_LARGE', 'TOO_LARGE']);
  });

  it('streams a file much larger than the record limit without holding it', async () => {
    const many = fixture('many.ndjson', Array.from({ length: 20_000 }, (_, i) => tel(`D-${i % 7}`, NOW - 100_000 + i, i)).join('\n'));
    let chunks = 0;
    let last: ReadStats | undefined;
    for await (const chunk of readRecords(many, { format: 'ndjson', validation: { ...validation, maxRecordBytes: 256 } })) {
      chunks += 1;
      last = chunk.stats;
    }
    expect(last?.events).toBe(20_000);
    expect(chunks).toBeGreaterThan(2);
  });
});

describe('CSV with a column mapping', () => {
  const path = fixture(
    'sensors.csv',
    [
      'time,id,temp,note,door',
      `${NOW - 2000},S-1,21.5,"warm, dry",true`,
      `2024-11-20T10:00:00Z,S-2,-3,"said ""hi""",false`,
      `${NOW - 1000},S-3,hot,plain,true`,
      `${NOW - 900},,20,missing device,true`,
      `${NOW - 800},S-4,19`,
      `${NOW - 700},S-5,18,"a note`,
      `that spans two lines",true`,
    ].join('\r\n'),
  );
  const map = 'ts=time,device=id,metrics.temperature=temp,metrics.note=note,metrics.door=door';

  it('maps columns onto input fields, with numbers, booleans and quoted text typed', async () => {
    const { records } = await collect(path, { format: 'csv', kind: 'telemetry', map, validation });
    const [first, second] = events(records);
    expect(first?.vigil.metrics).toEqual({ temperature: 21.5, note: 'warm, dry', door: true });
    expect(second?.vigil.metrics).toEqual({ temperature: -3, note: 'said "hi"', door: false });
    expect(second?.['@timestamp']).toBe('2024-11-20T10:00:00.000Z');
  });

  it('reads a quoted field that spans lines as one record starting on its first line', async () => {
    const { records } = await collect(path, { format: 'csv', map, validation });
    const last = records[records.length - 1];
    expect(last?.line).toBe(7);
    expect(last?.result.ok && last.result.event.vigil.metrics?.['note']).toBe('a note\nthat spans two lines');
  });

  it('rejects a row missing a required field, and a row of the wrong width, with their lines', async () => {
    const { records, stats } = await collect(path, { format: 'csv', map, validation });
    expect(rejections(records).map((r) => [r.line, r.code])).toEqual([
      [5, 'MISSING_FIELD'],
      [6, 'PARSE_ERROR'],
    ]);
    expect(stats.records).toBe(stats.events + stats.rejections);
    expect(stats.events).toBe(4);
  });

  it('keeps text where a number was expected, so validation reports the wrong type', async () => {
    const bsmPath = fixture('bsm.csv', `v,t,la,lo,s,h\nV-1,${NOW},1.3,103.8,fast,90\n`);
    const { records } = await collect(bsmPath, { format: 'csv', kind: 'bsm', map: 'vehicle=v,ts=t,lat=la,lon=lo,speed=s,heading=h', validation });
    expect(rejections(records)[0]).toMatchObject({ line: 2, code: 'WRONG_TYPE', field: 'speed' });
  });

  it('uses the header names as fields when no mapping is given', async () => {
    const plain = fixture('plain.csv', `device,ts,metrics.rpm\nD-9,${NOW},3000\n`);
    expect(events((await collect(plain, { format: 'csv', validation })).records)[0]?.vigil.metrics).toEqual({ rpm: 3000 });
  });

  it('fails at the start, naming the option, when the mapping names a missing column or an unknown field', async () => {
    await expect(collect(path, { format: 'csv', map: 'ts=time,device=nope', validation })).rejects.toThrow(/--map: device=nope: .*no column "nope"/);
    await expect(collect(path, { format: 'csv', map: 'colour=temp', validation })).rejects.toThrow(/--map: "colour" is no input field/);
    await expect(collect(path, { format: 'csv', map: 'ts', validation })).rejects.toThrow(/expected target=column/);
  });

  it('rejects a stray opening quote on its own line and reads the following lines again', async () => {
    const stray = fixture('stray.csv', `device,ts,metrics.x\nD-1,${NOW},"oops\nD-2,${NOW},2\nD-3,${NOW},3\n`);
    const { records } = await collect(stray, { format: 'csv', validation });
    expect(rejections(records).map((r) => [r.line, r.code])).toEqual([[2, 'PARSE_ERROR']]);
    expect(events(records).map((e) => e.vigil.entity.id)).toEqual(['D-2', 'D-3']);
  });

  it('splits RFC 4180 fields, and stops extracting after a field limit', () => {
    expect(splitCsv('a,"b,c","d""e",')).toEqual({ fields: ['a', 'b,c', 'd"e', ''] });
    expect(splitCsv('a,"b')).toEqual({ open: true });
    expect(splitCsv('"a"x,b')).toHaveProperty('error');
    expect(splitCsv('a,b,"secret, answer",x', 2)).toEqual({ fields: ['a', 'b'] });
  });
});

describe('candump logs', () => {
  it('reads the padded form relative to --start and decodes J1939 fields', async () => {
    const start = Date.UTC(2024, 0, 1);
    const { records, stats } = await collect(join(FIXTURES, 'normal.candump'), { format: 'candump', entity: 'truck-7', start, validation });
    expect(stats).toMatchObject({ records: 5, events: 5, rejections: 0 });
    const evs = events(records);
    expect(evs[1]?.vigil).toMatchObject({
      kind: 'can',
      ts: start + 5,
      entity: { id: 'truck-7', type: 'vehicle' },
      can: { id: '18FEDF00', pgn: 65247, priority: 6, sa: 0, dlc: 8, data: '8AA0287D7DFFFFF5', iface: 'can0' },
    });
    // PDU1 (PF 0xE0 < 240): the PS byte is a destination address
    expect(evs[2]?.vigil.can).toMatchObject({ pgn: 0xe000, da: 0xff, sa: 0 });
    expect(evs[3]?.vigil.ts).toBe(start + 1250);
    expect(evs[4]?.vigil.can).toEqual({ id: '123', dlc: 2, data: '0102', iface: 'can0' });
  });

  it('keeps identical frames captured within one millisecond as distinct events (a flood is counted whole)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'flood.candump');
      const frame = (us: string) => ` (000.${us})  can0  18FEDF00   [8]  8A A0 28 7D 7D FF FF F5`;
      writeFileSync(path, [frame('005001'), frame('005101'), frame('005401'), frame('006501')].join('\n'));
      const { records, stats } = await collect(path, { format: 'candump', entity: 'truck-7', start: Date.UTC(2024, 0, 1), validation });
      expect(stats).toMatchObject({ records: 4, events: 4, rejections: 0 });
      const evs = events(records);
      expect(evs.map((e) => e.event.sequence)).toEqual([0, 1, 2, 0]);
      expect(new Set(evs.map((e) => e.id)).size).toBe(4);
    } finally {
      cleanup();
    }
  });

  it('reads the compact form with absolute epoch seconds, RTR frames included', async () => {
    const { records } = await collect(join(FIXTURES, 'compact.candump'), { format: 'candump', entity: 'bus-1', start: 0, validation });
    const evs = events(records);
    expect(evs.map((e) => e.vigil.ts)).toEqual([1_600_000_000_000, 1_600_000_000_010, 1_600_000_000_020, 1_600_000_000_030]);
    expect(evs[0]?.vigil.can).toMatchObject({ id: '18FEDF00', pgn: 65247, data: '8AA0287D7DFFFFF5' });
    expect(evs[2]?.vigil.can).toMatchObject({ iface: 'vcan1', dlc: 3, pgn: 0xea00, da: 0xff });
    expect(evs[3]?.vigil.can).toMatchObject({ id: '123', data: '', dlc: 0 });
  });

  it('rejects malformed frames line by line: garbage, odd hex, a short payload, a bad id', async () => {
    const path = fixture(
      'bad.log',
      [
        ' (000.000000)  can0  18FEDF00   [8]  8A A0 28 7D 7D FF FF F5',
        'not a frame',
        ' (000.001000)  can0  18FEDF00   [8]  8A A0 2',
        ' (000.002000)  can0  18FEDF00   [8]  8A A0',
        '(1600000000.000000) can0 18FEDF00#8AA0Z',
        '(1600000000.000000) can0 1FFFFFFFF#00',
        ' (000.003000)  can0  0CF00400   [8]  F0 7D 82 D0 0F FF F0 7D',
      ].join('\n'),
    );
    const { records, stats } = await collect(path, { format: 'candump', entity: 'truck-7', validation });
    expect(rejections(records).map((r) => [r.line, r.code])).toEqual([
      [2, 'PARSE_ERROR'],
      [3, 'PARSE_ERROR'],
      [4, 'PARSE_ERROR'],
      [5, 'PARSE_ERROR'],
      [6, 'PARSE_ERROR'],
    ]);
    expect(stats).toMatchObject({ records: 7, events: 2, rejections: 5 });
  });

  it('names the vehicle after the file when no entity is given', async () => {
    const { records } = await collect(join(FIXTURES, 'normal.candump'), { format: 'candump', validation });
    expect(events(records)[0]?.vigil.entity.id).toBe('can-normal');
  });
});

describe('options', () => {
  it('fails at the start with a non-retriable error for a missing file or a bad entity', async () => {
    await expect(collect(join(dir, 'absent.ndjson'), { format: 'ndjson' })).rejects.toMatchObject({ code: 'SOURCE_UNREADABLE', retriable: false });
    await expect(collect(join(FIXTURES, 'normal.candump'), { format: 'candump', entity: 'no spaces' })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(collect(join(FIXTURES, 'normal.candump'), { format: 'candump', map: 'a=b' })).rejects.toThrow(/--map applies to --format csv only/);
  });
});
