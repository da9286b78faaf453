/**
 * The Elasticsearch adapter's requests, checked against the official client mock: what it
 * installs, how it bulk-writes (retries, backpressure, duplicates), and the shape of its
 * searches and updates. A real server runs the full contract (store-contract.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Client } from '@elastic/elasticsearch';
import type { errors as EsErrors } from '@elastic/elasticsearch';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_TEMPLATE_OPTIONS,
  ElasticsearchStore,
  eventsComponentTemplate,
  eventsIndexTemplate,
  ilmPolicy,
  recordTemplates,
  StoreError,
} from '../store/index.js';
import { ECS_VERSION, hasValidId, toEcsDocument } from '../events/index.js';
import { bsm, makeAlert, makeIncident, T0 } from './api-fixtures.js';
import { repoRoot } from './helpers.js';

// The mock checks `instanceof ResponseError` against the CommonJS build it requires itself.
const require = createRequire(import.meta.url);
const { errors } = require('@elastic/elasticsearch') as { errors: typeof EsErrors };
interface MockPattern {
  method: string | string[];
  path: string | string[];
}
interface ClientMock {
  add(pattern: MockPattern, resolver: (params: Params) => unknown): ClientMock;
  clear(pattern: MockPattern): ClientMock;
  clearAll(): ClientMock;
  getConnection(): never;
}
const Mock = require('@elastic/elasticsearch-mock') as new () => ClientMock;

type Params = { method: string; path: string; body?: any; querystring?: Record<string, string> };

let mock: ClientMock;
let client: Client;
let store: ElasticsearchStore;
let calls: Params[];

function responseError(status: number): EsErrors.ResponseError {
  return new errors.ResponseError({ body: { error: { type: 'x', reason: `status ${status}` }, status }, statusCode: status, headers: {}, warnings: null, meta: {} as never });
}

function bulkReply(body: any[], status: (i: number) => number) {
  const items = [];
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const line = body[i];
    const op = Object.keys(line)[0]!;
    if (!['create', 'index', 'update', 'delete'].includes(op)) continue;
    if (op !== 'delete') i++;
    const s = status(n++);
    items.push({ [op]: { _index: line[op]._index, _id: line[op]._id, status: s, ...(s >= 300 ? { error: { type: 'e', reason: `status ${s}` } } : { result: s === 201 ? 'created' : 'updated' }) } });
  }
  return { took: 1, errors: items.some((it: any) => Object.values(it as object)[0].status >= 300), items };
}

beforeEach(() => {
  mock = new Mock();
  calls = [];
  // maxRetries 0: the adapter's own retry policy is what is under test.
  client = new Client({ node: 'http://localhost:9200', Connection: mock.getConnection(), maxRetries: 0 });
  store = new ElasticsearchStore({ client, bulk: { maxDocs: 2, concurrency: 1, retryBaseMs: 1 }, sleep: async () => {}, now: () => T0 });
});

describe('setup', () => {
  it('installs the lifecycle policy, ECS templates, the events data stream template and the record indices', async () => {
    mock.add({ method: 'PUT', path: '/_ilm/policy/:name' }, (p) => (calls.push(p), { acknowledged: true }));
    mock.add({ method: 'PUT', path: '/_component_template/:name' }, (p) => (calls.push(p), { acknowledged: true }));
    mock.add({ method: 'PUT', path: '/_index_template/:name' }, (p) => (calls.push(p), { acknowledged: true }));
    mock.add({ method: 'HEAD', path: '/:index' }, () => responseError(404));
    mock.add({ method: 'PUT', path: '/:index' }, (p) => (calls.push(p), { acknowledged: true }));
    await store.setup();
    const paths = calls.map((c) => `${c.method} ${c.path}`);
    expect(paths.slice(0, 3)).toEqual(['PUT /_ilm/policy/vigil-events', 'PUT /_component_template/vigil-events-mappings', 'PUT /_index_template/vigil-events']);
    expect(paths).toContain('PUT /vigil-incidents');
    const ilm = calls[0]!.body;
    expect(ilm.policy.phases.hot.actions.rollover).toEqual({ max_primary_shard_size: '25gb', max_age: '1d' });
    expect(ilm.policy.phases.delete).toEqual({ min_age: '30d', actions: { delete: {} } });
    const template = calls[2]!.body;
    expect(template).toMatchObject({ index_patterns: ['vigil-events*'], data_stream: {}, composed_of: ['vigil-events-mappings'] });
    expect(template.template.settings['index.lifecycle.name']).toBe('vigil-events');
    const mappings = calls[1]!.body.template.mappings.properties;
    expect(mappings['@timestamp']).toEqual({ type: 'date' });
    expect(mappings.source.properties.ip).toEqual({ type: 'ip' });
    expect(mappings.vigil.properties.vehicle.properties.location).toEqual({ type: 'geo_point' });
  });

  const modules = (names: string[]) => ({ nodes: { n1: { modules: names.map((name) => ({ name })) }, n2: { modules: [...names, 'x-pack-ml'].map((name) => ({ name })) } } });
  function mockSetup(): void {
    mock.add({ method: 'PUT', path: '/_ilm/policy/:name' }, (p) => (calls.push(p), { acknowledged: true }));
    mock.add({ method: 'PUT', path: '/_component_template/:name' }, (p) => (calls.push(p), { acknowledged: true }));
    mock.add({ method: 'PUT', path: '/_index_template/:name' }, (p) => (calls.push(p), { acknowledged: true }));
    mock.add({ method: 'HEAD', path: '/:index' }, () => ({}));
  }

  it('on a cluster without ILM or mapper-extras: no policy, no lifecycle setting, text for match_only_text, one warning', async () => {
    const warnings: string[] = [];
    store = new ElasticsearchStore({ client, warn: (m) => warnings.push(m) });
    mockSetup();
    mock.add({ method: 'GET', path: '/_nodes/plugins' }, (p) => (calls.push(p), modules(['transport-netty4', 'x-pack-core', 'x-pack-security'])));
    await store.setup();
    const paths = calls.map((c) => `${c.method} ${c.path}`);
    expect(paths.slice(0, 3)).toEqual(['GET /_nodes/plugins', 'PUT /_component_template/vigil-events-mappings', 'PUT /_index_template/vigil-events']);
    expect(paths.some((p) => p.includes('_ilm'))).toBe(false);
    expect(store.features).toEqual({ ilm: false, matchOnlyText: false, scripts: false });
    const settings = calls[2]!.body.template.settings;
    expect(settings['index.lifecycle.name']).toBeUndefined();
    expect(settings['index.codec']).toBe('best_compression');
    expect(calls[1]!.body.template.mappings.properties.message).toEqual({ type: 'text', norms: false });
    expect(JSON.stringify(calls[1]!.body)).not.toContain('match_only_text');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no ILM on this cluster: indices are not rolled over or deleted by age/);
    expect(warnings[0]).toMatch(/no lang-painless/);
  });

  it('uses ILM when every node has it, and takes the cluster as full when its nodes cannot be listed', async () => {
    const warnings: string[] = [];
    store = new ElasticsearchStore({ client, warn: (m) => warnings.push(m) });
    mockSetup();
    // One node of two lacks ILM: the lifecycle setting would be refused where it runs.
    const mixed = modules(['x-pack-ilm', 'mapper-extras', 'lang-painless']);
    mixed.nodes.n1.modules = [{ name: 'mapper-extras' }, { name: 'lang-painless' }];
    mock.add({ method: 'GET', path: '/_nodes/plugins' }, () => mixed);
    await store.setup();
    expect(store.features).toEqual({ ilm: false, matchOnlyText: true, scripts: true });
    expect(warnings).toHaveLength(1);

    for (const reply of [modules(['x-pack-ilm', 'mapper-extras', 'lang-painless']), responseError(403)]) {
      calls = [];
      warnings.length = 0;
      mock.clear({ method: 'GET', path: '/_nodes/plugins' });
      mock.add({ method: 'GET', path: '/_nodes/plugins' }, () => reply);
      await store.setup();
      expect(store.features).toEqual({ ilm: true, matchOnlyText: true, scripts: true });
      expect(calls.map((c) => `${c.method} ${c.path}`)[0]).toBe('PUT /_ilm/policy/vigil-events');
      expect(calls[2]!.body.template.settings['index.lifecycle.name']).toBe('vigil-events');
      expect(calls[1]!.body.template.mappings.properties.message).toEqual({ type: 'match_only_text' });
      expect(warnings).toEqual([]);
    }
  });

  it('ships the same templates as files in dashboards/elasticsearch', () => {
    const dir = join(repoRoot, 'dashboards', 'elasticsearch');
    const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
    // The files are request bodies (`curl -X PUT …/_index_template/<name> -d @file`): the
    // client's `name` goes in the path, and is the file's name.
    const body = ({ name: _n, ...rest }: { name: string }) => rest;
    const o = DEFAULT_TEMPLATE_OPTIONS;
    expect(read('ilm-policy.vigil-events.json')).toEqual(body(ilmPolicy(o)));
    expect(read('component-template.vigil-events-mappings.json')).toEqual(body(eventsComponentTemplate(o)));
    expect(read('index-template.vigil-events.json')).toEqual(body(eventsIndexTemplate(o)));
    for (const t of recordTemplates(o)) expect(read(`index-template.${t.name}.json`)).toEqual(body(t));
  });
});

describe('bulk writing events', () => {
  it('creates each event in the data stream with its id as _id, in chunks, and reports duplicates as not new', async () => {
    const bodies: any[][] = [];
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => {
      bodies.push(p.body);
      return bulkReply(p.body, (i) => (bodies.length === 1 && i === 1 ? 409 : 201));
    });
    const events = [bsm('V-1', T0), bsm('V-2', T0 + 1), bsm('V-3', T0 + 2)];
    const result = await store.writeEvents(events.map((event) => ({ event, source: 'http', receivedAt: T0 })));
    expect(result).toEqual([true, false, true]);
    expect(bodies).toHaveLength(2);
    expect(bodies[0]![0]).toEqual({ create: { _index: 'vigil-events', _id: events[0]!.id } });
    const doc = bodies[0]![1];
    expect(doc['@timestamp']).toBe(events[0]!['@timestamp']);
    expect(doc.vigil.search).toContain('V-1');
    expect(doc.vigil.ingest).toMatchObject({ source: 'http', received_at: T0 });
    expect(doc.vigil.vehicle.location).toEqual({ lat: 1.35, lon: 103.8 });
  });

  it('writes each event as ECS (ecs.version, event.id, event.original) and reads back the very event', async () => {
    const written: any[] = [];
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => {
      for (let i = 1; i < p.body.length; i += 2) written.push(p.body[i]);
      return bulkReply(p.body, () => 201);
    });
    const plain = bsm('V-7', T0);
    // A category outside ECS's allowed values must not be lost on the way back.
    const odd = { ...bsm('V-8', T0 + 1) };
    odd.event = { ...odd.event, category: ['network', 'v2x'], type: ['info', 'telemetry'] };
    const raw = '{"kind":"bsm","vehicle":"V-7"}';
    await store.writeEvents([
      { event: plain, source: 'http', receivedAt: T0 + 5, original: new TextEncoder().encode(raw) },
      { event: odd, source: 'mqtt', receivedAt: T0 + 6 },
    ]);
    expect(written).toHaveLength(2);
    const [doc, oddDoc] = written;
    expect(doc.ecs).toEqual({ version: ECS_VERSION });
    expect(doc.event.id).toBe(plain.id);
    expect(doc.event.original).toBe(raw);
    expect(doc.event.ingested).toBe(new Date(T0 + 5).toISOString());
    expect(doc).not.toHaveProperty('id');
    expect(oddDoc.event.category).toEqual(['network']);
    expect(oddDoc).not.toHaveProperty('event.original');
    // Every field written is one the dynamic:false mapping knows, or it could not be searched.
    const mapped = eventsComponentTemplate(DEFAULT_TEMPLATE_OPTIONS).template.mappings.properties as any;
    expect(mapped.ecs.properties.version).toBeDefined();
    expect(mapped.event.properties.id).toBeDefined();
    expect(mapped.event.properties.original).toEqual({ type: 'keyword', index: false, doc_values: false });

    mock.add({ method: 'POST', path: '/vigil-events/_search' }, (p) => {
      const id = p.body.query.term['event.id'];
      return { hits: { hits: written.filter((d) => d.event.id === id).map((d) => ({ _id: id, _source: d })) } };
    });
    // The input the writer gave is the event's own event.original once stored (events/original.ts); its id is unchanged.
    const back = (await store.getEvent(plain.id))?.event;
    expect(back).toEqual({ ...plain, event: { ...plain.event, original: raw } });
    expect(hasValidId(back!)).toBe(true);
    expect((await store.getEvent(odd.id))).toMatchObject({ event: odd, source: 'mqtt', receivedAt: T0 + 6 });
  });

  it('writes alerts with their ECS view beside their own fields, and reads back the very alert', async () => {
    const written = new Map<string, any>();
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => {
      for (let i = 0; i < p.body.length; i += 2) if (p.body[i].create?._index === 'vigil-alerts') written.set(p.body[i].create._id, p.body[i + 1]);
      return bulkReply(p.body, () => 201);
    });
    const alert = makeAlert(1, { tags: ['attack.t1499', 'attack.impact'] });
    await store.saveDetectorOutput({ alerts: [alert] });
    const doc = written.get(alert.id);
    expect(doc).toMatchObject({ ecs: { version: ECS_VERSION }, event: { kind: 'alert', id: alert.id }, rule: { id: alert.origin.id } });
    mock.add({ method: 'GET', path: '/vigil-alerts/_doc/:id' }, (p) => ({ _index: 'vigil-alerts', _id: alert.id, found: written.has(p.path.split('/').pop()!), _source: doc }));
    expect(await store.getAlert(alert.id)).toEqual(alert);
  });

  it('retries only the items refused with 429, and whole requests refused with 503', async () => {
    let n = 0;
    const sizes: number[] = [];
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => {
      n++;
      sizes.push(p.body.length / 2);
      if (n === 1) return responseError(503);
      if (n === 2) return bulkReply(p.body, (i) => (i === 0 ? 429 : 201));
      return bulkReply(p.body, () => 201);
    });
    const events = [bsm('V-1', T0), bsm('V-2', T0 + 1)];
    expect(await store.writeEvents(events.map((event) => ({ event, source: 'http', receivedAt: T0 })))).toEqual([true, true]);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('gives up after the retries allowed with a BACKEND_FAILED error', async () => {
    store = new ElasticsearchStore({ client, bulk: { maxRetries: 2, retryBaseMs: 1 }, sleep: async () => {} });
    let n = 0;
    mock.add({ method: 'POST', path: '/_bulk' }, () => (n++, responseError(429)));
    await expect(store.writeEvents([{ event: bsm('V-1', T0), source: 'http', receivedAt: T0 }])).rejects.toMatchObject({ code: 'BACKEND_FAILED' });
    expect(n).toBe(3);
  });

  it('does not retry a request Elasticsearch refused as bad, and reports a refused event', async () => {
    mock.add({ method: 'POST', path: '/_bulk' }, () => responseError(400));
    await expect(store.writeEvents([{ event: bsm('V-1', T0), source: 'http', receivedAt: T0 }])).rejects.toBeInstanceOf(StoreError);
    mock.clearAll();
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => bulkReply(p.body, () => 400));
    await expect(store.writeEvents([{ event: bsm('V-1', T0), source: 'http', receivedAt: T0 }])).rejects.toMatchObject({ code: 'WRITE_FAILED' });
  });

  it('keeps at most `concurrency` bulk requests in flight (backpressure)', async () => {
    store = new ElasticsearchStore({ client, bulk: { maxDocs: 1, concurrency: 2 }, sleep: async () => {} });
    let inFlight = 0;
    let most = 0;
    const slow = client.bulk.bind(client);
    client.bulk = (async (...args: Parameters<typeof slow>) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      try {
        return await slow(...args);
      } finally {
        inFlight--;
      }
    }) as typeof client.bulk;
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => bulkReply(p.body, () => 201));
    const events = Array.from({ length: 8 }, (_, i) => ({ event: bsm(`V-${i}`, T0 + i), source: 'http', receivedAt: T0 }));
    expect(await store.writeEvents(events)).toEqual(new Array(8).fill(true));
    expect(most).toBe(2);
  });
});

describe('searching', () => {
  it('asks for a filtered, keyset-paged event search', async () => {
    const hit = (i: number) => {
      const e = bsm('V-0042', T0 + i);
      const doc = toEcsDocument(e) as any;
      return { _id: e.id, _source: { ...doc, vigil: { ...doc.vigil, search: 'x', ingest: { source: 'http', received_at: T0, seq: i } } }, sort: [T0 + i, e.id] };
    };
    mock.add({ method: 'POST', path: '/vigil-events/_search' }, (p) => (calls.push(p), { hits: { hits: [hit(3), hit(2), hit(1)] } }));
    const page = await store.searchEvents({ kinds: ['bsm'], entity: 'V-0042', time: { from: T0 }, text: '10.1.2.3 V-00*' }, { first: 2 });
    expect(page.hasNextPage).toBe(true);
    expect(page.edges).toHaveLength(2);
    expect(page.edges[0]!.node.event.vigil.entity.id).toBe('V-0042');
    expect(page.edges[0]!.node.event.vigil).not.toHaveProperty('search');
    const body = calls[0]!.body;
    expect(body).toMatchObject({
      size: 3,
      sort: [{ 'vigil.ts': { order: 'desc' } }, { 'event.id': { order: 'desc' } }],
      query: {
        bool: {
          filter: [{ range: { 'vigil.ts': { gte: T0 } } }, { terms: { 'vigil.kind': ['bsm'] } }, { term: { 'vigil.entity.id': 'V-0042' } }],
          must: [{ match_phrase: { 'vigil.search': '10.1.2.3' } }, { match_phrase_prefix: { 'vigil.search': 'V-00' } }],
        },
      },
    });
    await store.searchEvents({}, { first: 2, after: page.edges[1]!.cursor });
    expect(calls[1]!.body.search_after).toEqual([T0 + 2, page.edges[1]!.node.event.id]);
  });

  it('finds incidents by rule through the alerts that joined them', async () => {
    mock.add({ method: 'POST', path: '/vigil-alerts/_search' }, (p) => (calls.push(p), { hits: { hits: [] }, aggregations: { incidents: { buckets: [{ key: 'INC-1', doc_count: 2 }] } } }));
    mock.add({ method: 'POST', path: '/vigil-incidents/_count' }, (p) => (calls.push(p), { count: 1 }));
    expect(await store.countIncidentsMatching({ rule: 'bsm-replay', statuses: ['open'] })).toBe(1);
    expect(calls[0]!.body.aggs).toEqual({ incidents: { terms: { field: 'incidentId', size: 10_000 } } });
    expect(calls[1]!.body.query.bool.filter).toEqual([{ terms: { status: ['open'] } }, { ids: { values: ['INC-1'] } }]);
  });
});

describe('incident triage', () => {
  it('updates with optimistic concurrency and maps a lost race to CONFLICT', async () => {
    const inc = makeIncident(1, [makeAlert(1)]);
    mock.add({ method: 'GET', path: '/vigil-incidents/_doc/:id' }, () => ({
      _index: 'vigil-incidents', _id: inc.id, found: true, _seq_no: 7, _primary_term: 1,
      _source: { ...inc, severity_rank: 0, version: 3, updatedAt: T0, search: '' },
    }));
    mock.add({ method: 'PUT', path: '/vigil-incidents/_doc/:id' }, (p) => (calls.push(p), { result: 'updated' }));
    mock.add({ method: 'PUT', path: '/vigil-actions/_doc/:id' }, (p) => (calls.push(p), { result: 'created' }));
    const act = { id: 'a1', ts: T0, actor: 'alice', role: 'analyst', action: 'incident.acknowledge', target: { type: 'incident' as const, id: inc.id }, before: null, after: null };
    const out = await store.updateIncidentTriage(inc.id, 3, { status: 'acknowledged', assignee: null, resolution: null }, act);
    expect(out).toMatchObject({ version: 4, incident: { status: 'acknowledged' } });
    expect(calls[0]!.querystring).toMatchObject({ if_seq_no: '7', if_primary_term: '1', refresh: 'wait_for' });
    expect(calls[0]!.body).toMatchObject({ status: 'acknowledged', version: 4 });
    expect(calls[1]!.path).toBe('/vigil-actions/_doc/a1');
    expect(calls[1]!.querystring).toMatchObject({ op_type: 'create' });
    await expect(store.updateIncidentTriage(inc.id, 2, { status: 'open', assignee: null, resolution: null }, act)).rejects.toMatchObject({ code: 'CONFLICT' });
    mock.clear({ method: 'PUT', path: '/vigil-incidents/_doc/:id' });
    mock.add({ method: 'PUT', path: '/vigil-incidents/_doc/:id' }, () => responseError(409));
    await expect(store.updateIncidentTriage(inc.id, 3, { status: 'open', assignee: null, resolution: null }, act)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('options', () => {
  it('refuses a bad prefix or bulk option, naming it', () => {
    expect(() => new ElasticsearchStore({ client, templates: { prefix: 'Vigil Events' } })).toThrow(/templates.prefix/);
    expect(() => new ElasticsearchStore({ client, bulk: { concurrency: 0 } })).toThrow(/bulk.concurrency/);
  });
});
