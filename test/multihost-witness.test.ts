/**
 * Several hosts on one machine: two `vigil witness` nodes, each in a network namespace of
 * its own (made here with iproute2, joined to this host by a veth pair, each on its own
 * address), witness a log written on this host. Cutting one witness's link keeps the log
 * appending and cutting durable checkpoints while publication waits for the quorum; healing
 * it lets the cosignatures catch up; a second writer with the same key and another history
 * is refused by both, which keep the evidence. Needs root and `ip`; says so when skipped.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, verifyBundle, type Checkpoint, type LedgerEntry, type LedgerLogger } from '../ledger/index.js';
import { repoRoot, tempDir, vigilBin } from './helpers.js';

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (`ip`) is not installed';
  const probe = `vgl-probe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', probe]).status !== 0) return '`ip netns add` is refused here';
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}
const why = unavailable();
if (why) console.warn(`multi-host witness tests: skipped — ${why}`);

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const quiet: LedgerLogger = { info: () => {}, warn: () => {}, error: () => {} };
const manual = { checkpointEvery: 1_000_000, checkpointIntervalMs: 3_600_000, logger: quiet };
const event = (tag: string, i: number): LedgerEntry => ({ type: 'event', ts: 1_700_000_000_000 + i, body: { id: `${tag}-${i}`, vehicle: `V-${i % 9}`, speed: i / 4 } });

interface Host {
  ns: string;
  /** This host's end of the veth pair. */
  link: string;
  address: string;
  url: string;
  dir: string;
  pem: string;
  child: ChildProcess;
}

/** A namespace joined to this host by a veth pair on its own /30, running a witness. */
async function witnessHost(k: number, root: string): Promise<Host> {
  const tag = `${process.pid % 10_000}${k}`;
  const ns = `vgl-w${tag}`;
  const link = `vgh${tag}`;
  const peer = `vgp${tag}`;
  const net = `10.77.${(process.pid % 200) + k}`;
  ip('netns', 'add', ns);
  ip('link', 'add', link, 'type', 'veth', 'peer', 'name', peer);
  ip('link', 'set', peer, 'netns', ns);
  ip('addr', 'add', `${net}.1/30`, 'dev', link);
  ip('link', 'set', link, 'up');
  ip('-n', ns, 'addr', 'add', `${net}.2/30`, 'dev', peer);
  ip('-n', ns, 'link', 'set', peer, 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  const dir = join(root, ns);
  mkdirSync(dir);
  const address = `${net}.2`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, vigilBin, 'witness', '--host', address, '--port', '7380', '--data-dir', dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`witness in ${ns} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = / listening on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return { ns, link, address, url, dir, pem: readFileSync(join(dir, 'witness.pub.pem'), 'utf8'), child };
}

async function witnessedSize(h: Host, origin: string): Promise<number> {
  const logs = (await (await fetch(`${h.url}/logs`, { signal: AbortSignal.timeout(2_000) })).json()) as { logs: Record<string, Checkpoint> };
  return logs.logs[origin]?.size ?? 0;
}

describe.skipIf(why !== undefined)('a log and two witnesses on separate hosts (network namespaces)', () => {
  const tmp = tempDir('vigil-multihost-');
  const hosts: Host[] = [];
  let ledger: Ledger;
  let logDir: string;

  beforeAll(async () => {
    for (let k = 0; k < 2; k++) hosts.push(await witnessHost(k, tmp.dir));
    logDir = join(tmp.dir, 'log');
    ledger = await Ledger.open({ dir: logDir, ...manual, witnesses: { urls: hosts.map((h) => h.url), required: 2, timeoutMs: 1_000 } });
  }, 60_000);

  afterAll(async () => {
    await ledger?.close().catch(() => undefined);
    for (const h of hosts) {
      h.child.kill('SIGTERM');
      spawnSync('ip', ['netns', 'del', h.ns]);
    }
    tmp.cleanup();
  });

  it('each witness answers on its own address, not on this host', () => {
    expect(new Set(hosts.map((h) => h.address)).size).toBe(2);
    for (const h of hosts) expect(h.url).toBe(`http://${h.address}:7380`);
  });

  it('publishes once both co-sign, over the veth links', async () => {
    ledger.appendMany(Array.from({ length: 100 }, (_, i) => event('honest', i)));
    const cp = await ledger.checkpoint();
    expect(await ledger.published(99)).toEqual(cp);
    for (const h of hosts) expect(await witnessedSize(h, ledger.origin)).toBe(100);
  });

  it('keeps appending while one link is cut, publishes nothing new until it heals, then catches up', async () => {
    const cut = hosts[1]!;
    ip('link', 'set', cut.link, 'down');
    let published: Checkpoint | undefined;
    let waiting: Promise<Checkpoint> | undefined;
    for (let round = 0; round < 5; round++) {
      ledger.appendMany(Array.from({ length: 10 }, (_, i) => event('honest', 100 + round * 10 + i)));
      waiting ??= ledger.published(100).then((cp) => (published = cp));
      // Durable checkpoints go on being cut: ingest does not wait for the witnesses.
      expect((await ledger.checkpoint()).size).toBe(110 + round * 10);
    }
    await new Promise((r) => setTimeout(r, 2_000));
    expect(published).toBeUndefined();
    expect(await witnessedSize(hosts[0]!, ledger.origin)).toBe(150);
    ip('link', 'set', cut.link, 'up');
    const cp = await Promise.race([waiting!, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no publication 30 s after the link healed')), 30_000))]);
    expect(cp.size).toBeGreaterThan(100);
    expect((await ledger.published(149)).size).toBe(150);
    expect(await witnessedSize(cut, ledger.origin)).toBe(150);
    const bundle = await ledger.prove(120);
    const ok = verifyBundle(bundle, ledger.publicKeyPem, { witnessKeys: hosts.map((h) => h.pem), requiredCosignatures: 2 });
    expect(ok.ok, ok.reason).toBe(true);
  }, 60_000);

  it('refuses, at both witnesses, a second writer with the same key and another history, keeping the evidence', async () => {
    const forkDir = join(tmp.dir, 'fork');
    mkdirSync(forkDir);
    copyFileSync(join(logDir, 'private.pem'), join(forkDir, 'private.pem'));
    const fork = await Ledger.open({ dir: forkDir, ...manual });
    try {
      expect(fork.origin).toBe(ledger.origin);
      fork.appendMany(Array.from({ length: 150 }, (_, i) => event('forged', i)));
      const cp = await fork.checkpoint();
      for (const h of hosts) {
        const res = await fetch(`${h.url}/add-checkpoint`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ oldSize: 150, consistency: [], checkpoint: cp }) });
        expect(res.status).toBe(422);
        const body = (await res.json()) as { code: string };
        expect(body.code).toBe('FORK_DETECTED');
        expect(readdirSync(join(h.dir, 'evidence')).length).toBeGreaterThan(0);
        // The honest log stays what the witness holds.
        expect(await witnessedSize(h, ledger.origin)).toBe(150);
      }
    } finally {
      await fork.close();
    }
  }, 60_000);
});
