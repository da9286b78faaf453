import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { metricValue, tempDir } from './helpers.js';
import { toItems } from '../collectors/http/index.js';
import { parseJsonRecord, resolveValidationOptions } from '../events/index.js';

/** POST /ingest takes only JSON and NDJSON content types (collectors/http). */
const NDJSON = { 'Content-Type': 'application/x-ndjson' };

const NOW = Date.now();

function bsm(i: number): string {
  return JSON.stringify({ kind: 'bsm', vehicle: `V-${i % 50}`, ts: NOW - 100_000 + i, lat: 1.35 + i * 1e-6, lon: 103.82, speed: 10 + (i % 7), heading: (i * 3) % 360, seq: i });
}

/** One of each kind of bad input the foundation issue names, cycled to make `n` lines. */
function badLines(n: number): Buffer[] {
  const good = JSON.parse(bsm(1)) as Record<string, unknown>;
  const kinds: Array<Buffer | string> = [
    '{"kind":"bsm","vehicle":"V-1","ts":', // truncated JSON
    JSON.stringify({ ...good, speed: 'fast' }), // wrong type
    JSON.stringify({ kind: 'bsm', vehicle: 'V-1', ts: NOW }), // missing fields
    JSON.stringify({ ...good, kind: 'teleport' }), // unknown kind
    Buffer.alloc(10 * 1024 * 1024, 0x61), // a 10 MB line
    Buffer.concat([Buffer.from('{"kind":"auth","device":"D-1","user":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), // invalid UTF-8
    JSON.stringify({ ...good, ts: NOW + 365 * 86_400_000 }), // far future
    JSON.stringify({ ...good, ts: Date.UTC(1980, 0, 1) }), // far past
    JSON.stringify(good).replace(/"speed":\d+/, '"speed":NaN'), // NaN
    JSON.stringify(good).replace(/"speed":\d+/, '"speed":Infinity'), // Infinity
  ];
  return Array.from({ length: n }, (_, i) => {
    const k = kinds[i % kinds.length]!;
    // Vary the small ones so each is a distinct line; the 10 MB line is sent once.
    if (Buffer.isBuffer(k)) return k.length > 1e6 && i >= kinds.length ? Buffer.from(`{"kind":"bsm","vehicle":"V-${i}"`) : k;
    return Buffer.from(k.replace('V-1', `V-${i}`));
  });
}

describe('the embedded pipeline over real HTTP', () => {
  let node: VigilNode;
  let cleanup: () => void;

  beforeEach(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 } }), { logger: silentLogger() });
  });
  afterEach(async () => {
    await node.stop();
    cleanup();
  });

  it('stores 1,000 valid lines and keeps 100 malformed ones as dead letters, each with its reason', async () => {
    const good = Array.from({ length: 1000 }, (_, i) => Buffer.from(bsm(i)));
    const bad = badLines(100);
    // Interleave, so good and bad lines share requests.
    const lines: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      lines.push(good[i]!);
      if (i % 10 === 0) lines.push(bad[i / 10]!);
    }
    const nl = Buffer.from('\n');
    const bodies = [lines.slice(0, 550), lines.slice(550)].map((part) => Buffer.concat(part.flatMap((l) => [l, nl])));
    for (const body of bodies) {
      const res = await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } });
      expect(res.status).toBe(200);
      const json = (await res.json()) as { results: unknown[] };
      expect(json.results).toHaveLength(body.toString('latin1').split('\n').filter(Boolean).length);
    }
    expect(node.store.countEvents()).toBe(1000);
    const dead = node.store.deadLetters({ limit: 1000 });
    expect(dead).toHaveLength(100);
    for (const d of dead) {
      expect(d.code).toMatch(/^[A-Z0-9_]+$/);
      expect(d.reason.length).toBeGreaterThan(5);
      expect(d.source).toBe('http');
    }
    const codes = new Set(dead.map((d) => d.code));
    for (const code of ['INVALID_JSON', 'WRONG_TYPE', 'MISSING_FIELD', 'UNKNOWN_KIND', 'TOO_LARGE', 'INVALID_UTF8', 'TIMESTAMP_OUT_OF_RANGE', 'NON_FINITE_NUMBER']) {
      expect(codes).toContain(code);
    }
    const tooLarge = dead.find((d) => d.rawSize > 1e6)!;
    expect(tooLarge.truncated).toBe(true);
    expect(tooLarge.raw.byteLength).toBeLessThan(tooLarge.rawSize);

    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    const received = metricValue(metrics, 'vigil_events_received_total', { source: 'http' });
    const accepted = metricValue(metrics, 'vigil_events_accepted_total', { source: 'http' });
    const rejected = metricValue(metrics, 'vigil_events_rejected_total', { source: 'http' });
    const dropped = metricValue(metrics, 'vigil_events_dropped_total', { source: 'http' });
    expect([received, accepted, rejected, dropped]).toEqual([1100, 1000, 100, 0]);
    expect(received).toBe(accepted + rejected + dropped);
  });

  it('answers each line with its id or its rejection, in order', async () => {
    const body = `${bsm(1)}\n{"kind":"bsm"}\n\n${bsm(2)}\r\n`;
    const res = await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: NDJSON });
    const json = (await res.json()) as { accepted: number; rejected: number; results: Array<{ id?: string; error?: { code: string } }> };
    expect(json.accepted).toBe(2);
    expect(json.rejected).toBe(1);
    expect(json.results.map((r) => r.id !== undefined)).toEqual([true, false, true]);
    expect(json.results[1]?.error?.code).toBe('MISSING_FIELD');
    expect(node.store.hasEvent(json.results[0]!.id!)).toBe(true);
  });

  it('takes a JSON array as well as NDJSON', async () => {
    const res = await fetch(`${node.url}/ingest`, { method: 'POST', body: `[${bsm(1)},${bsm(2)},{"kind":1}]`, headers: { 'Content-Type': 'application/json' } });
    const json = (await res.json()) as { accepted: number; rejected: number };
    expect([json.accepted, json.rejected]).toEqual([2, 1]);
  });

  it('stores a redelivered event once and still answers it as stored', async () => {
    await fetch(`${node.url}/ingest`, { method: 'POST', body: bsm(7), headers: NDJSON });
    const res = await fetch(`${node.url}/ingest`, { method: 'POST', body: bsm(7), headers: NDJSON });
    const json = (await res.json()) as { accepted: number; duplicates: number };
    expect(json).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(node.store.countEvents()).toBe(1);
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${node.url}/healthz`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });

  it('refuses anything but POST on /ingest', async () => {
    expect((await fetch(`${node.url}/ingest`)).status).toBe(405);
  });
});

describe('splitting an NDJSON body', () => {
  const validation = resolveValidationOptions({ maxRecordBytes: 300 });
  const good = (n: number) => JSON.stringify({ kind: 'bsm', vehicle: `V-${n}`, ts: Date.now() - 1000, lat: 1, lon: 2, speed: 3, heading: 4 });
  const lines = [
    Buffer.from(good(1)),
    Buffer.from('{"kind":"bsm"'),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(good(2))]),
    Buffer.from(`${good(3)}\r`),
    Buffer.from('   '),
    Buffer.from(JSON.stringify({ kind: 'log', host: 'h-1', ts: Date.now(), message: 'é€ \u2028 x' })),
    Buffer.from(`{"kind":"log","host":"h","ts":1,"message":"${'x'.repeat(400)}"}`),
    Buffer.from(''),
    Buffer.from(good(4)),
  ];

  // Each line as its own record (what MQTT and the file collector do) is the reference.
  const reference = (body: Buffer[]) =>
    body
      .map((line) => (line.at(-1) === 0x0d ? line.subarray(0, -1) : line))
      .filter((line) => line.toString('latin1').trim() !== '')
      .map((line) => ({ raw: line, result: parseJsonRecord(line, validation) }));

  it.each([
    ['valid UTF-8', lines],
    ['a line of invalid UTF-8 among them', [...lines.slice(0, 4), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), ...lines.slice(4)]],
  ])('gives each line of a body with %s the same item as alone, and keeps its bytes', (_name, body) => {
    const items = toItems(Buffer.concat(body.flatMap((line) => [line, Buffer.from('\n')])), validation);
    const expected = reference(body);
    expect(items).toHaveLength(expected.length);
    items.forEach((item, i) => {
      const want = expected[i]!;
      expect(Buffer.from(item.raw)).toEqual(want.raw);
      expect(item.event ? { ok: true, event: item.event } : { ok: false, rejection: item.rejection }).toEqual(want.result);
    });
    expect(items.filter((item) => item.event).length).toBe(5);
  });
});

describe('limits of the HTTP collector', () => {
  let cleanup: () => void;
  let node: VigilNode;
  afterEach(async () => {
    await node.stop();
    cleanup();
  });

  it('answers 413 to a body above the configured size and stores nothing of it', async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0, maxBodyBytes: 4096 } }), { logger: silentLogger() });
    const body = Array.from({ length: 100 }, (_, i) => bsm(i)).join('\n');
    const res = await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: NDJSON });
    expect(res.status).toBe(413);
    expect(node.store.countEvents()).toBe(0);
    expect(node.store.countDeadLetters()).toBe(0);
  });

  it('answers 429 with Retry-After when the pipeline is full, then takes the retry', async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, ingest: { queueCapacity: 10 } }), { logger: silentLogger() });
    // A consumer that does not keep up holds the answering: the writer commits at most one
    // batch more, then the queue fills and new input is refused.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    node.ingest.onStored(() => held);
    const waiting: Promise<Response>[] = [fetch(`${node.url}/ingest`, { method: 'POST', body: bsm(1), headers: NDJSON })];
    let sent = 1;
    let refused: Response | undefined;
    for (let k = 0; k < 5 && !refused; k++) {
      await new Promise((r) => setTimeout(r, 200));
      const body = Array.from({ length: 10 }, (_, i) => bsm(100 + 10 * k + i)).join('\n');
      const res = fetch(`${node.url}/ingest`, { method: 'POST', body, headers: NDJSON });
      const outcome = await Promise.race([res, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 300))]);
      if (outcome === 'waiting') {
        waiting.push(res);
        sent += 10;
      } else refused = outcome;
    }
    expect(refused?.status).toBe(429);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(waiting.length).toBeLessThanOrEqual(3); // the one held, at most one more committed, one queue-full
    release();
    for (const w of waiting) expect((await w).status).toBe(200);
    const retry = await fetch(`${node.url}/ingest`, { method: 'POST', body: bsm(999), headers: NDJSON });
    expect(retry.status).toBe(200);
    expect(node.store.countEvents()).toBe(sent + 1);
    const metrics = await node.metrics.registry.metrics();
    expect(metricValue(metrics, 'vigil_events_received_total', { source: 'http' })).toBe(sent + 1);
    expect(metricValue(metrics, 'vigil_events_dropped_total', { source: 'http' })).toBe(0);
  });
});

describe('when a consumer of stored events fails', () => {
  it('still answers the batch as stored, reports the failure, and keeps taking input', async () => {
    const tmp = tempDir();
    const failures: unknown[] = [];
    const logger = silentLogger();
    const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 } }), {
      logger: Object.assign(Object.create(logger) as typeof logger, { error: (obj: unknown) => failures.push(obj) }),
    });
    try {
      let fail = true;
      node.ingest.onStored(() => {
        if (fail) throw new Error('consumer down');
      });
      const first = await fetch(`${node.url}/ingest`, { method: 'POST', body: bsm(1), headers: NDJSON });
      expect(first.status).toBe(200);
      fail = false;
      const second = await fetch(`${node.url}/ingest`, { method: 'POST', body: bsm(2), headers: NDJSON });
      expect(second.status).toBe(200);
      expect(node.store.countEvents()).toBe(2);
      expect(failures.length).toBeGreaterThanOrEqual(1);
    } finally {
      await node.stop();
      tmp.cleanup();
    }
  });
});
