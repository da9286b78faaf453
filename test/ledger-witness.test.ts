/**
 * Witnesses: three `vigil witness` nodes on loopback co-sign an honest log's checkpoints;
 * a forked or rewritten log is refused and the conflicting checkpoints are kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, verifyBundle, type Checkpoint, type LedgerEntry, type LedgerLogger } from '../ledger/index.js';
import { freePort, repoRoot, tempDir, vigilBin } from './helpers.js';

const quiet: LedgerLogger = { info: () => {}, warn: () => {}, error: () => {} };
const manual = { checkpointEvery: 1_000_000, checkpointIntervalMs: 3_600_000, logger: quiet };

interface WitnessNode {
  url: string;
  dir: string;
  pem: string;
  child: ChildProcess;
}

async function startWitness(dir: string): Promise<WitnessNode> {
  const port = await freePort();
  const child = spawn(process.execPath, [vigilBin, 'witness', '--port', String(port), '--data-dir', dir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`witness exited with ${code}`)));
    lines.on('line', (line) => {
      const m = / listening on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return { url, dir, pem: readFileSync(join(dir, 'witness.pub.pem'), 'utf8'), child };
}

function event(tag: string, i: number): LedgerEntry {
  return { type: 'event', ts: 1_700_000_000_000 + i, body: { id: `${tag}-${i}`, device: 'D-17', metrics: { temperature: 20 + (i % 5) } } };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('three witnesses on loopback', () => {
  const tmp = tempDir('vigil-witness-');
  const witnesses: WitnessNode[] = [];
  let ledger: Ledger;
  let logDir: string;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const dir = join(tmp.dir, `witness-${i}`);
      mkdirSync(dir);
      witnesses.push(await startWitness(dir));
    }
    logDir = join(tmp.dir, 'log');
    ledger = await Ledger.open({ dir: logDir, ...manual, witnesses: { urls: witnesses.map((w) => w.url), required: 2 } });
  }, 90_000);

  afterAll(async () => {
    await ledger.close().catch(() => undefined);
    for (const w of witnesses) w.child.kill('SIGTERM');
    tmp.cleanup();
  });

  it('publish a checkpoint once two of them co-sign it, in a bundle an auditor checks with their keys', async () => {
    for (let i = 0; i < 50; i++) ledger.append(event('honest', i));
    const durable = await ledger.checkpoint();
    const cp = await ledger.published(49);
    expect(cp).toEqual(durable);
    expect(cp.size).toBe(50);
    const bundle = await ledger.prove(10);
    expect(bundle.cosignatures.length).toBeGreaterThanOrEqual(2);
    const keys = witnesses.map((w) => w.pem);
    const ok = verifyBundle(bundle, ledger.publicKeyPem, { witnessKeys: keys, requiredCosignatures: 2 });
    expect(ok.ok, ok.reason).toBe(true);
    const tooMany = verifyBundle(bundle, ledger.publicKeyPem, { witnessKeys: keys, requiredCosignatures: 4 });
    expect(tooMany.ok).toBe(false);
    expect(tooMany.steps.find((s) => s.step === 'cosignatures')?.outcome).toBe('failed');
    const strangers = verifyBundle(bundle, ledger.publicKeyPem, { witnessKeys: [ledger.publicKeyPem], requiredCosignatures: 1 });
    expect(strangers.ok).toBe(false);
  });

  it('co-sign later checkpoints given consistency proofs from the last one they signed', async () => {
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 30; i++) ledger.append(event('honest', 50 * round + i));
      await ledger.checkpoint();
      const cp = await ledger.published(ledger.size - 1);
      expect(cp.size).toBe(ledger.size);
    }
    await waitForAll(ledger.size);
  });

  async function waitForAll(size: number): Promise<void> {
    for (const w of witnesses) {
      for (let i = 0; ; i++) {
        const logs = (await (await fetch(`${w.url}/logs`)).json()) as { logs: Record<string, Checkpoint> };
        if (logs.logs[ledger.origin]?.size === size) break;
        if (i > 200) throw new Error(`witness ${w.url} never reached ${size}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  describe('when the operator forks the log (same key, other history)', () => {
    let forked: Ledger;
    let witnessed: Checkpoint;
    beforeAll(async () => {
      await waitForAll(ledger.size);
      witnessed = ledger.latestCheckpoint!;
      const forkDir = join(tmp.dir, 'fork');
      mkdirSync(forkDir);
      copyFileSync(join(logDir, 'private.pem'), join(forkDir, 'private.pem'));
      forked = await Ledger.open({ dir: forkDir, ...manual });
      expect(forked.origin).toBe(ledger.origin);
    });
    afterAll(async () => {
      await forked.close();
    });

    it('refuses a checkpoint of the same size with another root, and keeps both as evidence', async () => {
      for (let i = 0; i < witnessed.size; i++) forked.append(event('forged', i));
      const cp = await forked.checkpoint();
      expect(cp.size).toBe(witnessed.size);
      for (const w of witnesses) {
        const reply = await post(w.url, { oldSize: witnessed.size, consistency: [], checkpoint: cp });
        expect(reply.status).toBe(422);
        expect(reply.body['code']).toBe('FORK_DETECTED');
        const evidence = JSON.parse(readFileSync(String(reply.body['evidence']), 'utf8')) as { cosigned: Checkpoint; offered: Checkpoint };
        expect(evidence.cosigned).toEqual(witnessed);
        expect(evidence.offered).toEqual(cp);
      }
    });

    it('refuses a longer rewritten history whatever consistency proof comes with it', async () => {
      for (let i = witnessed.size; i < witnessed.size + 40; i++) forked.append(event('forged', i));
      const cp = await forked.checkpoint();
      for (const w of witnesses) {
        const reply = await post(w.url, { oldSize: witnessed.size, consistency: forked.consistencyProof(witnessed.size, cp.size), checkpoint: cp });
        expect(reply.status).toBe(422);
        expect(String(reply.body['error'])).toMatch(/does not extend the co-signed checkpoint/);
        expect(readdirSync(join(w.dir, 'evidence')).length).toBe(2);
      }
    });

    it('still accepts the honest log afterwards', async () => {
      for (let i = 0; i < 10; i++) ledger.append(event('honest', 1000 + i));
      await ledger.checkpoint();
      expect((await ledger.published(ledger.size - 1)).size).toBe(ledger.size);
    });
  });

  it('refuse a checkpoint the log did not sign', async () => {
    const cp = { ...ledger.latestCheckpoint!, signature: 'ab'.repeat(64) };
    const reply = await post(witnesses[0]!.url, { oldSize: cp.size, consistency: [], checkpoint: cp });
    expect(reply.status).toBe(403);
  });

  it('answer 409 with the size they hold when the log assumes another', async () => {
    const cp = ledger.latestCheckpoint!;
    const reply = await post(witnesses[0]!.url, { oldSize: 1, consistency: [], checkpoint: cp });
    expect(reply).toMatchObject({ status: 409, body: { size: cp.size } });
  });

  it('still publish with one of the three down, since two are required', async () => {
    const down = witnesses[2]!;
    down.child.kill('SIGTERM');
    await new Promise((resolve) => down.child.once('exit', resolve));
    for (let i = 0; i < 5; i++) ledger.append(event('honest', 2000 + i));
    const cp = await ledger.checkpoint();
    const published = await ledger.published(ledger.size - 1);
    expect(published).toEqual(cp);
    const bundle = await ledger.prove(ledger.size - 1);
    const signers = new Set(bundle.cosignatures.map((c) => c.publicKey));
    expect(signers.size).toBe(2);
    expect(verifyBundle(bundle, ledger.publicKeyPem, { witnessKeys: witnesses.map((w) => w.pem), requiredCosignatures: 2 }).ok).toBe(true);
  });

  it('a reopened log knows its published checkpoint from the end of cosignatures.log alone', async () => {
    const cp = await ledger.published(ledger.size - 1);
    await ledger.close();
    const cosigPath = join(logDir, 'cosignatures.log');
    const lines = readFileSync(cosigPath, 'utf8').trim().split('\n');
    const real = JSON.parse(lines.at(-1)!) as { checkpoint: Checkpoint; cosignature: unknown };
    // A record of a checkpoint this log never signed (a bigger size), then a torn record.
    const forged = { ...real, checkpoint: { ...real.checkpoint, size: real.checkpoint.size + 100 } };
    appendFileSync(cosigPath, `${JSON.stringify(forged)}\n{"checkpoint":{"ori`);
    const logger = { lines: [] as string[], info() {}, warn(m: string) { this.lines.push(m); }, error(m: string) { this.lines.push(m); } };
    // Witnesses that cannot answer: whatever is published now was read back from the file.
    const dead = `http://127.0.0.1:${await freePort()}`;
    const reopened = await Ledger.open({ dir: logDir, ...manual, logger, witnesses: { urls: [dead, `${dead}/b`], required: 2, timeoutMs: 200 } });
    try {
      expect(logger.lines.join('\n')).toMatch(/dropped a torn cosignature record/);
      expect(readFileSync(cosigPath, 'utf8').endsWith('\n')).toBe(true);
      expect(await reopened.published(reopened.size - 1)).toEqual(cp);
      const bundle = await reopened.prove(reopened.size - 1);
      expect(bundle.checkpoint).toEqual(cp);
      expect(verifyBundle(bundle, reopened.publicKeyPem, { witnessKeys: witnesses.map((w) => w.pem), requiredCosignatures: 2 }).ok).toBe(true);
    } finally {
      await reopened.close().catch(() => undefined);
    }
  });

  it('refuse malformed requests with 400', async () => {
    const res = await fetch(`${witnesses[0]!.url}/add-checkpoint`, { method: 'POST', body: 'not json' });
    expect(res.status).toBe(400);
    expect((await post(witnesses[0]!.url, { oldSize: -1, checkpoint: {} })).status).toBe(400);
  });
});
