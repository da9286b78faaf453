/**
 * The Elasticsearch replica follows the SQLite store by a durable cursor: checked through
 * the official client mock, including an outage that must neither block ingest nor lose
 * events. (A real server runs when ELASTICSEARCH_URL is set: store-contract.test.ts.)
 */
import { createRequire } from 'node:module';
import { Client } from '@elastic/elasticsearch';
import { afterEach, describe, expect, it } from 'vitest';
import { ElasticsearchStore, SqliteStore } from '../store/index.js';
import { resolveValidationOptions, validateInput } from '../events/index.js';
import { silentLogger } from '../pipeline/logger.js';
import { ElasticsearchReplica } from '../pipeline/replica.js';
import { tempDir, waitFor } from './helpers.js';

const require = createRequire(import.meta.url);
const Mock = require('@elastic/elasticsearch-mock') as new () => {
  add(pattern: { method: string | string[]; path: string | string[] }, resolver: (params: { body?: unknown }) => unknown): void;
  getConnection(): never;
};
const { errors } = require('@elastic/elasticsearch') as typeof import('@elastic/elasticsearch');

const validation = resolveValidationOptions();
function events(n: number, from = 0) {
  return Array.from({ length: n }, (_, i) => {
    const r = validateInput({ kind: 'auth', device: 'D-1', ts: Date.now() - 10_000 + from + i, user: `u${from + i}`, outcome: 'failure' }, validation);
    if (!r.ok) throw new Error('fixture');
    return { event: r.event, source: 'test', receivedAt: Date.now() };
  });
}

describe('the Elasticsearch replica', () => {
  const tmp = tempDir();
  let replica: ElasticsearchReplica | undefined;
  let store: SqliteStore | undefined;
  afterEach(async () => {
    await replica?.stop();
    store?.close();
  });

  it('indexes every stored event once, and after an outage resumes where it stopped', async () => {
    store = SqliteStore.open({ dataDir: tmp.dir });
    const mock = new Mock();
    let down = false;
    const indexed = new Set<string>();
    mock.add({ method: ['PUT', 'HEAD'], path: '*' }, () => ({ acknowledged: true }));
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => {
      if (down) return new errors.ResponseError({ body: { error: 'unavailable' }, statusCode: 503, headers: {}, warnings: null, meta: {} as never });
      const body = p.body as Array<Record<string, { _id?: string }>>;
      const items = [];
      for (let i = 0; i < body.length; i += 2) {
        const op = body[i]!;
        const id = Object.values(op)[0]!._id!;
        indexed.add(id);
        items.push({ create: { _id: id, status: 201, result: 'created' } });
      }
      return { took: 1, errors: false, items };
    });
    const client = new Client({ node: 'http://localhost:9200', Connection: mock.getConnection(), maxRetries: 0 });
    const es = new ElasticsearchStore({ client, bulk: { maxRetries: 0, retryBaseMs: 1 }, sleep: async () => {} });
    replica = new ElasticsearchReplica(store, { url: 'http://localhost:9200', idleMs: 20, batch: 100 }, silentLogger(), es);
    await replica.start();

    const first = events(250);
    store.writeBatch(first, []);
    replica.poke();
    await waitFor(() => (indexed.size === 250 ? true : undefined), 10_000, 'the first events indexed');
    expect(replica.lag).toBe(0);

    down = true;
    const second = events(120, 1000);
    store.writeBatch(second, []); // ingest goes on while Elasticsearch is down
    replica.poke();
    await new Promise((r) => setTimeout(r, 200));
    expect(store.countEvents()).toBe(370);
    expect(replica.lag).toBe(120);
    down = false;
    await waitFor(() => (indexed.size === 370 ? true : undefined), 10_000, 'the replica to catch up');
    expect(replica.lag).toBe(0);
    for (const e of [...first, ...second]) expect(indexed.has(e.event.id)).toBe(true);
  });
});
