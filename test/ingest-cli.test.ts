import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHttpCollector, PipelineFullError, type IngestItem, type IngestReceipt, type IngestSink, type SubmitOptions } from '../collectors/index.js';
import { parseJsonRecord, resolveValidationOptions } from '../events/index.js';
import { runIngest, type IngestOptions } from '../pipeline/client/ingest.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'file');
const dir = mkdtempSync(join(tmpdir(), 'vigil-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.now();
const validation = resolveValidationOptions();
const tel = (i: number) => JSON.stringify({ kind: 'telemetry', device: `D-${i % 3}`, ts: NOW - 60_000 + i, metrics: { v: i } });

interface Mimic {
  url: string;
  /** Bodies received, in order, with the status answered. */
  requests: Array<{ body: string; status: number }>;
  close(): Promise<void>;
}

/**
 * A stand-in for a node's `POST /ingest` (the contract of collectors/http): per-line results
 * `{"results":[{"id"}|{"error":{code,message}}],"accepted","rejected"}`, 429 with
 * Retry-After for the first `busy` requests, 413 for bodies over `maxBody` bytes.
 */
async function mimic(options: { busy?: number; retryAfter?: string; maxBody?: number; delayFirstMs?: number } = {}): Promise<Mimic> {
  let busy = options.busy ?? 0;
  let seen = 0;
  const requests: Mimic['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        requests.push({ body, status });
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      if (req.method !== 'POST' || req.url !== '/ingest') return answer(404, { error: { code: 'NOT_FOUND', message: req.url } });
      if (options.maxBody !== undefined && Buffer.byteLength(body) > options.maxBody) return answer(413, { error: { code: 'TOO_LARGE', message: 'body too large' } });
      if (busy > 0) {
        busy -= 1;
        return answer(429, { error: { code: 'PIPELINE_FULL', message: 'full' } }, { 'Retry-After': options.retryAfter ?? '1' });
      }
      const results = body
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((line) => {
          const r = parseJsonRecord(line, validation);
          return r.ok ? { id: r.event.id } : { error: { code: r.rejection.code, message: r.rejection.message } };
        });
      const accepted = results.filter((r) => 'id' in r).length;
      const delay = seen++ === 0 ? (options.delayFirstMs ?? 0) : 0;
      setTimeout(() => answer(200, { results, accepted, rejected: results.length - accepted }), delay);
    });
  });
  return listen(server, requests);
}

async function listen(server: Server, requests: Mimic['requests']): Promise<Mimic> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  servers.push(close);
  return { url: `http://127.0.0.1:${port}`, requests, close };
}

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

