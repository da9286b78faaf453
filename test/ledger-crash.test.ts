/**
 * Crash safety: a child process appending is killed with SIGKILL at 20 random moments.
 * After each restart the ledger verifies, and no entry it reported as committed is missing
 * or changed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLedger, Ledger } from '../ledger/index.js';
import { repoRoot, seededRandom, tempDir } from './helpers.js';

const writer = join(repoRoot, 'test/fixtures/ledger-crash-writer.ts');
const tmp = tempDir('vigil-crash-');
afterAll(() => tmp.cleanup());

/**
 * Runs the writer until `ms` after it is ready (or, with `afterCommit`, after it first reports
 * a commit: on a loaded machine a writer may commit nothing in its first few hundred ms),
 * kills it with SIGKILL, returns what it reported.
 */
async function runAndKill(dir: string, run: number, ms: number, afterCommit: boolean): Promise<{ committed: Map<number, string>; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(run)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const committed = new Map<number, string>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [what, index, hash] = line.split(' ');
      if (what === 'ready' && !afterCommit) setTimeout(() => resolve(), ms);
      if (what === 'committed') {
        if (afterCommit && committed.size === 0) setTimeout(() => resolve(), ms);
        committed.set(Number(index), hash!);
      }
    });
    void exited.then(() => reject(new Error(`writer exited early: ${stderr}`)));
  });
  child.kill('SIGKILL');
  await exited;
  return { committed, stderr };
}

describe('when the writer is killed with SIGKILL at random moments', () => {
  it('recovers every time to a ledger that verifies and holds every entry it reported committed', async () => {
    const dir = join(tmp.dir, 'ledger');
    const random = seededRandom(20);
    const reported = new Map<number, string>();
    let dropped = 0;
    for (let run = 0; run < 20; run++) {
      const { committed } = await runAndKill(dir, run, 20 + Math.floor(random() * 200), run % 2 === 1);
      for (const [i, h] of committed) reported.set(i, h);

      // Restart: opening recovers to the last durable checkpoint.
      const warnings: string[] = [];
      const ledger = await Ledger.open({ dir, logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } });
      const size = ledger.size;
      await ledger.close();
      if (warnings.some((w) => /dropped \d+ trailing/.test(w))) dropped++;
      expect(warnings.filter((w) => !/dropped/.test(w)), `run ${run}`).toEqual([]);

      const report = await auditLedger(dir);
      expect(report.ok, `run ${run}: ${report.failure?.reason ?? ''}`).toBe(true);
      expect(report.entries, `run ${run}`).toBe(size);

      const index = readFileSync(join(dir, 'entries.idx'));
      for (const [i, hash] of reported) {
        expect(i, `run ${run}: committed entry ${i} is beyond the recovered size ${size}`).toBeLessThan(size);
        expect(index.subarray(i * 40 + 8, i * 40 + 40).toString('hex'), `run ${run}: entry ${i}`).toBe(hash);
      }
    }
    // The test means something only if the writer did commit, and crashes did cut entries off.
    expect(reported.size).toBeGreaterThan(100);
    expect(dropped).toBeGreaterThan(0);
  }, 120_000);
});
