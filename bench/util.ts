/** What the benchmark programs that run a real `vigil start` share. */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { saveModel } from '../detector/index.js';
import { trainDemoModelFromSimulator } from '../pipeline/demo.js';

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times (100 on every mainstream architecture). */
const CLOCK_TICKS = 100;

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
 * taken (a 429 waits 20 ms and sends it again, as does a reset connection). Resolves with the
 * events acknowledged and the retries; any other answer than 200 fails the benchmark.
 */
export async function postIngestBodies(port: number, bodies: readonly string[], concurrency: number, headers: Record<string, string> = {}): Promise<{ stored: number; retries: number }> {
  let next = 0;
  let stored = 0;
  let retries = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        for (let resets = 0; ; ) {
          let res: Response;
          try {
            res = await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson', ...headers } });
          } catch (err) {
            // A node starved of CPU (a shared machine) can reset a keep-alive connection as it is
            // reused. Sending the body again is safe: an event's id is its content's hash, and
            // the store answers a redelivery as stored without storing it twice.
            if (++resets > 5) throw err;
            retries++;
            await new Promise((r) => setTimeout(r, 100 * resets));
            continue;
          }
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

/**
 * CPU time of a process, milliseconds (Linux /proc; 0 elsewhere): all its threads, and per
 * thread (the main thread, the event loop, has the process id; the busiest other one under
 * ingest is the store writer).
 */
export function childCpuMs(pid: number): { all: number; threads: Map<string, number> } {
  // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
  const read = (path: string): number => {
    try {
      const stat = readFileSync(path, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    } catch {
      return 0;
    }
  };
  const threads = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) threads.set(tid, read(`/proc/${pid}/task/${tid}/stat`));
  } catch {
    // not Linux
  }
  return { all: read(`/proc/${pid}/stat`), threads };
}

export interface CpuSpent {
  all: number;
  main: number;
  /** Other threads, busiest first. */
  others: number[];
}

export function cpuSince(pid: number, start: ReturnType<typeof childCpuMs>): CpuSpent {
  const now = childCpuMs(pid);
  const others: number[] = [];
  for (const [tid, ms] of now.threads) if (tid !== String(pid)) others.push(ms - (start.threads.get(tid) ?? 0));
  others.sort((a, b) => b - a);
  return { all: now.all - start.all, main: (now.threads.get(String(pid)) ?? 0) - (start.threads.get(String(pid)) ?? 0), others };
}

export const cpuText = (cpu: CpuSpent) =>
  `node CPU ${(cpu.all / 1000).toFixed(2)} s (event loop ${(cpu.main / 1000).toFixed(2)} s, busiest other threads ${cpu.others
    .slice(0, 3)
    .map((ms) => (ms / 1000).toFixed(2))
    .join(' / ')} s)`;


/** A fresh data directory for a benchmarked node, with a trained model installed when `model` is set. */
export async function benchDataDir(ctx: { progress(m: string): void }, name: string, model = false): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), `vigil-bench-${name}-`));
  if (model) await installTrainedModel(dataDir, (m) => ctx.progress(m));
  return dataDir;
}

/**
 * `vigil start --data-dir DIR --port PORT …args` as a child process. `stop()` ends it (SIGTERM,
 * waiting for its exit, when it still runs) and removes the data directory. BENCH_PROFILE=DIR:
 * a V8 CPU profile of the node, one file per thread, into DIR (node refuses --cpu-prof in
 * NODE_OPTIONS).
 */
export function spawnBenchNode(dataDir: string, port: number, args: readonly string[], env: Record<string, string>): { child: ChildProcess; stop(): Promise<void> } {
  const bin = resolve(import.meta.dirname, '../bin/vigil.js');
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, bin, 'start', '--data-dir', dataDir, '--port', String(port), ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, VIGIL_LOG_LEVEL: 'warn', ...env },
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { child, stop };
}

let trained: Promise<string> | undefined;

/**
 * A model trained once per bench run on the simulator's normal traffic (as the demo trains
 * its first one), copied into a node's data directory before it starts: the full node
 * scores with a model, as a deployment does.
 */
export async function installTrainedModel(dataDir: string, progress: (m: string) => void): Promise<void> {
  trained ??= (async () => {
    progress('training a model on simulated normal traffic for the full node');
    const dir = join(mkdtempSync(join(tmpdir(), 'vigil-bench-model-')), 'model');
    await saveModel(dir, (await trainDemoModelFromSimulator({ seed: 7919 })).bundle);
    return dir;
  })();
  cpSync(await trained, join(dataDir, 'model'), { recursive: true });
}

/**
 * BENCH_ROUNDS rounds of the full node (a trained model, as `vigil start` runs) and of a node
 * with the detector off (VIGIL_DETECTOR=false), alternating which goes first so that neither
 * always runs on the warmer (or busier) machine. BENCH_INGEST_ONLY=1 runs only the detector-off
 * node, BENCH_FULL_NODE_ONLY=1 only the full one.
 */
export async function fullAndOffRounds<M>(measure: (label: string, env: Record<string, string>, model: boolean) => Promise<M>): Promise<{ full: M[]; off: M[] }> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
  const full: M[] = [];
  const off: M[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['full', 'off'] as const) : (['off', 'full'] as const);
    for (const which of order) {
      if (which === 'full' && process.env.BENCH_INGEST_ONLY !== '1') full.push(await measure('full node, trained model', {}, true));
      if (which === 'off' && process.env.BENCH_FULL_NODE_ONLY !== '1') off.push(await measure('detector off', { VIGIL_DETECTOR: 'false' }, false));
    }
  }
  return { full, off };
}

/** The median of a non-empty list (the mean of the middle two for an even length). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}
