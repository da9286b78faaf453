/**
 * The auditor's side: an evidence bundle verified offline with the public key alone, each
 * step reported; every kind of mutation fails at the step it should; the verifier bundles
 * for a browser; `vigil prove` and `vigil verify-proof` work end to end.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, verifyBundle, type EvidenceBundle, type LedgerLogger, type VerificationStepName } from '../ledger/index.js';
import { repoRoot, tempDir, vigilBin } from './helpers.js';

const quiet: LedgerLogger = { info: () => {}, warn: () => {}, error: () => {} };
const tmp = tempDir('vigil-verifier-');
const dir = join(tmp.dir, 'ledger');
let bundle: EvidenceBundle;
let publicKeyPem: string;

beforeAll(async () => {
  const ledger = await Ledger.open({ dir, checkpointEvery: 1_000_000, checkpointIntervalMs: 3_600_000, logger: quiet });
  for (let i = 0; i < 777; i++) ledger.append({ type: 'event', ts: 1_700_000_000_000 + i, body: { id: `ev-${i}`, device: `D-${i % 9}`, bytes: i * 10 } });
  const alert = ledger.append({ type: 'alert', ts: 1_700_000_001_000, body: { id: 'al-42', rule: 'telnet-scan', evidence: ['ev-1', 'ev-2'], score: 0.97 } });
  for (let i = 777; i < 1000; i++) ledger.append({ type: 'event', ts: 1_700_000_002_000 + i, body: { id: `ev-${i}`, device: 'D-1', bytes: i } });
  bundle = JSON.parse(JSON.stringify(await ledger.prove(alert.index))) as EvidenceBundle;
  publicKeyPem = ledger.publicKeyPem;
  await ledger.close();
});
afterAll(() => tmp.cleanup());

const clone = (): EvidenceBundle => JSON.parse(JSON.stringify(bundle)) as EvidenceBundle;
const flipHex = (h: string, at = 10): string => h.slice(0, at) + (h[at] === '0' ? '1' : '0') + h.slice(at + 1);
const failedStep = (b: unknown, key: string = publicKeyPem): VerificationStepName | undefined =>
  verifyBundle(b, key).steps.find((s) => s.outcome === 'failed')?.step;

describe('an untouched evidence bundle', () => {
  it('verifies with the public key alone, reporting every step', () => {
    const result = verifyBundle(bundle, publicKeyPem);
    expect(result.ok).toBe(true);
    expect(result.steps.map((s) => [s.step, s.outcome])).toEqual([
      ['bundle', 'passed'],
      ['entry', 'passed'],
      ['inclusion', 'passed'],
      ['checkpoint', 'passed'],
      ['cosignatures', 'skipped'],
    ]);
    expect(result.leafHash).toBe(bundle.leafHash);
  });
});

describe('when the bundle is altered', () => {
  const cases: [string, (b: EvidenceBundle) => void, VerificationStepName][] = [
    ['the entry body changes', (b) => void (b.entry.body['score'] = 0.5), 'entry'],
    ['the entry time changes', (b) => void (b.entry.ts += 1), 'entry'],
    ['the entry is swapped for another whose hash the bundle quotes', (b) => {
      b.entry.body['rule'] = 'other';
      b.leafHash = verifyBundle(b, publicKeyPem).leafHash!;
    }, 'inclusion'],
    ['the leaf index moves by one', (b) => void (b.leafIndex += 1), 'inclusion'],
    ['the proof is one hash short', (b) => void b.inclusionProof.pop(), 'inclusion'],
    ['a proof hash has one digit changed', (b) => void (b.inclusionProof[3] = flipHex(b.inclusionProof[3]!)), 'inclusion'],
    ['two proof hashes are swapped', (b) => void b.inclusionProof.reverse(), 'inclusion'],
    ['the signed root changes', (b) => void (b.checkpoint.root = flipHex(b.checkpoint.root)), 'inclusion'],
    // A path can fit several tree sizes (RFC 9162): the signature is what binds the size.
    ['the signed size changes', (b) => void (b.checkpoint.size += 1), 'checkpoint'],
    ['the signed size halves', (b) => void (b.checkpoint.size = Math.floor(b.checkpoint.size / 2)), 'inclusion'],
    ['the checkpoint time changes', (b) => void (b.checkpoint.ts -= 1), 'checkpoint'],
    ['the signature has one digit changed', (b) => void (b.checkpoint.signature = flipHex(b.checkpoint.signature)), 'checkpoint'],
    ['a field is missing', (b) => void delete (b as Partial<EvidenceBundle>).inclusionProof, 'bundle'],
    ['the format is unknown', (b) => void ((b as { format: string }).format = 'v0'), 'bundle'],
  ];
  for (const [what, mutate, step] of cases) {
    it(`fails at the ${step} step when ${what}`, () => {
      const b = clone();
      mutate(b);
      const result = verifyBundle(b, publicKeyPem);
      expect(result.ok).toBe(false);
      expect(failedStep(b)).toBe(step);
      expect(result.reason).toMatch(new RegExp(`^${step}: `));
    });
  }
  it('fails at the checkpoint step under another key', () => {
    const other = 'ab'.repeat(32);
    expect(failedStep(bundle, other)).toBe('checkpoint');
  });
  it('never throws on hostile input', () => {
    for (const junk of [null, 42, 'bundle', [], { format: 'vigil-evidence/v1', entry: null }, { ...clone(), inclusionProof: [{}] }]) {
      expect(verifyBundle(junk, publicKeyPem).ok).toBe(false);
    }
  });
});

describe('the verifier in a browser', () => {
  it('bundles for the browser with no Node built-in and nothing but @noble and @vigil/jcs beyond itself', async () => {
    const result = await build({
      entryPoints: [join(repoRoot, 'ledger/verifier.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const outside = inputs.filter((p) => !p.startsWith('ledger/') && !p.includes('node_modules/@noble/') && p !== 'packages/jcs/index.ts');
    expect(outside).toEqual([]);
    expect(inputs.some((p) => /node-crypto|ledger\.ts|audit|witness|keys|files|snapshot/.test(p))).toBe(false);
  });
});

describe('vigil prove and vigil verify-proof', () => {
  const run = promisify(execFile);
  const vigil = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    run(process.execPath, [vigilBin, ...args], { cwd: repoRoot }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );

  it('prove an entry by id, and the bundle verifies offline; a tampered one exits 1 with the reason', async () => {
    const out = join(tmp.dir, 'al-42.json');
    expect((await vigil('prove', '--data-dir', dir, '--id', 'al-42', '--out', out)).code).toBe(0);
    const key = join(dir, 'public.pem');
    const good = await vigil('verify-proof', out, '--key', key);
    expect(good).toMatchObject({ code: 0 });
    expect(good.stdout).toMatch(/proof holds/);
    const b = JSON.parse(readFileSync(out, 'utf8')) as EvidenceBundle;
    b.entry.body['score'] = 0.1;
    writeFileSync(out, JSON.stringify(b));
    const bad = await vigil('verify-proof', out, '--key', key);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/proof does NOT hold: entry: the entry hashes to/);
  });

  it('give a one-line error and a non-zero exit on bad input', async () => {
    const missing = await vigil('prove', '--data-dir', join(tmp.dir, 'nope'), '--id', 'x');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const badKey = await vigil('verify-proof', join(tmp.dir, 'al-42.json'), '--key', 'not-a-key');
    expect(badKey.code).not.toBe(0);
    expect(badKey.stderr).toMatch(/public key/);
  });
});

describe('the two Ed25519 checks (browser @noble/curves, server node:crypto)', () => {
  it('agree on good and altered checkpoints', async () => {
    const { nodeCheckpointVerifier } = await import('../ledger/node-crypto.js');
    const { parsePublicKey, verifyCheckpointSignature } = await import('../ledger/index.js');
    const key = parsePublicKey(publicKeyPem);
    const nodeCheck = nodeCheckpointVerifier(key);
    const variants = [
      bundle.checkpoint,
      { ...bundle.checkpoint, ts: bundle.checkpoint.ts + 1 },
      { ...bundle.checkpoint, signature: flipHex(bundle.checkpoint.signature, 3) },
      { ...bundle.checkpoint, signature: flipHex(bundle.checkpoint.signature, 100) },
      { ...bundle.checkpoint, origin: `${bundle.checkpoint.origin}x` },
    ];
    const outcomes = variants.map((cp) => {
      const noble = (() => {
        try {
          verifyCheckpointSignature(cp, key);
          return true;
        } catch {
          return false;
        }
      })();
      const node = (() => {
        try {
          nodeCheck(cp);
          return true;
        } catch {
          return false;
        }
      })();
      return [noble, node];
    });
    expect(outcomes).toEqual([[true, true], [false, false], [false, false], [false, false], [false, false]]);
  });
});
