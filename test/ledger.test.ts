/**
 * The writer's behaviour: appends, checkpoints, durability, keys, recovery, proofs.
 */
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  auditLedger,
  entryHash,
  Ledger,
  openSnapshot,
  parsePublicKey,
  verifyBundle,
  type LedgerEntry,
  type LedgerLogger,
} from '../ledger/index.js';
import { fingerprint, IdIndex } from '../ledger/id-index.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dataDir(): string {
  const t = tempDir('vigil-ledger-');
  cleanups.push(t.cleanup);
  return t.dir;
}

function event(i: number): LedgerEntry {
  return { type: 'event', ts: 1_732_170_000_000 + i, body: { id: `ev-${i}`, kind: 'bsm', vehicle: `V-${i % 7}`, speed: i / 3 } };
}

/** A logger that keeps what it is told, for assertions. */
function recordingLogger(): LedgerLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}

/** Options that never cut a checkpoint on their own, so tests decide when. */
const manual = { checkpointEvery: 1_000_000, checkpointIntervalMs: 3_600_000 };

describe('appending', () => {
  it('returns the entry index and the hash an alert quotes', async () => {
    const ledger = await Ledger.open({ dir: dataDir(), ...manual, logger: recordingLogger() });
    const a = ledger.append(event(0));
    const b = ledger.append({ type: 'action', ts: 5, body: { id: 'act-1', actor: 'analyst:kim', action: 'triage:false-positive', target: 'al-9' } });
    expect({ index: a.index, leafHash: a.leafHash }).toEqual({ index: 0, leafHash: entryHash(event(0)) });
    expect(JSON.parse(JSON.stringify(b))).toEqual({ index: 1, leafHash: b.leafHash });
    expect(b.index).toBe(1);
    expect(ledger.size).toBe(2);
    await ledger.close();
  });

  it('refuses an invalid entry and appends nothing from a batch holding one', async () => {
    const ledger = await Ledger.open({ dir: dataDir(), ...manual, logger: recordingLogger() });
    const bad = [
      { type: 'note', ts: 1, body: { id: 'x' } },
      { type: 'event', ts: -1, body: { id: 'x' } },
      { type: 'event', ts: 1, body: { kind: 'no id' } },
      { type: 'event', ts: 1, body: { id: 'x', speed: NaN } },
      { type: 'action', ts: 1, body: { id: 'x', action: 'close' } },
      { type: 'model', ts: 1, body: { id: 'm', hash: 'not-hex' } },
    ] as unknown as LedgerEntry[];
    for (const entry of bad) expect(() => ledger.append(entry), JSON.stringify(entry)).toThrow(expect.objectContaining({ code: 'INVALID_ENTRY' }) as Error);
    expect(() => ledger.appendMany([event(1), bad[0]!])).toThrow(expect.objectContaining({ code: 'INVALID_ENTRY' }) as Error);
    expect(ledger.size).toBe(0);
    await ledger.close();
  });

  it('gives the same entry hash whatever the order of the body fields', () => {
    const a = entryHash({ type: 'alert', ts: 1, body: { id: 'al-1', score: 0.93, rule: 'ghost-vehicle' } });
    const b = entryHash({ type: 'alert', ts: 1, body: { rule: 'ghost-vehicle', id: 'al-1', score: 0.93 } });
    expect(a).toBe(b);
  });
});

