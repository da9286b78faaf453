/**
 * Reading the ledger's append-only files in pieces (forwards, backwards, the tail), so that
 * opening and proving never read a whole file: checked against a plain split of the same
 * bytes, at piece sizes small enough to put boundaries everywhere.
 */
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTail, scanLines, scanLinesBackward } from '../ledger/files.js';
import { seededRandom, tempDir } from './helpers.js';

const tmp = tempDir('vigil-ledger-files-');
afterAll(() => tmp.cleanup());


let fileNo = 0;
function withFile<T>(bytes: Buffer, use: (fd: number) => T): T {
  const path = join(tmp.dir, `f${fileNo++}`);
  writeFileSync(path, bytes);
  const fd = openSync(path, 'r');
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

/** Lines of random lengths (some empty, some longer than the piece size), maybe a torn tail. */
function sample(rand: () => number): { bytes: Buffer; lines: string[]; torn: string } {
  const lines = Array.from({ length: Math.floor(rand() * 40) }, (_, i) => `${i}:${'x'.repeat(Math.floor(rand() < 0.1 ? rand() * 200 : rand() * 12))}`);
  if (rand() < 0.2) lines.splice(Math.floor(rand() * lines.length), 0, '');
  const torn = rand() < 0.3 ? `torn${'y'.repeat(Math.floor(rand() * 30))}` : '';
  return { bytes: Buffer.from(lines.map((l) => `${l}\n`).join('') + torn), lines, torn };
}

describe('reading line by line in pieces', () => {
  it('forwards: every complete line with its offset, the torn rest counted', () => {
    const rand = seededRandom(1);
    for (let round = 0; round < 300; round++) {
      const { bytes, lines, torn } = sample(rand);
      const chunk = 1 + Math.floor(rand() * 40);
      const seen: { line: string; offset: number }[] = [];
      const scan = withFile(bytes, (fd) => scanLines(fd, 0, bytes.length, (b, s, e, offset) => void seen.push({ line: b.toString('utf8', s, e), offset }), chunk));
      expect(seen.map((x) => x.line)).toEqual(lines);
      for (const x of seen) expect(bytes.toString('utf8', x.offset, x.offset + x.line.length)).toBe(x.line);
      expect(scan).toEqual({ lines: lines.length, end: bytes.length - torn.length, rest: torn.length });
    }
  });

  it('backwards: the complete lines last first, with their offsets; the end of the last complete one', () => {
    const rand = seededRandom(2);
    for (let round = 0; round < 300; round++) {
      const { bytes, lines, torn } = sample(rand);
      const chunk = 1 + Math.floor(rand() * 40);
      const seen: { line: string; offset: number }[] = [];
      const end = withFile(bytes, (fd) => scanLinesBackward(fd, (b, s, e, offset) => void seen.push({ line: b.toString('utf8', s, e), offset }), chunk));
      expect(seen.map((x) => x.line)).toEqual([...lines].reverse());
      for (const x of seen) expect(bytes.toString('utf8', x.offset, x.offset + x.line.length + 1)).toBe(`${x.line}\n`);
      expect(end).toBe(bytes.length - torn.length);
    }
  });

  it('backwards stops when told to', () => {
    const bytes = Buffer.from('a\nbb\nccc\ndddd\n');
    const seen: string[] = [];
    withFile(bytes, (fd) => scanLinesBackward(fd, (b, s, e) => (seen.push(b.toString('utf8', s, e)), seen.length < 2), 3));
    expect(seen).toEqual(['dddd', 'ccc']);
  });

  it('the tail: whole lines only, at least as many as asked when the file has them', () => {
    const rand = seededRandom(3);
    for (let round = 0; round < 300; round++) {
      const { bytes, lines } = sample(rand);
      const want = 1 + Math.floor(rand() * 4);
      const { buf, offset } = withFile(bytes, (fd) => readTail(fd, want, 1 + Math.floor(rand() * 30)));
      expect(buf.equals(bytes.subarray(offset))).toBe(true);
      expect(offset === 0 || bytes[offset - 1] === 0x0a).toBe(true);
      const newlines = buf.toString('utf8').split('\n').length - 1;
      expect(newlines).toBeGreaterThanOrEqual(Math.min(want, lines.length));
    }
  });
});
