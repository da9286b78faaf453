/**
 * Ledger figures (issue 4):
 *   ledger_append_per_s          appends/s until durable, a checkpoint every second
 *   inclusion_proof_us           one inclusion proof in a tree of 1,000,000 entries
 *   proof_verify_us              verifying it with the browser verifier (@noble/hashes)
 *   ledger_verify_entries_per_s  `vigil verify`'s full audit of the appended ledger
 * plus, for context, proof verification on node:crypto, a whole evidence bundle (entry read
 * from disk, proof, checkpoint) from the running writer, the CPU time behind each figure
 * (`*_cpu_us`), and the machine's load average: on a shared machine wall-clock figures
 * swing with the other processes, CPU time much less.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  auditLedger,
  Ledger,
  MerkleTree,
  nodeHasher,
  rfc9162Hasher,
  verifyInclusion,
  type LedgerEntry,
} from '../ledger/index.js';
import type { BenchContext, Figures } from './main.js';

const APPENDS = Number(process.env.BENCH_LEDGER_APPENDS ?? 3_000_000);
const TREE_SIZE = 1_000_000;
const quiet = { info: () => {}, warn: (m: string) => process.stderr.write(`ledger: ${m}\n`), error: (m: string) => process.stderr.write(`ledger: ${m}\n`) };

function event(i: number, ts: number): LedgerEntry {
  return {
    type: 'event',
    ts,
    body: { id: `ev-${i}`, kind: 'bsm', vehicle: `V-${i % 5000}`, lat: 1.3521 + (i % 997) / 1e5, lon: 103.8198, speed: (i % 300) / 10, heading: i % 360, seq: i, rsu: 'RSU-07' },
  };
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function run(ctx: BenchContext): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-ledger-'));
  try {
    // Appends, durable: the clock stops when the last entry's checkpoint is fsynced.
    ctx.progress(`ledger: appending ${APPENDS} entries (checkpoint every second)`);
    const ledger = await Ledger.open({ dir, checkpointEvery: Number.MAX_SAFE_INTEGER, checkpointIntervalMs: 1000, logger: quiet });
    const ts = Date.now();
    const cpuBefore = process.cpuUsage();
    const threadsBefore = threadCpu();
    const start = performance.now();
    // Each checkpoint as it becomes durable: (entries covered, time). The steady-state rate
    // is read off the last one cut while appends were still running, so it does not depend
    // on where the final append falls within the one-second checkpoint interval (up to a
    // second of idle waiting for the timer, which is checkpoint latency, not throughput).
    const durable: { size: number; at: number }[] = [];
    let appending = true;
    const follow = (index: number): void => {
      void ledger.committed(index).then((cp) => {
        durable.push({ size: cp.size, at: performance.now() });
        if (appending && ledger.size > cp.size) follow(ledger.size - 1);
      }, () => undefined);
    };
    for (let i = 0; i < APPENDS; ) {
      const end = Math.min(APPENDS, i + 5000);
      for (; i < end; i++) ledger.append(event(i, ts + i));
      if (i === end && end <= 5000) follow(0); // from the first batch on
      await yieldToLoop();
    }
    appending = false;
    const last = await ledger.committed(APPENDS - 1);
    const appendSeconds = (performance.now() - start) / 1000;
    const steady = durable.filter((d) => d.size < APPENDS).at(-1);
    const cpu = process.cpuUsage(cpuBefore);
    const threads = threadCpuSince(threadsBefore);
    const checkpoints = readFileSync(join(dir, 'checkpoints.log'), 'utf8').trim().split('\n').length;

    // A whole evidence bundle from the running writer (reads the entry from disk).
    const bundleRuns = 2000;
    let t = performance.now();
    for (let k = 0; k < bundleRuns; k++) await ledger.prove((k * 7919) % last.size);
    const bundleUs = ((performance.now() - t) * 1000) / bundleRuns;
    await ledger.close();

    ctx.progress('ledger: full audit');
    t = performance.now();
    let c = process.cpuUsage();
    const report = await auditLedger(dir);
    const auditSeconds = (performance.now() - t) / 1000;
    const auditCpu = cpuUs(c) / Math.max(1, report.entries);
    if (!report.ok) throw new Error(`the benchmark ledger does not verify: ${report.failure?.reason ?? ''}`);

    ctx.progress(`ledger: proofs in a tree of ${TREE_SIZE}`);
    const tree = new MerkleTree(nodeHasher);
    const leaf = new Uint8Array(32);
    for (let i = 0; i < TREE_SIZE; i++) {
      new DataView(leaf.buffer).setUint32(0, i);
      tree.append(nodeHasher.hashLeaf(leaf));
    }
    const root = tree.root();
    const indexes = Array.from({ length: 20_000 }, (_, k) => (k * 104_729) % TREE_SIZE);
    tree.inclusionProof(1, TREE_SIZE); // warm up
    t = performance.now();
    c = process.cpuUsage();
    const proofs = indexes.map((i) => tree.inclusionProof(i, TREE_SIZE));
    const proofUs = ((performance.now() - t) * 1000) / indexes.length;
    const proofCpu = cpuUs(c) / indexes.length;

    const verifyRuns = 5000;
    const leaves = indexes.slice(0, verifyRuns).map((i) => tree.leafHash(i));
    for (let k = 0; k < 200; k++) verifyInclusion(rfc9162Hasher, indexes[k]!, TREE_SIZE, leaves[k]!, proofs[k]!, root); // warm up
    t = performance.now();
    c = process.cpuUsage();
    for (let k = 0; k < verifyRuns; k++) verifyInclusion(rfc9162Hasher, indexes[k]!, TREE_SIZE, leaves[k]!, proofs[k]!, root);
    const verifyUs = ((performance.now() - t) * 1000) / verifyRuns;
    const verifyCpu = cpuUs(c) / verifyRuns;
    t = performance.now();
    for (let k = 0; k < verifyRuns; k++) verifyInclusion(nodeHasher, indexes[k]!, TREE_SIZE, leaves[k]!, proofs[k]!, root);
    const verifyNodeUs = ((performance.now() - t) * 1000) / verifyRuns;

    return {
      // Durable appends per second: entries covered by the last checkpoint made durable
      // during the run, over the time it took (falls back to the whole run when the run
      // was shorter than one checkpoint interval).
      ledger_append_per_s: Math.round(steady ? steady.size / ((steady.at - start) / 1000) : APPENDS / appendSeconds),
      // The whole run until its last entry was durable, including the wait for the final timer cut.
      ledger_append_until_last_durable_per_s: Math.round(APPENDS / appendSeconds),
      ledger_append_entries: APPENDS,
      ledger_append_checkpoints: checkpoints,
      // CPU time of all threads (writer, hashing thread, I/O) per append: comparable across
      // runs even when other processes share the machine, as wall-clock figures are not.
      ledger_append_cpu_us: round2((cpu.user + cpu.system) / APPENDS),
      // Per thread (Linux /proc): the writer's own thread, and the busiest other one (the
      // hashing thread). With a core each, appends/s ≈ 1e6 / the larger of the two.
      ...(threads
        ? {
            ledger_append_writer_thread_cpu_us: round2(threads.main / APPENDS),
            ledger_append_hashing_thread_cpu_us: round2(threads.busiestOther / APPENDS),
          }
        : {}),
      bench_loadavg_1m: round2(loadavg()[0]!),
      inclusion_proof_us: round2(proofUs),
      inclusion_proof_cpu_us: round2(proofCpu),
      proof_verify_us: round2(verifyUs),
      proof_verify_cpu_us: round2(verifyCpu),
      proof_verify_node_us: round2(verifyNodeUs),
      evidence_bundle_us: round2(bundleUs),
      ledger_verify_entries_per_s: Math.round(report.entries / auditSeconds),
      ledger_verify_cpu_us: round2(auditCpu),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** CPU time of each thread of this process, microseconds, by thread id (Linux only). */
function threadCpu(): Map<string, number> | undefined {
  try {
    const out = new Map<string, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks of 10 ms (USER_HZ = 100 on Linux).
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * 10_000);
    }
    return out;
  } catch {
    return undefined;
  }
}

function threadCpuSince(before: Map<string, number> | undefined): { main: number; busiestOther: number } | undefined {
  const now = threadCpu();
  if (!before || !now) return undefined;
  let main = 0;
  let busiestOther = 0;
  for (const [tid, us] of now) {
    const d = us - (before.get(tid) ?? 0);
    if (tid === String(process.pid)) main = d;
    else busiestOther = Math.max(busiestOther, d);
  }
  return { main, busiestOther };
}

/** Process CPU time (all threads) since `since`, microseconds. */
function cpuUs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}