describe('checkpoints', () => {
  it('reports an entry committed only once a checkpoint covering it is on disk', async () => {
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    const { index } = ledger.append(event(0));
    let committed = false;
    const done = ledger.committed(index).then((cp) => {
      committed = true;
      return cp;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(committed).toBe(false);
    void ledger.checkpoint();
    const cp = await done;
    expect(cp.size).toBe(1);
    // By then the checkpoint record is in the file.
    expect(readFileSync(join(dir, 'checkpoints.log'), 'utf8')).toContain(cp.signature);
    await ledger.close();
  });

  it('cuts one every checkpointEvery entries', async () => {
    const ledger = await Ledger.open({ dir: dataDir(), checkpointEvery: 100, checkpointIntervalMs: 3_600_000, logger: recordingLogger() });
    const sizes: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) ledger.append(event(round * 100 + i));
      sizes.push((await ledger.committed(ledger.size - 1)).size);
    }
    expect(sizes).toEqual([100, 200, 300, 400, 500]);
    await ledger.close();
  });

  it('cuts one after checkpointIntervalMs when fewer entries came', async () => {
    const ledger = await Ledger.open({ dir: dataDir(), checkpointEvery: 1_000_000, checkpointIntervalMs: 25, logger: recordingLogger() });
    ledger.append(event(0));
    const cp = await ledger.committed(0);
    expect(cp.size).toBe(1);
    await ledger.close();
  });

  it('chains each checkpoint to the one before and signs it with the exported key', async () => {
    const dir = dataDir();
    let now = 1_000;
    const ledger = await Ledger.open({ dir, ...manual, clock: () => (now += 10), logger: recordingLogger() });
    ledger.append(event(0));
    const first = await ledger.checkpoint();
    ledger.append(event(1));
    const second = await ledger.checkpoint();
    expect(first.prev).toBe('0'.repeat(64));
    expect(second.prev).not.toBe(first.prev);
    expect(second.ts).toBeGreaterThan(first.ts);
    const pem = readFileSync(join(dir, 'public.pem'), 'utf8');
    expect(pem).toBe(ledger.publicKeyPem);
    expect(Buffer.from(parsePublicKey(pem)).equals(Buffer.from(ledger.publicKey))).toBe(true);
    await ledger.close();
  });

  it('writes the private key readable by its owner only', async () => {
    const dir = dataDir();
    await (await Ledger.open({ dir, logger: recordingLogger() })).close();
    expect(statSync(join(dir, 'private.pem')).mode & 0o777).toBe(0o600);
  });
});

describe('reopening', () => {
  it('keeps the same key, entries and checkpoints', async () => {
    const dir = dataDir();
    const first = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    first.appendMany([event(0), event(1), event(2)]);
    await first.close();
    const again = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    expect(again.size).toBe(3);
    expect(Buffer.from(again.publicKey).equals(Buffer.from(first.publicKey))).toBe(true);
    again.append(event(3));
    await again.close();
    expect((await auditLedger(dir)).entries).toBe(4);
  });

  it('refuses a second writer on the same directory', async () => {
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, logger: recordingLogger() });
    await expect(Ledger.open({ dir, logger: recordingLogger() })).rejects.toThrow(/another writer/);
    await ledger.close();
  });

  it('names a bad option', async () => {
    await expect(Ledger.open({ dir: dataDir(), checkpointEvery: 0 })).rejects.toThrow(/option checkpointEvery/);
    await expect(Ledger.open({ dir: dataDir(), witnesses: { urls: ['ftp://x'] } })).rejects.toThrow(/option witnesses.urls/);
  });
});

describe('when the writer stopped after its last checkpoint', () => {
  it('drops the uncovered entries and a torn checkpoint, and says how many and why', async () => {
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    ledger.appendMany([event(0), event(1)]);
    await ledger.close();
    // What a crash leaves: entries written but never checkpointed, half a checkpoint record.
    appendFileSync(join(dir, 'entries.log'), `${JSON.stringify(event(2))}\n${JSON.stringify(event(3))}\n{"body":`);
    appendFileSync(join(dir, 'entries.idx'), Buffer.alloc(40));
    appendFileSync(join(dir, 'checkpoints.log'), '{"origin":"vigil/');
    const logger = recordingLogger();
    const reopened = await Ledger.open({ dir, ...manual, logger });
    expect(reopened.size).toBe(2);
    expect(logger.lines.join('\n')).toMatch(/dropped a torn checkpoint record/);
    expect(logger.lines.join('\n')).toMatch(/dropped 3 trailing entries .* because no durable checkpoint covers them/);
    await reopened.close();
    expect((await auditLedger(dir)).ok).toBe(true);
  });

  it('refuses to open when entries a checkpoint covers are gone', async () => {
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    ledger.appendMany([event(0), event(1)]);
    await ledger.close();
    const entries = readFileSync(join(dir, 'entries.log'));
    writeFileSync(join(dir, 'entries.log'), entries.subarray(0, 10));
    await expect(Ledger.open({ dir, logger: recordingLogger() })).rejects.toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }) as Error);
  });

  it('recovers a ledger larger than one read: trailing entries counted, the index rebuilt, piece by piece', async () => {
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    const pad = 'q'.repeat(300);
    const receipts: ReturnType<Ledger['append']>[] = [];
    for (let i = 0; i < 40_000; i++) receipts.push(ledger.append({ type: 'event', ts: i, body: { id: `e-${i}`, pad } }));
    await ledger.close();
    // Uncovered trailing entries (a crash before the next checkpoint) and a lost index.
    appendFileSync(join(dir, 'entries.log'), `${'{"x":1}\n'.repeat(5)}{"torn`);
    writeFileSync(join(dir, 'entries.idx'), Buffer.alloc(0));
    const logger = recordingLogger();
    const reopened = await Ledger.open({ dir, logger });
    const said = logger.lines.join('\n');
    expect(said).toMatch(/dropped 6 trailing entries/);
    expect(said).toMatch(/rebuilding it/);
    expect(statSync(join(dir, 'entries.idx')).size).toBe(40_000 * 40);
    for (const i of [0, 20_971, 39_999]) expect((await reopened.prove(i)).leafHash).toBe(receipts[i]!.leafHash);
    await reopened.close();
    expect((await auditLedger(dir)).ok).toBe(true);
  });

  it('rebuilds a damaged index from the entries, which the signed root vouches for', async () => {
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    ledger.appendMany([event(0), event(1), event(2)]);
    await ledger.close();
    const idx = readFileSync(join(dir, 'entries.idx'));
    idx[50]! ^= 0xff;
    writeFileSync(join(dir, 'entries.idx'), idx);
    const logger = recordingLogger();
    const reopened = await Ledger.open({ dir, logger });
    expect(logger.lines.join('\n')).toMatch(/rebuilding it/);
    await reopened.close();
    expect((await auditLedger(dir)).ok).toBe(true);
  });
});

