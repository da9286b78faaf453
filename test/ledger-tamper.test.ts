/**
 * Tampering: any altered byte of any ledger file, a truncated file, a reordered or deleted
 * entry — `vigil verify` fails and names the file, the entry or checkpoint, and the offset.
 */
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger, Ledger, Witness, type AuditReport, type LedgerLogger } from '../ledger/index.js';
import { repoRoot, tempDir, vigilBin } from './helpers.js';

const quiet: LedgerLogger = { info: () => {}, warn: () => {}, error: () => {} };
const FILES = ['entries.log', 'entries.idx', 'checkpoints.log', 'cosignatures.log', 'public.pem', 'private.pem'] as const;
const ROUNDS = 5;
const PER_ROUND = 60;

const tmp = tempDir('vigil-tamper-');
const pristine = join(tmp.dir, 'pristine');
let copies = 0;

beforeAll(async () => {
  // A ledger of five witnessed checkpoints, so every file has content.
  const witness = await Witness.open({ dataDir: join(tmp.dir, 'witness'), logger: quiet });
  const server = await witness.listen(0);
  let now = 1_732_170_000_000;
  const ledger = await Ledger.open({
    dir: pristine,
    checkpointEvery: 1_000_000,
    checkpointIntervalMs: 3_600_000,
    clock: () => (now += 1000),
    logger: quiet,
    witnesses: { urls: [server.url], required: 1 },
  });
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < PER_ROUND; i++) {
      const n = r * PER_ROUND + i;
      const entry =
        n % 10 === 9
          ? { type: 'alert' as const, ts: now, body: { id: `al-${n}`, rule: 'speed-jump', severity: 'high', evidence: [`ev-${n - 1}`] } }
          : { type: 'event' as const, ts: now, body: { id: `ev-${n}`, kind: 'bsm', vehicle: `V-${n % 13}`, lat: 1.35 + n / 1e4, speed: (n % 40) / 2 } };
      ledger.append(entry);
    }
    await ledger.checkpoint();
    await ledger.published(ledger.size - 1);
  }
  await ledger.close();
  await server.close();
});

afterAll(() => tmp.cleanup());

/** A fresh copy of the pristine ledger, altered by `mutate`, audited. */
async function auditAltered(file: string, mutate: (bytes: Buffer) => Buffer): Promise<{ report: AuditReport; dir: string }> {
  const dir = join(tmp.dir, `copy-${copies++}`);
  cpSync(pristine, dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, mutate(readFileSync(path)));
  return { report: await auditLedger(dir), dir };
}

function lines(file: string): { start: number; end: number }[] {
  const buf = readFileSync(join(pristine, file));
  const out: { start: number; end: number }[] = [];
  for (let at = 0; at < buf.length; ) {
    const end = buf.indexOf(0x0a, at);
    out.push({ start: at, end });
    at = end + 1;
  }
  return out;
}

const lineAt = (file: string, pos: number): { index: number; start: number } => {
  const all = lines(file);
  const index = all.findIndex((l) => pos >= l.start && pos <= l.end);
  return { index, start: all[index]!.start };
};

/** Deterministic positions: first, last, and a spread between. */
function samplePositions(size: number, count: number, seed: number): number[] {
  const out = new Set([0, size - 1]);
  let x = seed;
  while (out.size < Math.min(count, size)) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.add(x % size);
  }
  return [...out].sort((a, b) => a - b);
}

describe('a ledger nobody touched', () => {
  it('verifies, with every checkpoint and cosignature', async () => {
    const report = await auditLedger(pristine);
    expect(report).toMatchObject({ ok: true, entries: ROUNDS * PER_ROUND, checkpoints: ROUNDS, cosignatures: ROUNDS, uncommitted: 0 });
  });
});

describe('when a single byte of a ledger file is flipped', () => {
  for (const file of FILES) {
    it(`fails and names the place in ${file}`, async () => {
      const size = readFileSync(join(pristine, file)).length;
      const positions = samplePositions(size, 14, file.length * 7919);
      for (const [n, pos] of positions.entries()) {
        // Alternate a whole-byte flip and a single-bit flip.
        const mask = n % 2 === 0 ? 0xff : 0x01;
        const { report } = await auditAltered(file, (b) => {
          b[pos]! ^= mask;
          return b;
        });
        const where = `${file} byte ${pos} ^ ${mask}`;
        expect(report.ok, where).toBe(false);
        const f = report.failure!;
        expect(f.file, `${where}: ${f.reason}`).toBe(file);
        if (file === 'entries.log') {
          const line = lineAt(file, pos);
          expect(f.entry, where).toBe(line.index);
          expect(f.offset, where).toBe(line.start);
        } else if (file === 'entries.idx') {
          expect(f.entry, where).toBe(Math.floor(pos / 40));
          expect(f.offset, where).toBe(Math.floor(pos / 40) * 40);
        } else if (file === 'checkpoints.log' || file === 'cosignatures.log') {
          const line = lineAt(file, pos);
          expect(f.offset, where).toBe(line.start);
          if (file === 'checkpoints.log') expect(f.checkpoint, where).toBe(line.index);
        }
      }
    });
  }
});

