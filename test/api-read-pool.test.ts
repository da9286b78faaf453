/**
 * The API's reads on read-only connections in worker threads (api/read-pool.ts): they
 * answer what the store holds, including what was committed a moment before; a read past
 * its budget is answered TIMEOUT while the main thread keeps running, and the next read is
 * served by a fresh thread; a read-only connection cannot write.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, createToken } from '../api/index.js';
import { ReadPool } from '../api/read-pool.js';
import { SqliteReader, SqliteStore } from '../store/index.js';
import type { VigilEvent } from '../events/index.js';
import { auth, makeAlert, makeIncident, T0 } from './api-fixtures.js';
import { tempDir } from './helpers.js';

let tmp: { dir: string; cleanup: () => void };
let store: SqliteStore;

beforeEach(() => {
  tmp = tempDir('vigil-read-pool-');
  store = SqliteStore.open({ dataDir: tmp.dir });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

/** Many auth events, all matching the text `guest*`: a wide search and count. */
function fill(n: number): void {
  for (let i = 0; i < n; i += 10_000) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++) {
      const e: VigilEvent = { ...auth(`D-${j % 500}`, T0 + j, `guest${j % 97}`, j % 3 ? 'success' : 'failure'), id: createHash('sha256').update(`e${j}`).digest('hex') };
      batch.push({ event: e, source: 'test', receivedAt: T0 + j });
    }
    store.writeBatch(batch, []);
  }
}

describe('the API reading through its read threads', () => {
  it('answers what the store holds, including a commit made just before, and dead letters as bytes', async () => {
    fill(50);
    store.writeBatch([], [{ source: 'http', receivedAt: T0, raw: 'not json {', rejection: { code: 'INVALID_FORMAT', message: 'bad json' } }]);
    const api = createApi({ store, tokens: store, onUnexpectedError: () => {} });
    expect(api.readPool).toBeDefined();
    const { token } = createToken(store, { name: 'a', role: 'admin', createdBy: 'test' });
    const ask = async (query: string) => {
      const res = await api.fetch('http://vigil.test/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
      return (await res.json()) as { data?: any; errors?: unknown[] };
    };
    const found = await ask('{ events(filter: { text: "guest7" }, first: 100) { totalCount edges { node { id } } } deadLetters(first: 5) { edges { node { raw rawBase64 } } } }');
    expect(found.errors).toBeUndefined();
    const direct = store.searchEvents({ text: 'guest7' }, { first: 100 });
    expect(found.data.events.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(direct.edges.map((e) => e.node.event.id));
    expect(found.data.deadLetters.edges[0].node.raw).toBe('not json {');
    expect(found.data.deadLetters.edges[0].node.rawBase64).toBe(Buffer.from('not json {').toString('base64'));
    // Committed on the node's own connection, then read at once on the thread's.
    const alerts = [makeAlert(1)];
    store.saveDetectorOutput({ alerts, incidents: [makeIncident(1, alerts)] });
    const after = await ask('{ incidents(first: 5) { totalCount edges { node { id alertCount } } } }');
    expect(after.data.incidents.totalCount).toBe(1);
    expect(after.data.incidents.edges[0].node).toEqual({ id: makeIncident(1, alerts).id, alertCount: 1 });
    await api.readPool!.close();
  });

  it('a read past its budget answers TIMEOUT at the budget while the main thread runs on; the next read is served', async () => {
    fill(200_000);
    const pool = new ReadPool({ dataDir: tmp.dir, budgetMs: 25 });
    try {
      await pool.start();
      await expect(pool.call('getEvent', ['none'])).resolves.toBeUndefined();
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      const started = performance.now();
      const slow = await pool.call('countEventsMatching', [{ text: 'guest*' }]).then(
        (n) => ({ n }),
        (err: Error & { code?: string }) => ({ code: err.code }),
      );
      const waited = performance.now() - started;
      clearInterval(ticker);
      if ('n' in slow) {
        // This machine counted 200,000 matches within 25 ms: the timeout path was not reached.
        expect(slow.n).toBe(200_000);
        return;
      }
      expect(slow.code).toBe('TIMEOUT');
      expect(pool.timeouts).toBe(1);
      // The main thread was never held: its timer kept firing while SQLite counted.
      expect(ticks).toBeGreaterThan(0);
      expect(waited).toBeLessThan(5_000);
      await expect(pool.call('getEvent', [createHash('sha256').update('e5').digest('hex')])).resolves.toMatchObject({ source: 'test' });
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('answers the last committed snapshot at once while a writer holds its write transaction open', async () => {
    fill(100);
    const pool = new ReadPool({ dataDir: tmp.dir, budgetMs: 10_000 });
    // A second writing connection, as the node's store writer thread has: BEGIN IMMEDIATE takes
    // the write lock and keeps it while the read runs.
    const writer = new Database(join(tmp.dir, 'vigil.db'));
    try {
      await pool.start();
      writer.exec('BEGIN IMMEDIATE');
      writer.prepare('DELETE FROM events').run();
      const started = performance.now();
      const [count, page] = await Promise.all([pool.call('countEventsMatching', [{}]), pool.call('searchEvents', [{ text: 'guest7' }, { first: 5 }])]);
      const waited = performance.now() - started;
      // The uncommitted delete is not seen, and the read did not wait for the lock
      // (busy_timeout is 5 s on the reader: waiting for the writer would take all of it).
      expect(count).toBe(100);
      expect((page as { edges: unknown[] }).edges.length).toBeGreaterThan(0);
      expect(waited).toBeLessThan(4_000);
      writer.exec('ROLLBACK');
    } finally {
      if (writer.inTransaction) writer.exec('ROLLBACK');
      writer.close();
      await pool.close();
    }
  });

  it('a read-only connection refuses to write', () => {
    fill(1);
    const reader = SqliteReader.open({ dataDir: tmp.dir });
    try {
      expect(() => reader.db.prepare('DELETE FROM events').run()).toThrow(/readonly|read-only|query_only|attempt to write/i);
    } finally {
      reader.close();
    }
    expect(store.countEvents()).toBe(1);
  });
});