describe('proving', () => {
  it('gives a bundle that verifies with the public key alone, by index or by body id', async () => {
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    for (let i = 0; i < 1000; i++) ledger.append(event(i));
    const alert = ledger.append({ type: 'alert', ts: 9, body: { id: 'al-7', rule: 'replay', evidence: ['ev-3', 'ev-4'] } });
    for (let i = 1000; i < 1100; i++) ledger.append(event(i));
    const byIndex = await ledger.prove(alert.index);
    const byId = await ledger.proveById('al-7');
    expect(byId).toEqual(byIndex);
    expect(byIndex.leafHash).toBe(alert.leafHash);
    expect(byIndex.checkpoint.size).toBe(1101);
    const result = verifyBundle(JSON.parse(JSON.stringify(byIndex)), readFileSync(join(dir, 'public.pem'), 'utf8'));
    expect(result.ok).toBe(true);
    expect(await ledger.indexOf('ev-1050')).toBe(1051);
    ledger.append({ type: 'event', ts: 1, body: { id: 'late' } });
    expect(await ledger.indexOf('late')).toBe(1101);
    await expect(ledger.proveById('never')).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND' }) as Error);
    await ledger.close();
  });
});

/** Two ids with the same 32-bit fingerprint, found by search (a birthday collision among ~100k ids). */
function collidingIds(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const id = `ev-${i}`;
    const other = seen.get(fingerprint(id));
    if (other !== undefined) return [other, id];
    seen.set(fingerprint(id), id);
  }
}

describe('a writer that keeps only recent tree nodes and offsets in memory', () => {
  it('proves old entries from entries.idx, before and after reopening', async () => {
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    // More than two 32,768-node chunks: the oldest leaves and offsets are no longer in memory.
    const receipts: ReturnType<Ledger['append']>[] = [];
    for (let i = 0; i < 100_000; i++) receipts.push(ledger.append(event(i)));
    await ledger.checkpoint();
    const publicKey = readFileSync(join(dir, 'public.pem'), 'utf8');
    const check = async (l: Ledger): Promise<void> => {
      for (const i of [0, 1, 31, 32_767, 32_768, 65_537, 99_999]) {
        const bundle = await l.prove(i);
        expect(bundle.leafHash).toBe(receipts[i]!.leafHash);
        expect(bundle.entry).toEqual(event(i));
        expect(verifyBundle(JSON.parse(JSON.stringify(bundle)), publicKey).ok, `entry ${i}`).toBe(true);
      }
    };
    await check(ledger);
    await ledger.close();
    const reopened = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    await check(reopened);
    await reopened.close();
    // vigil prove's snapshot does the same over the index it recomputes into a temporary file.
    const snapshot = await openSnapshot(dir);
    try {
      for (const i of [0, 32_767, 65_537, 99_999]) {
        const bundle = snapshot.prove(i);
        expect(bundle.leafHash).toBe(receipts[i]!.leafHash);
        expect(verifyBundle(JSON.parse(JSON.stringify(bundle)), publicKey).ok, `snapshot entry ${i}`).toBe(true);
      }
      expect(snapshot.indexOf('ev-12345')).toBe(12_345);
    } finally {
      snapshot.close();
    }
  });
});

