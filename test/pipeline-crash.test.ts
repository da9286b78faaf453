import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SqliteStore } from '../store/index.js';
import { Ledger, auditLedger } from '../ledger/index.js';
import { exited, freePort, tempDir, vigilBin, waitFor } from './helpers.js';

/** POST /ingest takes only JSON and NDJSON content types (collectors/http). */
const NDJSON = { 'Content-Type': 'application/x-ndjson' };

/** Every child started, so that a test failing before it kills one leaves none behind. */
const children: ChildProcess[] = [];

function startVigil(dataDir: string, port: number): ChildProcess {
  const child = spawn(process.execPath, [vigilBin, 'start', '--data-dir', dataDir, '--port', String(port), '--no-mqtt-broker', '--no-syslog'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  return child;
}

async function healthy(port: number): Promise<true | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined;
  } catch {
    return undefined;
  }
}


describe('when vigil start is killed with SIGKILL in the middle of an ingest', () => {
  const tmp = tempDir();
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    tmp.cleanup();
  });

  it('still has every event the HTTP collector had answered as stored, after a restart', async () => {
    const port = await freePort();
    const child = startVigil(tmp.dir, port);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => healthy(port), 30_000, `vigil to start (${stderr})`);

    const acknowledged = new Set<string>();
    let sent = 0;
    let killed = false;
    const now = Date.now();
    const sender = async (worker: number) => {
      for (let batch = 0; !killed; batch++) {
        const lines = Array.from({ length: 200 }, (_, i) => {
          sent++;
          return JSON.stringify({ kind: 'auth', device: `D-${worker}`, ts: now - 1000, user: `u${batch}-${i}`, outcome: 'failure' });
        });
        try {
          const res = await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', body: lines.join('\n'), headers: NDJSON });
          if (res.status !== 200) continue;
          const json = (await res.json()) as { results: Array<{ id?: string }> };
          for (const r of json.results) if (r.id) acknowledged.add(r.id);
        } catch {
          return; // the server died under us: this batch was never acknowledged
        }
      }
    };
    const senders = [0, 1, 2, 3].map(sender);
    // Kill once a good number of batches were acknowledged and others are in flight.
    await waitFor(() => (acknowledged.size >= 5_000 ? true : undefined), 30_000, 'acknowledgements');
    killed = true;
    child.kill('SIGKILL');
    await exited(child);
    await Promise.all(senders);
    expect(child.signalCode).toBe('SIGKILL');
    expect(sent).toBeGreaterThan(acknowledged.size); // some were in flight, unacknowledged

    // Restart on the same data directory: it must come up on what the crash left.
    const again = startVigil(tmp.dir, port);
    await waitFor(() => healthy(port), 30_000, 'vigil to restart');
    again.kill('SIGTERM');
    await exited(again);

    const store = SqliteStore.open({ dataDir: tmp.dir });
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const missing = [...acknowledged].filter((id) => !store.hasEvent(id));
      expect(missing).toEqual([]);
      expect(store.countEvents()).toBeGreaterThanOrEqual(acknowledged.size);
    } finally {
      store.close();
    }
    // The ledger lost what its last checkpoint did not cover; the restart appended it again.
    const audit = await auditLedger(join(tmp.dir, 'ledger'));
    expect(audit.ok).toBe(true);
    const ledger = await Ledger.open({ dir: join(tmp.dir, 'ledger') });
    try {
      const missing: string[] = [];
      for (const id of acknowledged) if ((await ledger.indexOf(id)) === undefined) missing.push(id);
      expect(missing).toEqual([]);
    } finally {
      await ledger.close();
    }
  }, 90_000);
});
