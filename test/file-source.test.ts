import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSource, ingestFile, readBatches, type FileProgress } from '../collectors/file/index.js';
import type { IngestItem, IngestReceipt, IngestSink, SubmitOptions } from '../collectors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.UTC(2024, 10, 21);
const lines = (n: number, bad: Set<number> = new Set()) =>
  Array.from({ length: n }, (_, i) => (bad.has(i) ? `{"kind":"telemetry",` : JSON.stringify({ kind: 'telemetry', device: `D-${i % 5}`, ts: NOW - 60_000 + i, metrics: { v: i } }))).join('\n');

/** A sink that stores in memory and lets the test hold each submit open (a full pipeline). */
class HeldSink implements IngestSink {
  readonly batches: Array<{ source: string; items: readonly IngestItem[]; options: SubmitOptions | undefined }> = [];
  inFlight = 0;
  maxInFlight = 0;
  private release: Array<() => void> = [];
  hold = false;

  async submit(source: string, items: readonly IngestItem[], options?: SubmitOptions): Promise<IngestReceipt> {
    this.batches.push({ source, items, options });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.hold) await new Promise<void>((resolve) => this.release.push(resolve));
    this.inFlight -= 1;
    const accepted = items.filter((i) => i.event !== undefined).length;
    return {
      accepted,
      duplicates: 0,
      rejected: items.length - accepted,
      results: items.map((i) => (i.event !== undefined ? { id: i.event.id } : { rejection: i.rejection })),
    };
  }

  dropped(): void {
    throw new Error('a file source never drops');
  }

  releaseOne(): boolean {
    const next = this.release.shift();
    next?.();
    return next !== undefined;
  }
}

describe('the file source', () => {
  it('submits every record in batches with wait: true, and the receipts add up', async () => {
    const path = join(dir, 'a.ndjson');
    writeFileSync(path, lines(2500, new Set([10, 2000])));
    const sink = new HeldSink();
    const summary = await ingestFile(sink, { path, format: 'ndjson', batchSize: 1000, validation: { now: () => NOW } });
    expect(sink.batches.map((b) => b.items.length)).toEqual([1000, 1000, 500]);
    expect(sink.batches.every((b) => b.source === 'file' && b.options?.wait === true)).toBe(true);
    expect(summary).toMatchObject({ lines: 2500, records: 2500, events: 2498, rejections: 2, accepted: 2498, rejected: 2, stopped: false });
    const rejected = sink.batches.flatMap((b) => b.items).filter((i) => i.rejection !== undefined);
    expect(rejected.map((i) => i.rejection?.message.slice(0, 8))).toEqual(['line 11:', 'line 200']);
  });

  it('waits for the pipeline: no second batch is read into submit while the first is held', async () => {
    const path = join(dir, 'b.ndjson');
    writeFileSync(path, lines(300));
    const sink = new HeldSink();
    sink.hold = true;
    const source = new FileSource({ path, format: 'ndjson', batchSize: 100, validation: { now: () => NOW } });
    await source.start(sink);
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.batches).toHaveLength(1);
    let released = 0;
    while (released < 3) {
      if (sink.releaseOne()) released += 1;
      await new Promise((r) => setTimeout(r, 10));
    }
    const summary = await source.finished;
    expect(sink.maxInFlight).toBe(1);
    expect(summary.accepted).toBe(300);
  });

  it('reports progress through the callback, the last one marked done', async () => {
    const path = join(dir, 'c.ndjson');
    writeFileSync(path, lines(5000));
    let clock = 0;
    const reports: FileProgress[] = [];
    await ingestFile(new HeldSink(), {
      path,
      format: 'ndjson',
      batchSize: 500,
      validation: { now: () => NOW },
      now: () => (clock += 100),
      progressIntervalMs: 100,
      onProgress: (p) => reports.push(p),
    });
    const last = reports[reports.length - 1] as FileProgress;
    expect(last).toMatchObject({ done: true, lines: 5000, accepted: 5000, bytesRead: last.totalBytes });
    expect(last.linesPerSecond).toBeGreaterThan(0);
    expect(reports.filter((r) => !r.done).length).toBeGreaterThan(0);
  });

  it('stops early when asked, and says so', async () => {
    const path = join(dir, 'd.ndjson');
    writeFileSync(path, lines(50_000));
    const sink = new HeldSink();
    sink.hold = true;
    const source = new FileSource({ path, format: 'ndjson', batchSize: 100, validation: { now: () => NOW } });
    await source.start(sink);
    const stopping = source.stop();
    while (sink.releaseOne() || sink.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    await stopping;
    const summary = await source.finished;
    expect(summary.stopped).toBe(true);
    expect(summary.lines).toBeLessThan(50_000);
  });

  it('fails start() for a missing file, and finished for a failing sink', async () => {
    await expect(new FileSource({ path: join(dir, 'none'), format: 'ndjson' }).start(new HeldSink())).rejects.toMatchObject({ code: 'SOURCE_UNREADABLE' });
    const path = join(dir, 'e.ndjson');
    writeFileSync(path, lines(10));
    const broken: IngestSink = { submit: () => Promise.reject(new Error('disk full')), dropped: () => {} };
    const source = new FileSource({ path, format: 'ndjson', validation: { now: () => NOW } });
    await source.start(broken);
    await expect(source.finished).rejects.toThrow('disk full');
  });

  it('yields IngestItem batches directly, verbatim raw included', async () => {
    const path = join(dir, 'f.ndjson');
    writeFileSync(path, `${lines(3)}\nnot json\n`);
    const batches: IngestItem[][] = [];
    for await (const b of readBatches(path, { format: 'ndjson', batchSize: 2, validation: { now: () => NOW } })) batches.push(b);
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
    expect(batches[1]?.[1]).toMatchObject({ raw: 'not json', rejection: { code: 'INVALID_JSON' } });
  });
});