describe('the id index', () => {
  it('lists every leaf with the fingerprint, in leaf order, across rehashes', () => {
    const [a, b] = collidingIds();
    const ids = new IdIndex();
    for (let i = 0; i < 5000; i++) ids.add(i % 1000 === 0 ? b : `x-${i}`);
    ids.add(a);
    expect(ids.size).toBe(5001);
    expect(ids.candidates(a)).toEqual([0, 1000, 2000, 3000, 4000, 5000]); // b's leaves collide with a's
    expect(ids.candidates('x-4321')).toContain(4321);
    expect(ids.candidates('never-added')).toEqual([]);
  });

  it('finds the first entry with an id, confirms fingerprint collisions on disk, and reads entries.log in pieces', async () => {
    const [a, b] = collidingIds();
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    // About 13 MB of entries: more than one 8 MB piece of the index scan.
    const pad = 'p'.repeat(200);
    for (let i = 0; i < 60_000; i++) ledger.append({ type: 'event', ts: i, body: { id: `e-${i}`, pad } });
    ledger.append({ type: 'event', ts: 1, body: { id: b } });
    ledger.append({ type: 'event', ts: 2, body: { id: a } });
    ledger.append({ type: 'event', ts: 3, body: { id: 'e-5' } }); // a repeated id: the first one counts
    const building = ledger.indexOf(a);
    ledger.append({ type: 'alert', ts: 4, body: { id: 'during-build' } }); // appended while the index is built
    expect(await building).toBe(60_001);
    expect(await ledger.indexOf(b)).toBe(60_000);
    expect(await ledger.indexOf('e-5')).toBe(5);
    expect(await ledger.indexOf('e-59999')).toBe(59_999);
    expect(await ledger.indexOf('during-build')).toBe(60_003);
    ledger.append({ type: 'event', ts: 5, body: { id: 'after' } });
    expect(await ledger.indexOf('after')).toBe(60_004);
    expect(await ledger.indexOf('e-60000')).toBeUndefined();
    await ledger.close();
    // A reopened ledger builds the index from the files alone.
    const reopened = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    expect(await reopened.indexOf(a)).toBe(60_001);
    expect(await reopened.indexOf('after')).toBe(60_004);
    await reopened.close();
  });
});

describe('a read-only snapshot (vigil prove)', () => {
  it('reads entries.log in pieces: ids across piece boundaries, a line longer than a piece, nested ids', async () => {
    const dir = dataDir();
    const ledger = await Ledger.open({ dir, ...manual, logger: recordingLogger() });
    const pad = 'p'.repeat(300);
    const hashes: string[] = [];
    for (let i = 0; i < 40_000; i++) hashes.push(ledger.append({ type: 'event', ts: i, body: { id: `e-${i}`, pad } }).leafHash);
    hashes.push(ledger.append({ type: 'alert', ts: 1, body: { id: 'decoy', about: { id: 'target' } } }).leafHash);
    hashes.push(ledger.append({ type: 'event', ts: 2, body: { id: 'huge', pad: 'h'.repeat(9 << 20) } }).leafHash);
    hashes.push(ledger.append({ type: 'event', ts: 3, body: { id: 'target' } }).leafHash);
    ledger.append({ type: 'event', ts: 4, body: { id: 'last' } });
    await ledger.close(); // cuts the final checkpoint
    const publicKey = readFileSync(join(dir, 'public.pem'), 'utf8');
    // The entry that straddles the first 8 MB boundary of entries.log.
    const text = readFileSync(join(dir, 'entries.log'));
    const lineStart = text.lastIndexOf(0x0a, 8 << 20) + 1;
    const straddling = (JSON.parse(text.toString('utf8', lineStart, text.indexOf(0x0a, lineStart))) as LedgerEntry).body['id'] as string;

    const snapshot = await openSnapshot(dir);
    try {
      expect(snapshot.checkpoint.size).toBe(40_004);
      for (const [id, index] of [['e-0', 0], [straddling, Number(straddling.slice(2))], ['e-39999', 39_999], ['decoy', 40_000], ['huge', 40_001], ['target', 40_002]] as const) {
        expect(snapshot.indexOf(id)).toBe(index);
        const bundle = snapshot.proveById(id);
        expect(bundle.leafIndex).toBe(index);
        expect(bundle.leafHash).toBe(hashes[index]);
        expect(verifyBundle(JSON.parse(JSON.stringify(bundle)), publicKey).ok).toBe(true);
      }
      expect(snapshot.indexOf('last')).toBe(40_003);
      expect(snapshot.indexOf('e-40000')).toBeUndefined();
    } finally {
      snapshot.close();
    }
  });
});
