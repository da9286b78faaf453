/**
 * Vigil's ledger formats read by the reference implementations, and the other way round:
 * the Go program in test/interop/ opens Vigil's signed checkpoint notes with
 * golang.org/x/mod/sumdb/note and transparency-dev/formats (the log's Ed25519 signature and
 * a witness's cosignature/v1), and checks Vigil's inclusion and consistency proofs with
 * transparency-dev/merkle; it then builds proofs with merkle's reference tree over Vigil's
 * own entry encodings, which Vigil's verifier must accept. Any disagreement is a bug in
 * Vigil until shown otherwise. Every negative case is a valid one mutated.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cosign,
  encodeEntry,
  entryHash,
  formatCheckpointNote,
  Ledger,
  logKeyId,
  nodeHasher,
  verifyConsistency,
  verifyInclusion,
  witnessKeyId,
  type Checkpoint,
  type LedgerEntry,
} from '../ledger/index.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { repoRoot, tempDir } from './helpers.js';

const goDir = join(repoRoot, 'test', 'interop');
const hasGo = spawnSync('go', ['version']).status === 0;
if (!hasGo) console.warn('interop-go: skipped — the `go` command is not installed (.ci/run installs Go on CI machines that lack it)');

interface Report {
  notes: Array<{ ok: boolean; origin?: string; size?: number; root?: string; extensions?: string; verified?: string[]; error?: string }>;
  inclusion: string[];
  consistency: string[];
  produced?: {
    roots: Record<string, string>;
    leaf_hashes: string[];
    inclusion: Array<{ index: number; size: number; leaf_hash: string; proof: string[]; root: string }>;
    consistency: Array<{ size1: number; size2: number; root1: string; root2: string; proof: string[] }>;
  };
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const flipHex = (h: string, at = 0) => h.slice(0, at) + ((parseInt(h[at]!, 16) ^ 1).toString(16)) + h.slice(at + 1);

function event(i: number): LedgerEntry {
  // Non-ASCII text and fractional numbers: the encodings where canonical JSON goes wrong.
  return { type: 'event', ts: 1_732_170_000_000 + i, body: { id: `ev-${i}`, kind: 'bsm', vehicle: `V-${i % 13}`, speed: i / 7, note: i % 5 === 0 ? 'Straße — 東京' : 'ok' } };
}

describe.skipIf(!hasGo)('the Go reference implementations and Vigil agree', () => {
  const tmp = tempDir('vigil-interop-');
  let bin = '';
  let ledger: Ledger;
  let cp300: Checkpoint;
  let cp1000: Checkpoint;
  const entries = Array.from({ length: 1000 }, (_, i) => event(i));
  const witnessSecret = new Uint8Array(randomBytes(32));
  const witnessName = 'witness.example/interop';

  beforeAll(async () => {
    bin = join(tmp.dir, 'interop');
    // Downloads the modules pinned in go.sum through the Go module proxy on first use.
    execFileSync('go', ['build', '-o', bin, '.'], { cwd: goDir, stdio: 'pipe', timeout: 240_000 });
    ledger = await Ledger.open({ dir: join(tmp.dir, 'ledger'), checkpointEvery: 1_000_000, checkpointIntervalMs: 3_600_000 });
    ledger.appendMany(entries.slice(0, 300));
    cp300 = await ledger.checkpoint();
    ledger.appendMany(entries.slice(300));
    cp1000 = await ledger.checkpoint();
  }, 300_000);
  afterAll(async () => {
    await ledger?.close();
    tmp.cleanup();
  });

  const run = (input: unknown): Report => {
    const out = execFileSync(bin, { input: JSON.stringify(input), stdio: ['pipe', 'pipe', 'pipe'] });
    return JSON.parse(out.toString()) as Report;
  };
  const keys = () => {
    const pub = ledger.publicKey;
    const wpub = ed25519.getPublicKey(witnessSecret);
    return {
      origin: cp1000.origin,
      log_vkey: `${cp1000.origin}+${logKeyId(cp1000.origin, pub)}+${b64(Uint8Array.from([0x01, ...pub]))}`,
      witness_vkeys: [`${witnessName}+${witnessKeyId(witnessName, wpub)}+${b64(Uint8Array.from([0x04, ...wpub]))}`],
    };
  };

  it('opens a signed checkpoint note and a witness cosignature, and reads the body as Vigil wrote it', () => {
    const cosig = cosign(cp1000, witnessName, witnessSecret, 1_800_000_000);
    const note = formatCheckpointNote(cp1000, [cosig]);
    const [r] = run({ ...keys(), notes: [note] }).notes;
    expect(r).toMatchObject({ ok: true, origin: cp1000.origin, size: 1000, root: cp1000.root });
    expect(r!.verified).toEqual([cp1000.origin, witnessName]);
    // Vigil's two extension lines come through as the checkpoint's "other data".
    expect(r!.extensions).toBe(`prev ${cp1000.prev}\ntime ${cp1000.ts}\n`);
  });

  it('refuses a note whose body, log signature or origin was changed', () => {
    const note = formatCheckpointNote(cp1000);
    const bodyChanged = note.replace(`\n1000\n`, `\n1001\n`);
    const sigLine = note.split('\n').find((l) => l.startsWith('— '))!;
    const sig = Buffer.from(sigLine.split(' ')[2]!, 'base64');
    sig[10]! ^= 0x01;
    const sigChanged = note.replace(sigLine, `— ${cp1000.origin} ${sig.toString('base64')}`);
    const report = run({ ...keys(), notes: [note, bodyChanged, sigChanged] });
    expect(report.notes.map((n) => n.ok)).toEqual([true, false, false]);
    const otherOrigin = run({ ...keys(), origin: 'some/other-log', notes: [note] });
    expect(otherOrigin.notes[0]).toMatchObject({ ok: false });
    expect(otherOrigin.notes[0]!.error).toMatch(/Origin/);
  });

  it("verifies Vigil's inclusion proofs and refuses mutated ones", async () => {
    const cases = [];
    for (const index of [0, 1, 299, 511, 512, 998, 999]) {
      const b = await ledger.prove(index);
      cases.push({ index, size: b.checkpoint.size, leaf_hash: b.leafHash, proof: b.inclusionProof, root: b.checkpoint.root });
    }
    const good = cases[3]!;
    const bad = [
      { ...good, proof: good.proof.map((h, i) => (i === 2 ? flipHex(h) : h)) },
      { ...good, proof: good.proof.slice(0, -1) },
      { ...good, index: good.index + 1 },
      { ...good, root: flipHex(good.root, 5) },
      { ...good, leaf_hash: entryHash(entries[512]!) },
    ];
    const report = run({ ...keys(), inclusion: [...cases, ...bad] });
    expect(report.inclusion.slice(0, cases.length)).toEqual(cases.map(() => 'ok'));
    for (const verdict of report.inclusion.slice(cases.length)) expect(verdict).not.toBe('ok');
  });

  it("verifies Vigil's consistency proofs between two checkpoints and refuses mutated ones", () => {
    const proof = ledger.consistencyProof(300, 1000);
    const good = { size1: 300, size2: 1000, root1: cp300.root, root2: cp1000.root, proof };
    const small = ledger.consistencyProof(1, 300);
    const cases = [good, { size1: 1, size2: 300, root1: entryHash(entries[0]!), root2: cp300.root, proof: small }];
    const bad = [
      { ...good, proof: proof.map((h, i) => (i === 0 ? flipHex(h) : h)) },
      { ...good, proof: proof.slice(1) },
      { ...good, root1: flipHex(good.root1) },
      { ...good, size1: 299 },
    ];
    const report = run({ ...keys(), consistency: [...cases, ...bad] });
    expect(report.consistency.slice(0, 2)).toEqual(['ok', 'ok']);
    for (const verdict of report.consistency.slice(2)) expect(verdict).not.toBe('ok');
  });

  it("hashes Vigil's entry encodings as Vigil does, and Vigil accepts the reference tree's proofs", () => {
    const leaves = entries.map((e) => Buffer.from(encodeEntry(e), 'utf8').toString('hex'));
    const inclusion: Array<[number, number]> = [[0, 1], [0, 1000], [7, 300], [299, 300], [640, 1000], [999, 1000]];
    const consistency: Array<[number, number]> = [[1, 1000], [300, 1000], [511, 512], [512, 1000], [999, 1000]];
    const produced = run({ ...keys(), produce: { leaves, inclusion, consistency } }).produced!;
    expect(produced.leaf_hashes).toEqual(entries.map((e) => entryHash(e)));
    expect(produced.roots['300']).toBe(cp300.root);
    expect(produced.roots['1000']).toBe(cp1000.root);
    for (const p of produced.inclusion) {
      expect(() => verifyInclusion(nodeHasher, p.index, p.size, fromHex(p.leaf_hash), p.proof.map(fromHex), fromHex(p.root))).not.toThrow();
      const tampered = p.proof.length > 0 ? p.proof.map((h, i) => (i === 0 ? flipHex(h) : h)) : [p.leaf_hash];
      expect(() => verifyInclusion(nodeHasher, p.index, p.size, fromHex(p.leaf_hash), tampered.map(fromHex), fromHex(p.root))).toThrow();
    }
    for (const p of produced.consistency) {
      expect(() => verifyConsistency(nodeHasher, p.size1, p.size2, p.proof.map(fromHex), fromHex(p.root1), fromHex(p.root2))).not.toThrow();
      expect(() => verifyConsistency(nodeHasher, p.size1, p.size2, p.proof.map(fromHex), fromHex(p.root2), fromHex(p.root1))).toThrow();
    }
    // And they are the very proofs Vigil makes itself.
    const mine = produced.consistency.find((p) => p.size1 === 300)!;
    expect(mine.proof).toEqual(ledger.consistencyProof(300, 1000));
  });
});