const quiet = { write: () => true };
const noSleep = { sleep: async () => {}, stderr: quiet };
const readNdjson = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('vigil ingest against a node', () => {
  const ndjson = join(dir, 'mixed.ndjson');
  writeFileSync(ndjson, Buffer.concat([Buffer.from(`${tel(1)}\n{"kind":"telemetry"\n${tel(2)}\n\n`), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(`${tel(3)}\n`)]));

  it('sends NDJSON lines verbatim and counts what the node accepted and rejected', async () => {
    const node = await mimic();
    const rejects = join(dir, 'rejects.ndjson');
    const summary = await runIngest({ file: ndjson, format: 'ndjson', url: node.url, rejects }, noSleep);
    expect(summary).toMatchObject({ lines: 6, records: 5, sent: 4, accepted: 3, rejected: 1, notConverted: 1 });
    expect(summary.records).toBe(summary.accepted + summary.rejected + summary.notConverted);
    expect(node.requests[0]?.body).toBe(`${tel(1)}\n{"kind":"telemetry"\n${tel(2)}\n${tel(3)}\n`);
    const lines = readNdjson(rejects);
    expect(lines).toEqual([
      { line: 5, by: 'local', code: 'INVALID_UTF8', message: 'line 5: expected UTF-8 text, got invalid byte sequences', rawBase64: Buffer.from([0xff, 0xfe]).toString('base64') },
      expect.objectContaining({ line: 2, by: 'node', code: 'INVALID_JSON', raw: '{"kind":"telemetry"' }),
    ]);
  });

  it('waits the Retry-After of a 429 and sends the same batch again', async () => {
    const node = await mimic({ busy: 2, retryAfter: '3' });
    const waits: number[] = [];
    const summary = await runIngest(
      { file: ndjson, format: 'ndjson', url: node.url },
      { stderr: quiet, sleep: async (ms) => void waits.push(ms) },
    );
    expect(waits).toEqual([3000, 3000]);
    expect(node.requests.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(new Set(node.requests.map((r) => r.body)).size).toBe(1);
    expect(summary).toMatchObject({ accepted: 3, retries: 2 });
  });

  it('keeps every body under the batch limit and halves a batch the node refuses with 413', async () => {
    const file = join(dir, 'many.ndjson');
    writeFileSync(file, Array.from({ length: 400 }, (_, i) => tel(i)).join('\n'));
    const node = await mimic({ maxBody: 6000 });
    const summary = await runIngest({ file, format: 'ndjson', url: node.url, maxBatchBytes: 8000 }, noSleep);
    expect(summary).toMatchObject({ sent: 400, accepted: 400, rejected: 0 });
    for (const r of node.requests) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(8000);
    expect(node.requests.some((r) => r.status === 413)).toBe(true);
    const stored = node.requests.filter((r) => r.status === 200).flatMap((r) => r.body.split('\n').filter(Boolean));
    expect(stored).toHaveLength(400);
  });

  it('settles answers in file order when a later batch is answered first', async () => {
    const file = join(dir, 'ordered.ndjson');
    const node = await mimic({ delayFirstMs: 300 });
    const rejects = join(dir, 'ordered-rejects.ndjson');
    writeFileSync(file, Array.from({ length: 40 }, (_, i) => (i % 10 === 9 ? `bad ${i}` : tel(i))).join('\n'));
    const summary = await runIngest({ file, format: 'ndjson', url: node.url, maxBatchLines: 10, concurrency: 4, rejects }, noSleep);
    expect(summary).toMatchObject({ sent: 40, accepted: 36, rejected: 4 });
    // the first batch was answered last, yet its reject comes first
    expect(node.requests[node.requests.length - 1]?.body).toContain(tel(0));
    expect(readNdjson(rejects).map((r) => r['line'])).toEqual([10, 20, 30, 40]);
  });

  it('converts a data set locally, writes labels with the ids the node gave, and reports unconvertible rows', async () => {
    const file = join(dir, 'Train_Test_IoT_Fridge.csv');
    writeFileSync(file, `${readFileSync(join(FIXTURES, 'Train_Test_IoT_Fridge.csv'), 'utf8')}99-Foo-19,10:00:00,1,low,0,normal\r\n`);
    const node = await mimic();
    const labels = join(dir, 'labels.ndjson');
    const rejects = join(dir, 'fridge-rejects.ndjson');
    const summary = await runIngest({ file, format: 'ton-iot', url: node.url, labels, rejects }, noSleep);
    expect(summary).toMatchObject({ records: 6, sent: 5, accepted: 5, notConverted: 1, labels: 5, idMismatches: 0 });
    const sentLines = (node.requests[0]?.body ?? '').split('\n').filter(Boolean);
    const ids = sentLines.map((l) => {
      const r = parseJsonRecord(l, validation);
      return r.ok ? r.event.id : '';
    });
    expect(readNdjson(labels).map((l) => l['id'])).toEqual(ids);
    expect(readNdjson(labels)[0]).toEqual({ id: ids[0], label: 'attack', attack: 'ddos' });
    expect(readNdjson(labels)[3]).toEqual({ id: ids[3], label: 'normal' });
    expect(readNdjson(rejects)).toEqual([expect.objectContaining({ line: 7, by: 'local', code: 'TIMESTAMP_OUT_OF_RANGE', raw: '99-Foo-19,10:00:00,1,low,0,normal' })]);
  });

  it('prints progress lines with lines/s and bytes while it runs', async () => {
    const node = await mimic();
    const file = join(dir, 'progress.ndjson');
    writeFileSync(file, Array.from({ length: 50 }, (_, i) => tel(i)).join('\n'));
    const written: string[] = [];
    let clock = 0;
    await runIngest(
      { file, format: 'ndjson', url: node.url, maxBatchLines: 10, concurrency: 1 },
      { sleep: async () => {}, now: () => (clock += 500), progressIntervalMs: 1000, stderr: { write: (t: string) => written.push(t) } },
    );
    const progress = written.filter((l) => / lines\/s; sent /.test(l));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatch(/^ingest: \d+ lines, 0\.0 MB \(\d+%\), [\d,]+ lines\/s; sent \d+, accepted \d+, rejected 0\n$/);
    expect(written[written.length - 1]).toMatch(/^ingest: read 50 records/);
  });

  it('gives up with a retriable CONNECTION_FAILED when the node cannot be reached', async () => {
    const node = await mimic();
    await node.close();
    const waits: number[] = [];
    await expect(
      runIngest({ file: ndjson, format: 'ndjson', url: node.url, maxRetries: 3 }, { stderr: quiet, sleep: async (ms) => void waits.push(ms) }),
    ).rejects.toMatchObject({ code: 'CONNECTION_FAILED', retriable: true });
    expect(waits).toEqual([250, 500, 1000]);
  });

  it('refuses options that cannot work before reading anything', async () => {
    const base: IngestOptions = { file: ndjson, format: 'ndjson', url: 'http://127.0.0.1:1' };
    await expect(runIngest({ ...base, labels: join(dir, 'x') }, noSleep)).rejects.toThrow(/--labels: format ndjson has no labels/);
    await expect(runIngest({ ...base, url: 'ftp://x' }, noSleep)).rejects.toThrow(/--url: expected http or https/);
    await expect(runIngest({ ...base, maxBatchBytes: 2 * 1024 * 1024 }, noSleep)).rejects.toThrow(/under 1 MiB/);
  });
});

describe("vigil ingest against the node's own HTTP collector", () => {
  /** An in-memory sink that is full for its first `full` submits, as the pipeline is. */
  class MemorySink implements IngestSink {
    readonly stored = new Map<string, IngestItem>();
    readonly dead: IngestItem[] = [];
    constructor(private full: number) {}
    async submit(_source: string, items: readonly IngestItem[], options?: SubmitOptions): Promise<IngestReceipt> {
      if (this.full > 0 && options?.wait === false) {
        this.full -= 1;
        throw new PipelineFullError(1);
      }
      let duplicates = 0;
      for (const item of items) {
        if (item.event === undefined) this.dead.push(item);
        else if (this.stored.has(item.event.id)) duplicates += 1;
        else this.stored.set(item.event.id, item);
      }
      const rejected = items.filter((i) => i.rejection !== undefined).length;
      return {
        accepted: items.length - rejected,
        duplicates,
        rejected,
        results: items.map((i) => (i.event ? { id: i.event.id } : { rejection: i.rejection })),
      };
    }
    dropped(): void {}
  }

  it('stores every frame of a candump log after a 429, and a re-run stores nothing twice', async () => {
    const sink = new MemorySink(1);
    const handler = createHttpCollector(sink, validation);
    const server = createServer((req: IncomingMessage, res: ServerResponse) => void handler(req, res));
    const node = await listen(server, []);
    const file = join(FIXTURES, 'normal.candump');
    const waits: number[] = [];
    const io = { stderr: quiet, sleep: async (ms: number) => void waits.push(ms) };
    const first = await runIngest({ file, format: 'candump', url: node.url, entity: 'truck-9' }, io);
    expect(waits).toEqual([1000]);
    expect(first).toMatchObject({ sent: 5, accepted: 5, rejected: 0 });
    expect(sink.stored.size).toBe(5);
    const again = await runIngest({ file, format: 'candump', url: node.url, entity: 'truck-9' }, io);
    expect(again).toMatchObject({ accepted: 5, duplicates: 5 });
    expect(sink.stored.size).toBe(5);
  });
});

describe('the vigil ingest command', () => {
  const vigil = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'vigil.js'), 'ingest', ...args], { cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      });
    });

  it('retries a real 429, prints a summary on stderr, and exits 0', async () => {
    const node = await mimic({ busy: 1, retryAfter: '1' });
    const run = await vigil([join(FIXTURES, 'labeled_TSC1.csv'), '--format', 'j1939', '--url', node.url, '--labels', join(dir, 'tsc1-labels.ndjson'), '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/ingest: read 5 records .*sent 5 .*accepted 5; rejected 0 by the node; 0 not converted; 5 labels; 1 retries/);
    expect(JSON.parse(run.stdout)).toMatchObject({ sent: 5, accepted: 5, retries: 1 });
    expect(node.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(readNdjson(join(dir, 'tsc1-labels.ndjson')).map((l) => l['attack'] ?? 'normal')).toEqual(['normal', 'normal', 'normal', 'high_torque_command', 'high_torque_command']);
  });

  it('exits 2 when some records were rejected, and 1 on a bad option or a missing file', async () => {
    const node = await mimic();
    const partly = await vigil([join(dir, 'mixed.ndjson'), '--format', 'ndjson', '--url', node.url]);
    expect(partly.code).toBe(2);
    expect(partly.stderr).toMatch(/rejected 1 by the node; 1 not converted/);
    const badFormat = await vigil([join(dir, 'mixed.ndjson'), '--format', 'xml']);
    expect(badFormat.code).toBe(1);
    expect(badFormat.stderr).toMatch(/argument 'xml' is invalid/);
    const missing = await vigil([join(dir, 'absent.ndjson'), '--format', 'ndjson', '--url', node.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/vigil: .*absent\.ndjson: cannot open/);
  });

  it('converts without a node when given --out', async () => {
    const out = join(dir, 'tiny-events.ndjson');
    const run = await vigil([join(FIXTURES, 'tiny.csv'), '--format', 'odds', '--out', out, '--labels', join(dir, 'tiny-labels.ndjson')]);
    expect(run.code).toBe(0);
    const events = readNdjson(out);
    expect(events).toHaveLength(5);
    expect(events[0]).toMatchObject({ kind: 'telemetry', device: 'odds-tiny', ts: Date.UTC(2020, 0, 1) });
    expect(readNdjson(join(dir, 'tiny-labels.ndjson')).map((l) => l['label'])).toEqual(['attack', 'normal', 'normal', 'normal', 'attack']);
  });
});
