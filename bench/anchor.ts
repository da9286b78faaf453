/**
 * anchor_latency_ms: a checkpoint cut → its anchor mined and recorded by the node, on a
 * local anvil with 1 s blocks (so about half a block on average, plus the node's polling);
 * median of BENCH_ANCHOR_ROUNDS. anchor_gas: gas of one anchor transaction (median, a
 * repeat anchor of the same origin; anchor_gas_first: the origin's first, which writes
 * fresh storage). anchor_node_cpu_ms: CPU time of this process per round, all threads (the
 * anchorer's RPC calls, signing and bookkeeping, plus a 100-entry append and checkpoint):
 * what one anchor costs the node, whatever else the shared machine is doing.
 * anchor_main_thread_cpu_ms: of that, the main thread's own CPU time per round (the node
 * runs the anchorer on a worker thread, ThreadedAnchorer: this is what ingest's thread
 * still pays, the ledger's append and checkpoint included), and _inline: the same rounds
 * with the anchorer on the main thread, as before. Thread CPU time, unlike wall time, does
 * not grow when the shared machine's other work takes the cores.
 * ingest_anchor_on_events_per_s / _off_: `vigil start` (detector off) ingesting over HTTP
 * with anchoring on (an anchor after every checkpoint, i.e. every second: harsher than the
 * defaults) and off, interleaved off, on, off, on, … so that a shared machine's drift hits
 * both alike; medians of BENCH_ANCHOR_INGEST_RUNS each, and their ratio. One anvil (1 s
 * blocks) runs through all of them, on as off: in a deployment the chain is not on the
 * node's cores, so what is compared is the node's own cost of anchoring.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Anchorer, ANVIL_DEV_KEY, ThreadedAnchorer, createChainReader, deployAnchorContract, startAnvil } from '../anchor/index.js';
import { Ledger } from '../ledger/index.js';
import type { BenchContext, Figures } from './main.js';
import { benchBsm, freePort, postIngestBodies, waitHealthy } from './util.js';

const ROUNDS = Number(process.env.BENCH_ANCHOR_ROUNDS ?? 10);
const INGEST_RUNS = Number(process.env.BENCH_ANCHOR_INGEST_RUNS ?? 3);
const INGEST_EVENTS = Number(process.env.BENCH_ANCHOR_INGEST_EVENTS ?? 100_000);
const BATCH = 1_000;
const CONCURRENCY = 32;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function run(ctx: BenchContext): Promise<Figures> {
  const chainFigures = await latencyAndGas(ctx);
  const ingest = await ingestOnOff(ctx);
  return { ...chainFigures, ...ingest };
}

/** CPU time of the calling thread (or of the task `statFile` names), milliseconds (Linux /proc, 10 ms ticks; Node 20 has no threadCpuUsage). */
function threadCpuMs(statFile = '/proc/thread-self/stat'): number {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Rounds {
  latencies: number[];
  gas: number[];
  /** Per round: the whole process, and the main (ingest's) thread alone. */
  cpuMs: number;
  mainCpuMs: number;
}

/** ROUNDS checkpoints of 100 entries, each awaited until anchored, with the anchorer inline or on its thread. */
async function anchorRounds(kind: 'inline' | 'thread'): Promise<Rounds> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-anchor-'));
  const anvil = await startAnvil({ blockTime: 1 });
  try {
    const d = await deployAnchorContract({ rpcUrl: anvil.url, privateKey: ANVIL_DEV_KEY });
    const ledger = await Ledger.open({ dir: join(dir, 'ledger'), checkpointEvery: 1 << 30, checkpointIntervalMs: 2 ** 31 - 1 });
    const options = { stateDir: join(dir, 'anchor'), rpcUrl: anvil.url, chainId: d.chainId, contract: d.contract, privateKey: ANVIL_DEV_KEY, latestCheckpoint: () => ledger.latestCheckpoint, everyCheckpoints: 1, intervalMs: 1, pollMs: 50 };
    const anchorer = kind === 'thread' ? new ThreadedAnchorer(options) : new Anchorer(options);
    await anchorer.start();
    const latencies: number[] = [];
    const cpu0 = process.cpuUsage();
    const main0 = threadCpuMs();
    let cpuMs = 0;
    let mainCpuMs = 0;
    try {
      for (let r = 0; r < ROUNDS; r++) {
        ledger.appendMany(Array.from({ length: 100 }, (_, i) => ({ type: 'event' as const, ts: Date.now(), body: { id: `bench-${r}-${i}` } })));
        const cp = await ledger.checkpoint();
        const cut = performance.now();
        while ((anchorer.anchors.at(-1)?.anchor.size ?? 0) < cp.size) await new Promise((res) => setTimeout(res, 5));
        latencies.push(performance.now() - cut);
      }
      const used = process.cpuUsage(cpu0);
      cpuMs = (used.user + used.system) / 1000 / ROUNDS;
      mainCpuMs = (threadCpuMs() - main0) / ROUNDS;
    } finally {
      await anchorer.stop();
      await ledger.close();
    }
    const client = createChainReader(anvil.url);
    const gas = await Promise.all(anchorer.anchors.map(async (e) => Number((await client.getTransactionReceipt({ hash: e.anchor.txHash })).gasUsed)));
    return { latencies, gas, cpuMs, mainCpuMs };
  } finally {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function latencyAndGas(ctx: BenchContext): Promise<Figures> {
  const t = await anchorRounds('thread');
  const inline = await anchorRounds('inline');
  const { latencies, gas } = t;
  ctx.progress(`anchor: ${ROUNDS} checkpoints anchored, latency median ${median(latencies).toFixed(0)} ms (min ${Math.min(...latencies).toFixed(0)}, max ${Math.max(...latencies).toFixed(0)}), gas ${gas.join(' ')}`);
  ctx.progress(`anchor: CPU per round (100 entries, a checkpoint, its anchor): process ${t.cpuMs.toFixed(1)} ms, main thread ${t.mainCpuMs.toFixed(1)} ms with the anchorer on its thread; process ${inline.cpuMs.toFixed(1)} ms, main thread ${inline.mainCpuMs.toFixed(1)} ms with it inline`);
  return {
    anchor_latency_ms: Math.round(median(latencies)),
    anchor_gas: median(gas.slice(1)),
    anchor_gas_first: gas[0] ?? 0,
    anchor_node_cpu_ms: Number(t.cpuMs.toFixed(1)),
    anchor_main_thread_cpu_ms: Number(t.mainCpuMs.toFixed(1)),
    anchor_main_thread_cpu_ms_inline: Number(inline.mainCpuMs.toFixed(1)),
  };
}

async function ingestOnOff(ctx: BenchContext): Promise<Figures> {
  const on: IngestRun[] = [];
  const off: IngestRun[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-anchor-chain-'));
  const anvil = await startAnvil({ blockTime: 1 });
  try {
    const d = await deployAnchorContract({ rpcUrl: anvil.url, privateKey: ANVIL_DEV_KEY });
    const keyFile = join(dir, 'account.key');
    writeFileSync(keyFile, `${ANVIL_DEV_KEY}\n`, { mode: 0o600 });
    const anchor = { mode: 'rpc', rpcUrl: anvil.url, chainId: d.chainId, contract: d.contract, keyFile, everyCheckpoints: 1, intervalMs: 1000 };
    for (let i = 0; i < INGEST_RUNS; i++) {
      off.push(await ingestOnce(ctx, undefined));
      on.push(await ingestOnce(ctx, anchor));
    }
  } finally {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const m = (runs: IngestRun[], k: keyof IngestRun) => median(runs.map((r) => r[k]));
  const mOn = m(on, 'perSecond');
  const mOff = m(off, 'perSecond');
  ctx.progress(`anchor: ingest off ${off.map((r) => r.perSecond).join(' ')} on ${on.map((r) => r.perSecond).join(' ')} events/s`);
  return {
    ingest_anchor_off_events_per_s: Math.round(mOff),
    ingest_anchor_on_events_per_s: Math.round(mOn),
    ingest_anchor_on_off_ratio: Number((mOn / mOff).toFixed(3)),
    // CPU per event is what a shared machine distorts least: on/off > 1 is what anchoring costs the node.
    ingest_anchor_cpu_us_per_event_off: m(off, 'cpuUs'),
    ingest_anchor_cpu_us_per_event_on: m(on, 'cpuUs'),
    ingest_anchor_main_thread_cpu_us_per_event_off: m(off, 'mainUs'),
    ingest_anchor_main_thread_cpu_us_per_event_on: m(on, 'mainUs'),
  };
}

interface IngestRun {
  perSecond: number;
  /** The node's CPU per event, microseconds: the whole process, and its main thread alone. */
  cpuUs: number;
  mainUs: number;
}

async function ingestOnce(ctx: BenchContext, anchor: Record<string, unknown> | undefined): Promise<IngestRun> {
  const anchoring = anchor !== undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-anchor-ingest-'));
  const configFile = join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ detector: { enabled: false }, anchor: anchor ?? { mode: 'off' } }));
  const port = await freePort();
  const child = spawn(process.execPath, [resolve(import.meta.dirname, '../bin/vigil.js'), 'start', '--config', configFile, '--data-dir', join(dataDir, 'data'), '--port', String(port), '--no-mqtt-broker', '--no-syslog'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' },
  });
  try {
    await waitHealthy(port, 60_000);
    const now = Date.now();
    const bodies: string[] = [];
    for (let b = 0; b < INGEST_EVENTS / BATCH; b++) {
      const lines: string[] = [];
      for (let i = 0; i < BATCH; i++) {
        const n = b * BATCH + i;
        lines.push(benchBsm(n, now));
      }
      bodies.push(lines.join('\n'));
    }
    const pid = child.pid!;
    const cpu = () => [threadCpuMs(`/proc/${pid}/stat`), threadCpuMs(`/proc/${pid}/task/${pid}/stat`)] as const;
    const [proc0, main0] = cpu();
    const t0 = performance.now();
    await postIngestBodies(port, bodies, CONCURRENCY);
    const perSecond = Math.round(INGEST_EVENTS / ((performance.now() - t0) / 1000));
    const [proc1, main1] = cpu();
    const run = { perSecond, cpuUs: Number((((proc1 - proc0) * 1000) / INGEST_EVENTS).toFixed(2)), mainUs: Number((((main1 - main0) * 1000) / INGEST_EVENTS).toFixed(2)) };
    ctx.progress(`anchor: ingest with anchoring ${anchoring ? 'on' : 'off'}: ${perSecond} events/s, node CPU ${run.cpuUs} µs/event (main thread ${run.mainUs})`);
    return run;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
