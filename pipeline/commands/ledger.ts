/**
 * The ledger's commands:
 *   vigil verify [--data-dir DIR] [--key KEY] [--rpc URL [--contract ADDR]] [--json]
 *       full audit, and with --rpc the log held against every anchor on chain; exit 0 sound, 1 not
 *   vigil prove [--data-dir DIR] (--id ID | --index N | --incident ID) [--out FILE]   an evidence bundle (with its anchor), or an incident's case bundle
 *   vigil verify-proof BUNDLE.json --key KEY [--witness-key K]… [--required N] [--rpc URL [--contract ADDR]] [--json]
 *   vigil witness --port P --data-dir DIR [--host H] [--name N] [--log-key KEY]…
 * Bad input is one line on stderr and exit 1 (cli.ts prints thrown errors that way).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import {
  auditLedger,
  LedgerError,
  openSnapshot,
  readPublicKey,
  verifyBundle,
  Witness,
  type AuditReport,
} from '../../ledger/index.js';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { CASE_FORMAT, verifyCaseBundle, auditAnchors, createChainReader, fetchAnchors, readRecordedAnchors, anchorProofFor, verifyAnchorProof, verifyAnchoredBundle, type AnchorAudit, type AnchoredVerificationResult, type Hex } from '../../anchor/index.js';
import { ANCHOR_STATE_DIR, readDeployment } from '../anchor.js';
import { intOption } from './options.js';
import { describeCase, proveCase } from './prove-case.js';
import { DEFAULT_DATA_DIR } from '../config.js';

const out = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

/**
 * The ledger's directory: a node keeps it in `<data-dir>/ledger`, so `--data-dir` may name
 * the node's data directory (as `vigil start` takes it) or the ledger directory itself.
 */
