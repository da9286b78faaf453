/**
 * The HTTP collector parses a large NDJSON body in slices, with turns of the event loop
 * between them (#20: one body must not hold the API's queries for all of its parse). What a
 * client gets back must not change: one result per line, in order, whatever line a slice
 * starts at.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpCollector, toItems, type IngestItem, type IngestReceipt, type IngestSink } from '../collectors/index.js';
import { resolveValidationOptions } from '../events/index.js';

const NOW = Date.now();
const validation = resolveValidationOptions();
const tel = (i: number) => JSON.stringify({ kind: 'telemetry', device: `D-${i % 7}`, ts: NOW - 60_000 + i, metrics: { v: i } });

class RecordingSink implements IngestSink {
  batches: IngestItem[][] = [];
  async submit(_source: string, items: readonly IngestItem[]): Promise<IngestReceipt> {
    this.batches.push([...items]);
    const results = items.map((it) => (it.event ? { id: it.event.id } : { rejection: it.rejection! }));
    return { accepted: items.filter((i) => i.event).length, duplicates: 0, rejected: items.filter((i) => !i.event).length, results };
  }
  dropped(): void {}
}

describe('a large NDJSON body parsed in slices', () => {
  const sink = new RecordingSink();
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const ingest = createHttpCollector(sink, validation);
    server = createServer((req, res) => void ingest(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers one result per line in order, the same items as a parse in one piece, a mid-body line starting with [ included', async () => {
    const lines = Array.from({ length: 1_000 }, (_, i) => (i === 300 || i === 640 ? '[1,2]' : i === 500 ? '{"kind":"nope"' : tel(i)));
    const body = `${lines.join('\n')}\n`;
    const res = await fetch(`${url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { accepted: number; rejected: number; results: Array<{ id?: string; error?: { code: string } }> };
    expect(answer.results).toHaveLength(1_000);
    expect(answer.rejected).toBe(3);
    expect(answer.results[300]!.error).toBeDefined();
    expect(answer.results[500]!.error?.code).toBe('INVALID_JSON');
    const whole = toItems(Buffer.from(body), validation);
    const got = sink.batches.at(-1)!;
    expect(got.map((i) => i.event?.id ?? i.rejection!.code)).toEqual(whole.map((i) => i.event?.id ?? i.rejection!.code));
  });
});
