/**
 * Issue 16, HTTP ingest as an attacker on the same machine would try it: forged posts (no
 * key, a wrong key, a key outside its scope), content types a form can send, cross-origin
 * browser requests, a deeply nested body, many large bodies at once; and the keys
 * themselves, made through the API and the CLI, each change a ledger action.
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../api/index.js';
import { eventId, hasValidId, type VigilEvent } from '../events/index.js';
import { resolveConfig, type VigilConfigInput } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { metricValue, tempDir, vigilBin, waitFor } from './helpers.js';
import { sensorKey } from './sensor-fixtures.js';

const NOW = Date.now();
const NDJSON = 'application/x-ndjson';

function bsm(vehicle: string, i: number, rsu?: string): string {
  return JSON.stringify({ kind: 'bsm', vehicle, ts: NOW - 100_000 + i, lat: 1.35, lon: 103.82, speed: 10, heading: 90, seq: i, ...(rsu ? { rsu } : {}) });
}

async function startNode(extra: VigilConfigInput = {}): Promise<{ node: VigilNode; dir: string; cleanup: () => Promise<void> }> {
  const tmp = tempDir();
  const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, ...extra }), { logger: silentLogger() });
  return {
    node,
    dir: tmp.dir,
    cleanup: async () => {
      await node.stop();
      tmp.cleanup();
    },
  };
}

function post(node: VigilNode, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': NDJSON, ...headers } });
}

describe('HTTP ingest with sensor keys required', () => {
  let node: VigilNode;
  let cleanup: () => Promise<void>;
  let v1: { secret: string; id: string };
  let rsu: { secret: string; id: string };

  beforeAll(async () => {
    ({ node, cleanup } = await startNode({ ingest: { requireKeys: true } }));
    v1 = await sensorKey(node, { entities: ['V-0001'] }, 'obu V-0001');
    rsu = await sensorKey(node, { rsus: ['RSU-07'] }, 'roadside unit 7');
  });
  afterAll(() => cleanup());

  it('refuses a post with no key or a wrong key with 401, stores nothing and counts it', async () => {
    const none = await post(node, bsm('V-0001', 1));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await post(node, bsm('V-0001', 2), { Authorization: `Bearer vgs_${'A'.repeat(43)}` });
    expect(wrong.status).toBe(401);
    const token = await post(node, bsm('V-0001', 3), { Authorization: 'Bearer vgl_not-a-sensor-key' });
    expect(token.status).toBe(401);
    expect(node.store.countEvents()).toBe(0);
    expect(node.store.countDeadLetters()).toBe(0);
    const metrics = await node.metrics.registry.metrics();
    expect(metricValue(metrics, 'vigil_ingest_refused_total', { source: 'http', reason: 'unauthenticated' })).toBe(3);
  });

  it('stores what a key may report, with the key as its agent, and dead-letters what it may not as UNAUTHORIZED_ENTITY', async () => {
    const before = node.store.countEvents();
    const res = await post(node, [bsm('V-0001', 10), bsm('V-0002', 11)].join('\n'), { Authorization: `Bearer ${v1.secret}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: number; rejected: number; results: Array<{ id?: string; error?: { code: string } }> };
    expect(body.accepted).toBe(1);
    expect(body.results[1]?.error?.code).toBe('UNAUTHORIZED_ENTITY');
    expect(node.store.countEvents()).toBe(before + 1);
    const stored = node.store.getEvent(body.results[0]!.id!)!;
    expect(stored.event.agent).toEqual({ id: v1.id, name: 'obu V-0001', type: 'sensor-key' });
    // The agent is not part of the id: the id is still the hash of what the sender said.
    expect(hasValidId(stored.event)).toBe(true);
    const { agent: _agent, ...said } = stored.event;
    expect(eventId(said as VigilEvent)).toBe(stored.event.id);
    const dead = node.store.deadLetters().find((d) => d.code === 'UNAUTHORIZED_ENTITY')!;
    expect(dead.raw.toString()).toBe(bsm('V-0002', 11));
    const metrics = await node.metrics.registry.metrics();
    expect(metricValue(metrics, 'vigil_events_rejected_by_reason_total', { source: 'http', code: 'UNAUTHORIZED_ENTITY' })).toBeGreaterThanOrEqual(1);
  });

  it("names the delivering key in the event's ledger leaf", async () => {
    const res = await post(node, bsm('V-0001', 20), { Authorization: `Bearer ${v1.secret}` });
    const id = ((await res.json()) as { results: Array<{ id: string }> }).results[0]!.id;
    const ledger = node.analysis!.ledger;
    await ledger.checkpoint();
    const entries = await Promise.all(Array.from({ length: ledger.size }, (_, i) => ledger.entry(i)));
    const leaf = entries.find((e) => e.type === 'event' && e.body['id'] === id)!;
    expect(leaf.body['agent']).toBe(v1.id);
  });

  it('lets a roadside unit key deliver BSMs it relayed, for any vehicle, and nothing it did not', async () => {
    const res = await post(node, [bsm('V-0100', 30, 'RSU-07'), bsm('V-0101', 31, 'RSU-08'), bsm('V-0102', 32)].join('\n'), { Authorization: `Bearer ${rsu.secret}` });
    const body = (await res.json()) as { results: Array<{ id?: string; error?: { code: string } }> };
    expect(body.results.map((r) => r.error?.code ?? 'stored')).toEqual(['stored', 'UNAUTHORIZED_ENTITY', 'UNAUTHORIZED_ENTITY']);
  });

  it('stops taking a key once it is revoked', async () => {
    const k = await sensorKey(node, { entities: ['V-0003'] });
    expect((await post(node, bsm('V-0003', 40), { Authorization: `Bearer ${k.secret}` })).status).toBe(200);
    node.sensorKeys.revoke(k.id, { actor: 'test', role: 'admin' }, Date.now());
    expect((await post(node, bsm('V-0003', 41), { Authorization: `Bearer ${k.secret}` })).status).toBe(401);
  });
});

describe('HTTP ingest refuses what a browser on another site can send', () => {
  let node: VigilNode;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ node, cleanup } = await startNode()));
  afterAll(() => cleanup());

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'])('answers 415 to %s and stores nothing', async (type) => {
    const res = await fetch(`${node.url}/ingest`, { method: 'POST', body: bsm('V-1', 1), headers: { 'Content-Type': type } });
    expect(res.status).toBe(415);
    expect(node.store.countEvents()).toBe(0);
  });

  it('answers 415 to a body with no content type at all (a fetch of an untyped Blob is a simple request)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${node.url}/ingest`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(bsm('V-1', 2));
    });
    expect(status).toBe(415);
  });

  it('answers 403 to a request another origin sends, and to one a browser marks cross-site', async () => {
    expect((await post(node, bsm('V-1', 3), { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(node, bsm('V-1', 4), { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await post(node, bsm('V-1', 5), { 'Sec-Fetch-Site': 'same-site' })).status).toBe(403);
    expect(node.store.countEvents()).toBe(0);
    // The node's own pages may post (same origin), and so may clients that are no browser.
    expect((await post(node, bsm('V-1', 6), { Origin: node.url, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(200);
    expect((await post(node, bsm('V-1', 7))).status).toBe(200);
  });
});

describe('HTTP ingest under input that cannot be parsed and bodies that do not fit', () => {
  let node: VigilNode;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ node, cleanup } = await startNode({ api: { port: 0, maxBodyBytes: 32 * 1024 * 1024 }, ingest: { maxInflightBytes: 64 * 1024 * 1024 } })));
  afterAll(() => cleanup());

  it('keeps a deeply nested JSON body as a dead letter with a reason, never a 500', async () => {
    const deep = 200_000;
    for (const [body, type] of [
      [`[${'['.repeat(deep)}${']'.repeat(deep)}]`, 'application/json'],
      [`[{"kind":"bsm","x":${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}}]`, 'application/json'],
      [`{"kind":"bsm","x":${'['.repeat(deep)}${']'.repeat(deep)}}`, NDJSON],
    ] as const) {
      const before = node.store.countDeadLetters();
      const res = await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': type } });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { rejected: number; results: Array<{ error?: { code: string; message: string } }> };
      expect(answer.rejected).toBe(1);
      expect(answer.results[0]?.error?.message).toBeTruthy();
      expect(node.store.countDeadLetters()).toBe(before + 1);
    }
  });

  it('holds at most the byte budget of bodies at once: of 8 concurrent 30 MiB posts the ones over it get 429, the rest are stored', async () => {
    // Blank lines are no inputs: a 30 MiB body that costs the pipeline one event, so the test is about bytes.
    const body = `${bsm('V-9', 1)}\n${' '.repeat(30 * 1024 * 1024)}\n`;
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const answers = await Promise.all(Array.from({ length: 8 }, () => fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': NDJSON } })));
    clearInterval(sampler);
    const statuses = answers.map((r) => r.status).sort();
    for (const r of answers) await r.arrayBuffer();
    // 64 MiB holds two 30 MiB bodies: at least one is taken, and never more than two at once.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(6);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(answers.find((r) => r.status === 429)!.headers.get('retry-after')).toBe('1');
    // Client and server share this process; the 240 MiB of bodies the client holds are in rss0 already.
    expect(peak - rss0).toBeLessThan(800 * 1024 * 1024);
    const metrics = await node.metrics.registry.metrics();
    expect(metricValue(metrics, 'vigil_ingest_refused_total', { source: 'http', reason: 'busy' })).toBeGreaterThanOrEqual(6);
  }, 60_000);
});

describe('sensor keys through the API and the CLI', () => {
  let node: VigilNode;
  let dir: string;
  let cleanup: () => Promise<void>;
  let admin: string;
  beforeAll(async () => {
    ({ node, dir, cleanup } = await startNode({ ingest: { requireKeys: true } }));
    admin = createToken(node.store, { name: 'ops', role: 'admin', createdBy: 'test' }).token;
  });
  afterAll(() => cleanup());

  async function gql(query: string, variables: Record<string, unknown>, token = admin) {
    const res = await fetch(`${node.url}/graphql`, { method: 'POST', body: JSON.stringify({ query, variables }), headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` } });
    return (await res.json()) as { data?: Record<string, any>; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  }

  it('makes and revokes a key through GraphQL, each change a ledgered action, admin only', async () => {
    const made = await gql('mutation($i: SensorKeyInput!) { createSensorKey(input: $i) { key info { id activeAt entities } action { action ledgerIndex } } }', {
      i: { name: 'gateway 3', entities: ['D-3*'] },
    });
    expect(made.errors).toBeUndefined();
    const created = made.data!['createSensorKey'];
    expect(created.action).toMatchObject({ action: 'sensor-key.create' });
    expect(created.action.ledgerIndex).toBeGreaterThanOrEqual(0);
    expect(created.info.activeAt).not.toBeNull();
    const entry = await node.analysis!.ledger.entry(created.action.ledgerIndex);
    expect(entry).toMatchObject({ type: 'action', body: { action: 'sensor-key.create', target: { type: 'sensor-key', id: created.info.id } } });
    expect(JSON.stringify(entry)).not.toContain(created.key);
    const telemetry = JSON.stringify({ kind: 'telemetry', device: 'D-31', ts: NOW, metrics: { t: 1 } });
    expect((await post(node, telemetry, { Authorization: `Bearer ${created.key}` })).status).toBe(200);

    const analyst = createToken(node.store, { name: 'a', role: 'analyst', createdBy: 'test' }).token;
    const forbidden = await gql('mutation($i: SensorKeyInput!) { createSensorKey(input: $i) { key } }', { i: { name: 'x', entities: ['*'] } }, analyst);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await gql('mutation($i: SensorKeyInput!) { createSensorKey(input: $i) { key } }', { i: { name: 'x', subscribe: ['city/#/x'] } });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');

    const revoked = await gql('mutation($id: ID!) { revokeSensorKey(id: $id) { info { revokedAt } action { action ledgerIndex } } }', { id: created.info.id });
    expect(revoked.data!['revokeSensorKey'].action.action).toBe('sensor-key.revoke');
    expect((await post(node, telemetry, { Authorization: `Bearer ${created.key}` })).status).toBe(401);
    const history = node.store.actionsFor({ type: 'sensor-key', id: created.info.id }).map((a) => a.action);
    expect(history).toEqual(['sensor-key.create', 'sensor-key.revoke']);
  });

  it('takes a key made with `vigil sensor create` once the running node has ledgered it', async () => {
    const run = spawnSync(process.execPath, [vigilBin, 'sensor', 'create', '--name', 'obu V-0042', '--entities', 'V-0042', '--data-dir', dir, '--json'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const made = JSON.parse(run.stdout) as { key: string; id: string };
    await waitFor(() => node.sensorKeys.get(made.id)?.activeAt ?? undefined, 10_000, 'the node to ledger the new key');
    expect((await post(node, bsm('V-0042', 1), { Authorization: `Bearer ${made.key}` })).status).toBe(200);
    const actions = node.store.actionsFor({ type: 'sensor-key', id: made.id });
    expect(actions.map((a) => [a.action, a.actor.startsWith('cli:')])).toEqual([['sensor-key.create', true]]);
    expect(actions[0]!.ledgerIndex).toBeGreaterThanOrEqual(0);
    const listed = spawnSync(process.execPath, [vigilBin, 'sensor', 'list', '--data-dir', dir, '--json'], { encoding: 'utf8' });
    expect(listed.stdout).not.toContain(made.key);
  });
});

describe('starting open', () => {
  it('refuses to start open on a non-loopback address unless told, naming what is open', async () => {
    const tmp = tempDir();
    try {
      await expect(VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { host: '0.0.0.0', port: 0 } }), { logger: silentLogger() })).rejects.toThrow(/HTTP ingest .* on 0\.0\.0\.0.*--insecure-open/);
      const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { host: '0.0.0.0', port: 0 }, ingest: { requireKeys: true } }), { logger: silentLogger() });
      expect(node.openListeners).toEqual([]);
      await node.stop();
      const open = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { host: '0.0.0.0', port: 0 }, ingest: { insecureOpen: true } }), { logger: silentLogger() });
      expect(open.openListeners.map((l) => l.what)).toEqual(['HTTP ingest (POST /ingest)']);
      await open.stop();
    } finally {
      tmp.cleanup();
    }
  });
});
