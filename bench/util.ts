/** What the benchmark programs that run a real `vigil start` share. */
import { createServer } from 'node:net';

/** A loopback TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Wait until the node on `port` answers /healthz (it opens its port only when ready). */
export async function waitHealthy(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`vigil did not become healthy within ${timeoutMs / 1000} s`);
}

/** The benchmarks' BSM line `n`: a thousand vehicles spread over a small area and 40 roadside units. */
export function benchBsm(n: number, now: number): string {
  return JSON.stringify({ kind: 'bsm', vehicle: `V-${n % 1000}`, ts: now - 3_600_000 + n, lat: 1.3 + (n % 997) * 1e-5, lon: 103.8 + (n % 991) * 1e-5, speed: 10 + (n % 13), heading: n % 360, seq: n, rsu: `RSU-${n % 40}` });
}

/**
 * POSTs NDJSON bodies to `/ingest` over `concurrency` connections, each body until it is
 * taken (a 429 waits 20 ms and sends it again). Resolves with the events acknowledged and the
 * retries; any other answer than 200 fails the benchmark.
 */
export async function postIngestBodies(port: number, bodies: readonly string[], concurrency: number, headers: Record<string, string> = {}): Promise<{ stored: number; retries: number }> {
  let next = 0;
  let stored = 0;
  let retries = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        for (;;) {
          const res = await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson', ...headers } });
          if (res.status === 429) {
            retries++;
            await res.arrayBuffer();
            await new Promise((r) => setTimeout(r, 20));
            continue;
          }
          if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
          stored += ((await res.json()) as { accepted: number }).accepted;
          break;
        }
      }
    }),
  );
  return { stored, retries };
}