describe('when a file is truncated', () => {
  it('names the first entry entries.log lost', async () => {
    const all = lines('entries.log');
    for (const cut of [all[100]!.start + 5, all[250]!.start, all[299]!.end]) {
      const { report } = await auditAltered('entries.log', (b) => b.subarray(0, cut));
      const line = lineAt('entries.log', cut);
      expect(report.ok).toBe(false);
      expect(report.failure).toMatchObject({ code: 'CORRUPT_ENTRY', file: 'entries.log', entry: line.index, offset: line.start });
    }
  });
  it('names the first entry whose index record is gone', async () => {
    const { report } = await auditAltered('entries.idx', (b) => b.subarray(0, 40 * 123 + 17));
    expect(report.failure).toMatchObject({ code: 'CORRUPT_INDEX', file: 'entries.idx', entry: 123 });
  });
  it('names a torn checkpoint record', async () => {
    const last = lines('checkpoints.log')[ROUNDS - 1]!;
    const { report } = await auditAltered('checkpoints.log', (b) => b.subarray(0, last.start + 40));
    expect(report.failure).toMatchObject({ code: 'CORRUPT_CHECKPOINT', file: 'checkpoints.log', checkpoint: ROUNDS - 1, offset: last.start });
  });
  it('notices whole checkpoint records cut off, by the witnesses’ cosignatures of them', async () => {
    const third = lines('checkpoints.log')[2]!;
    const { report } = await auditAltered('checkpoints.log', (b) => b.subarray(0, third.start));
    expect(report.failure).toMatchObject({ code: 'CORRUPT_CHECKPOINT', file: 'checkpoints.log', offset: third.start, checkpoint: 2 });
    expect(report.failure?.reason).toMatch(/checkpoints were removed/);
  });
  it('names a torn cosignature record', async () => {
    const second = lines('cosignatures.log')[1]!;
    const { report } = await auditAltered('cosignatures.log', (b) => b.subarray(0, second.start + 100));
    expect(report.failure).toMatchObject({ file: 'cosignatures.log', offset: second.start });
  });
});

describe('when entries are moved or removed', () => {
  const rewrite = (edit: (ls: string[]) => void) => (b: Buffer): Buffer => {
    const ls = b.toString('utf8').split('\n');
    edit(ls);
    return Buffer.from(ls.join('\n'));
  };
  it('names the first of two swapped entries', async () => {
    const { report } = await auditAltered('entries.log', rewrite((ls) => ([ls[130], ls[170]] = [ls[170]!, ls[130]!])));
    expect(report.failure).toMatchObject({ code: 'CORRUPT_ENTRY', file: 'entries.log', entry: 130, offset: lines('entries.log')[130]!.start });
  });
  it('names a deleted entry', async () => {
    const { report } = await auditAltered('entries.log', rewrite((ls) => ls.splice(42, 1)));
    expect(report.failure).toMatchObject({ code: 'CORRUPT_ENTRY', file: 'entries.log', entry: 42, offset: lines('entries.log')[42]!.start });
  });
  it('names the first changed checkpoint range when entries and index were rewritten together', async () => {
    const dir = join(tmp.dir, `copy-${copies++}`);
    cpSync(pristine, dir, { recursive: true });
    const entries = readFileSync(join(dir, 'entries.log'), 'utf8').split('\n');
    entries[200] = entries[200]!.replace('"speed":', '"speed":1');
    writeFileSync(join(dir, 'entries.log'), entries.join('\n'));
    // Rebuild a matching index, as a careful forger would.
    const { createHash } = await import('node:crypto');
    const idx = Buffer.alloc(40 * (entries.length - 1));
    let offset = 0;
    for (let i = 0; i < entries.length - 1; i++) {
      idx.writeUInt32BE(0, i * 40);
      idx.writeUInt32BE(offset, i * 40 + 4);
      createHash('sha256').update(Buffer.of(0)).update(entries[i]!).digest().copy(idx, i * 40 + 8);
      offset += Buffer.byteLength(entries[i]!) + 1;
    }
    writeFileSync(join(dir, 'entries.idx'), idx);
    const report = await auditLedger(dir);
    expect(report.failure).toMatchObject({ code: 'CORRUPT_ENTRY', file: 'entries.log', entry: 180, checkpoint: 3, offset: lines('entries.log')[180]!.start });
  });
});

describe('vigil verify', () => {
  const run = promisify(execFile);
  it('exits 0 on a sound ledger', async () => {
    const { stdout } = await run(process.execPath, [vigilBin, 'verify', '--data-dir', pristine, '--key', join(pristine, 'public.pem')], { cwd: repoRoot });
    expect(stdout).toMatch(/^ledger sound: 300 entries under 5 checkpoint/);
  });
  it('exits non-zero naming the bad entry by index and offset', async () => {
    const pos = lines('entries.log')[77]!.start + 12;
    const { dir } = await auditAltered('entries.log', (b) => {
      b[pos]! ^= 0x20;
      return b;
    });
    const result = await run(process.execPath, [vigilBin, 'verify', '--data-dir', dir, '--json'], { cwd: repoRoot }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as AuditReport;
    expect(report.failure).toMatchObject({ file: 'entries.log', entry: 77, offset: lines('entries.log')[77]!.start });
  });
});