async function ledgerDir(dir: string): Promise<string> {
  const s = await stat(dir).catch(() => undefined);
  if (!s?.isDirectory()) throw new LedgerError('INVALID_ARGUMENT', `--data-dir ${dir}: no such directory`);
  const inner = join(dir, 'ledger');
  return (await stat(join(inner, 'entries.log')).catch(() => undefined))?.isFile() ? inner : dir;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('verify')
    .description('recompute a ledger: every entry hash, root, checkpoint signature and cosignature; exit 0 when sound')
    .option('--data-dir <dir>', "the node's data directory (or its ledger/ directory)", DEFAULT_DATA_DIR)
    .option('--key <file-or-key>', "the log's public key (PEM file, hex or base64); default: DIR/public.pem")
    .option('--rpc <url>', 'also hold the log against every anchor of its origin on this Ethereum JSON-RPC endpoint')
    .option('--contract <address>', "the anchor contract to trust (default: the one the node recorded in DIR/anchor/deployment.json)")
    .option('--json', 'print the report as one JSON object')
    .action(verifyCommand);

  program
    .command('prove')
    .description('write an evidence bundle (entry, inclusion proof, signed checkpoint, cosignatures) for one entry')
    .option('--data-dir <dir>', "the node's data directory (or its ledger/ directory)", DEFAULT_DATA_DIR)
    .addOption(new Option('--id <id>', 'the entry whose body.id this is').conflicts('index'))
    .addOption(new Option('--index <n>', 'the entry at this leaf index').argParser(intOption('--index', 0, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--incident <id>', "one case bundle for this incident: its alerts, their evidence event documents, every triage action, each proved").conflicts(['id', 'index']))
    .option('--out <file>', 'write the bundle here instead of stdout')
    .action(proveCommand);

  program
    .command('verify-proof')
    .description('verify an evidence bundle offline with the log public key; exit 0 when it holds, 1 with the reason')
    .argument('<bundle>', 'the bundle JSON file (from vigil prove)')
    .requiredOption('--key <file-or-key>', "the log's public key (PEM file, hex or base64)")
    .option('--witness-key <file-or-key>', 'a trusted witness public key (repeatable)', collect)
    .addOption(new Option('--required <k>', 'trusted witness cosignatures required').argParser(intOption('--required', 0, 256)))
    .option('--rpc <url>', "check the bundle's anchor against the chain through this Ethereum JSON-RPC endpoint")
    .option('--contract <address>', 'the anchor contract to trust (default: the one the bundle names)')
    .option('--require-anchor', 'fail a bundle that carries no anchor')
    .option('--json', 'print the result as one JSON object')
    .action(verifyProofCommand);

  program
    .command('witness')
    .description('run a witness: co-sign checkpoints that extend the last one co-signed, refuse forks and keep evidence')
    .requiredOption('--port <port>', 'TCP port (0 picks a free one)', intOption('--port', 0, 65535))
    .requiredOption('--data-dir <dir>', "the witness's directory (its key, state and fork evidence)")
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--name <name>', "the witness's name in cosignatures (default: vigil-witness/<key prefix>)")
    .option('--log-key <file-or-key>', 'accept only logs signed by this key (repeatable; default: trust each log on first use)', collect)
    .action(witnessCommand);
}

/** `vigil verify`: recompute the ledger, and hold it against the chain's anchors when asked. */
async function verifyCommand(opts: { dataDir: string; key?: string; rpc?: string; contract?: string; json?: boolean }): Promise<void> {
  const dir = await ledgerDir(opts.dataDir);
  const publicKey = opts.key === undefined ? undefined : await readPublicKey(opts.key);
  let lastProgress = Date.now();
  const report = await auditLedger(dir, {
    ...(publicKey ? { publicKey } : {}),
    progress: (done, total) => {
      if (Date.now() - lastProgress < 2000) return;
      lastProgress = Date.now();
      process.stderr.write(`verify: ${done} of ${total} entries\n`);
    },
  });
  const nodeDir = dir === opts.dataDir || !dir.endsWith('/ledger') ? dirname(dir) : opts.dataDir;
  const anchors = await checkAnchors(dir, existsSync(join(opts.dataDir, 'anchor')) ? opts.dataDir : nodeDir, report, opts);
  out(opts.json ? JSON.stringify({ ...report, ok: report.ok && (anchors.audit?.ok ?? true), anchors }) : `${describeAudit(report)}\n${anchors.lines.join('\n')}`);
  if (!report.ok || anchors.audit?.ok === false) process.exitCode = 1;
}

/** `vigil prove`: an evidence bundle (or a case bundle), checked before it is written. */
async function proveCommand(opts: { dataDir: string; id?: string; index?: number; incident?: string; out?: string }): Promise<void> {
  if (opts.incident !== undefined) return writeCase(opts.dataDir, opts.incident, opts.out);
  if (opts.id === undefined && opts.index === undefined) throw new LedgerError('INVALID_ARGUMENT', 'give --id ID, --index N or --incident ID');
  const snapshot = await openSnapshot(await ledgerDir(opts.dataDir));
  let bundle;
  const stateDir = [join(opts.dataDir, ANCHOR_STATE_DIR), join(dirname(opts.dataDir), ANCHOR_STATE_DIR)].find((d) => existsSync(d));
  const recorded = stateDir ? await readRecordedAnchors(stateDir) : [];
  try {
    bundle = opts.id !== undefined ? snapshot.proveById(opts.id) : snapshot.prove(opts.index!);
    // The anchor covering the entry, with a consistency proof between its tree and the bundle's.
    const anchor = anchorProofFor(recorded, bundle.checkpoint, bundle.leafIndex, (m, n) => snapshot.consistencyProof(m, n), snapshot.checkpoint.size);
    if (anchor) {
      verifyAnchorProof(bundle.checkpoint, bundle.leafIndex, anchor, snapshot.publicKey);
      bundle = { ...bundle, anchor };
    } else if (recorded.length > 0) process.stderr.write(`prove: entry ${bundle.leafIndex} is newer than the last anchor (size ${recorded.at(-1)!.anchor.size}); the bundle carries none\n`);
  } finally {
    snapshot.close();
  }
  // A bundle that does not verify here would only mislead an auditor later.
  const check = verifyBundle(bundle, snapshot.publicKey);
  if (!check.ok) throw new LedgerError(check.code ?? 'INCLUSION_PROOF_ERROR', `the bundle does not verify: ${check.reason ?? ''}`);
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  if (opts.out) {
    await writeFile(opts.out, text);
    process.stderr.write(`prove: entry ${bundle.leafIndex} in checkpoint of size ${bundle.checkpoint.size} written to ${opts.out}\n`);
  } else {
    process.stdout.write(text);
  }
}

/** `vigil verify-proof`: a bundle or case bundle, offline. */
async function verifyProofCommand(file: string, opts: { key: string; witnessKey?: string[]; required?: number; rpc?: string; contract?: string; requireAnchor?: boolean; json?: boolean }): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new LedgerError('INVALID_ARGUMENT', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch {
    throw new LedgerError('INVALID_BUNDLE', `${file} is not JSON`);
  }
  const key = await readPublicKey(opts.key);
  const witnessKeys = await Promise.all((opts.witnessKey ?? []).map((k) => readPublicKey(k)));
  const options = {
    witnessKeys,
    ...(opts.required !== undefined ? { requiredCosignatures: opts.required } : {}),
    ...(opts.rpc !== undefined ? { rpcUrl: opts.rpc } : {}),
    ...(opts.contract !== undefined ? { contract: opts.contract } : {}),
    ...(opts.requireAnchor ? { requireAnchor: true } : {}),
  };
  if ((bundle as { format?: unknown } | null)?.format === CASE_FORMAT) {
    const result = await verifyCaseBundle(bundle, key, options);
    out(opts.json ? JSON.stringify(result) : describeCase(result));
    if (!result.ok) process.exitCode = 1;
    return;
  }
  const result = await verifyAnchoredBundle(bundle, key, options);
  out(opts.json ? JSON.stringify(result) : describeProof(result));
  if (!result.ok) process.exitCode = 1;
}

/** `vigil witness`: a witness until SIGINT or SIGTERM. */
async function witnessCommand(opts: { port: number; dataDir: string; host: string; name?: string; logKey?: string[] }): Promise<void> {
  const logKeys = await Promise.all((opts.logKey ?? []).map((k) => readPublicKey(k)));
  const witness = await Witness.open({ dataDir: opts.dataDir, logKeys, ...(opts.name ? { name: opts.name } : {}) });
  const server = await witness.listen(opts.port, opts.host);
  out(`witness ${witness.name} listening on ${server.url} (key ${witness.keyId})`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function writeCase(dataDir: string, incident: string, file: string | undefined): Promise<void> {
  const bundle = await proveCase(dataDir, await ledgerDir(dataDir), incident);
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  const summary = `incident ${incident}: ${bundle.parts.length} part(s) under ${bundle.checkpoints.length} checkpoint(s)${bundle.checkpoints.some((c) => c.anchor) ? ', anchored' : ''}${bundle.missing.length ? `, ${bundle.missing.length} missing` : ''}`;
  if (file) {
    await writeFile(file, text);
    process.stderr.write(`prove: ${summary}; written to ${file}\n`);
  } else process.stdout.write(text);
}

function describeAudit(r: AuditReport): string {
  const lines: string[] = [];
  if (r.ok) {
    lines.push(
      `ledger sound: ${r.entries} entries under ${r.checkpoints} checkpoint(s)` +
        (r.root ? `, root ${r.root}` : '') +
        (r.origin ? `, origin ${r.origin}` : '') +
        `, ${r.cosignatures} cosignature(s)`,
    );
    if (r.uncommitted > 0) lines.push(`  ${r.uncommitted} entries after the last checkpoint are not committed yet`);
  } else {
    const f = r.failure!;
    const what = f.entry !== undefined ? `entry ${f.entry}` : f.checkpoint !== undefined ? `checkpoint ${f.checkpoint}` : f.file;
    lines.push(`ledger NOT sound: ${what} (${f.file} offset ${f.offset}): ${f.reason} [${f.code}]`);
  }
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

function describeProof(r: AnchoredVerificationResult): string {
  const mark = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;
  const lines = r.steps.map((s) => `${mark[s.outcome]} ${s.step}: ${s.detail}`);
  lines.push(r.ok ? (r.anchorChecked ? 'proof holds, anchor checked on chain' : 'proof holds; the anchor was NOT checked against a chain (give --rpc URL)') : `proof does NOT hold: ${r.reason ?? ''}`);
  return lines.join('\n');
}

/**
 * `vigil verify --rpc`: every anchor of the log's origin, read from the chain (never from
 * the data directory, which whoever rolled the log back could rewrite too), against the
 * roots the local entries give. Without --rpc, says what that leaves undetectable.
 */
async function checkAnchors(dir: string, nodeDir: string, report: AuditReport, opts: { rpc?: string; contract?: string }): Promise<{ lines: string[]; audit?: AnchorAudit; contract?: string; rpc?: string }> {
  const deployment = await readDeployment(nodeDir).catch(() => undefined);
  if (opts.rpc === undefined) {
    const lines: string[] = [];
    if (deployment) lines.push(`  note: this node anchors to contract ${deployment.contract} on chain ${deployment.chainId}; the anchors were NOT checked (give --rpc URL)`);
    if (report.cosignatures === 0) lines.push('  note: no anchors were checked and no witness co-signed: a rollback (the latest checkpoints and their entries removed) cannot be detected from these files alone');
    else if (!deployment) lines.push('  note: no anchors were checked: a rollback is detectable only by asking the witnesses that co-signed, or with --rpc URL');
    return { lines };
  }
  const contract = (opts.contract ?? deployment?.contract) as Hex | undefined;
  if (!contract || !/^0x[0-9a-fA-F]{40}$/.test(contract)) throw new LedgerError('INVALID_ARGUMENT', '--rpc needs the anchor contract: give --contract ADDRESS (none is recorded in the data directory)');
  if (!report.origin) throw new LedgerError('INVALID_ARGUMENT', 'the ledger has no checkpoint, so no origin to look up anchors for');
  const anchors = await fetchAnchors(createChainReader(opts.rpc), contract.toLowerCase() as Hex, report.origin);
  let snapshot: Awaited<ReturnType<typeof openSnapshot>> | undefined;
  try {
    snapshot = report.entries > 0 ? await openSnapshot(dir) : undefined;
    const s = snapshot;
    const audit = await auditAnchors(anchors, { origin: report.origin, size: s?.checkpoint.size ?? 0, rootAt: (n) => s!.rootAt(n) });
    const lines = [
      audit.ok
        ? `anchors hold: ${audit.anchors} anchor(s) of ${report.origin} in contract ${contract} agree with the local log (largest anchored size ${audit.anchoredSize})${opts.contract === undefined ? '; contract taken from the data directory (pin it with --contract)' : ''}`
        : `ledger CONTRADICTS ${audit.contradictions.length} of ${audit.anchors} anchor(s) on chain:`,
      // The newest anchor first: it is the one that says how much history went missing.
      ...[...audit.contradictions].sort((x, y) => y.anchor.size - x.anchor.size).slice(0, 5).map((c) => `  ${c.kind}: ${c.reason}`),
      ...(audit.contradictions.length > 5 ? [`  … and ${audit.contradictions.length - 5} more older anchor(s) (--json lists them all)`] : []),
    ];
    if (audit.anchors === 0) lines.push(`  note: contract ${contract} holds no anchor of ${report.origin}: nothing to hold the log against`);
    return { lines, audit, contract, rpc: opts.rpc };
  } finally {
    snapshot?.close();
  }
}
