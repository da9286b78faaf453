/**
 * The anchorer's memory across restarts (node-only), in its own directory:
 *   anchors.ndjson  append-only, fsynced: {"type":"anchored","anchor":…,"checkpoint":…,"at":ms}
 *                   and {"type":"dropped","txHash":…,"at":ms} when a reorganisation removed one
 *   pending.json    the transaction signed and about to be (or being) mined, written and
 *                   fsynced BEFORE it is broadcast: after a crash the same signed bytes are
 *                   sent again (same nonce, same hash), so an anchor is neither lost nor doubled.
 */
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCheckpoint, type Checkpoint } from '../ledger/verifier.js';
import { AnchorError } from './errors.js';
import { parseAnchorRecord } from './parse.js';
import type { AnchoredEntry, Hex } from './types.js';

export type { AnchoredEntry };

export interface PendingAnchor {
  txHash: Hex;
  /** The signed transaction, 0x-hex. */
  raw: Hex;
  nonce: number;
  checkpoint: Checkpoint;
  /** When it was first broadcast, epoch milliseconds. */
  sentAt: number;
}

/** One change to the state, as a mirror on another thread applies it (anchorer-thread.ts). */
export type StateChange = { op: 'record'; entry: AnchoredEntry } | { op: 'drop'; txHash: string } | { op: 'pending'; pending: PendingAnchor | undefined };

const ANCHORS_FILE = 'anchors.ndjson';
const PENDING_FILE = 'pending.json';

export class AnchorState {
  private constructor(
    readonly dir: string,
    private live: AnchoredEntry[],
    private pendingTx: PendingAnchor | undefined,
    private readonly file: Awaited<ReturnType<typeof open>>,
  ) {}

  /** Told of every change after it is durable. */
  onChange: ((change: StateChange) => void) | undefined;

  static async open(dir: string): Promise<AnchorState> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const text = await readFile(join(dir, ANCHORS_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const byTx = new Map<string, AnchoredEntry>();
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
        if (rec['type'] === 'anchored') {
          const anchor = parseAnchorRecord(rec['anchor']);
          byTx.set(anchor.txHash, { anchor, checkpoint: parseCheckpoint(rec['checkpoint']), at: Number(rec['at']) || 0 });
        } else if (rec['type'] === 'dropped') byTx.delete(String(rec['txHash']));
        else throw new Error(`unknown record type ${JSON.stringify(rec['type'])}`);
      } catch (err) {
        // A torn last line is what a crash mid-append leaves; anything else is damage.
        if (i === lines.length - 1) return;
        throw new AnchorError('STATE_ERROR', `${join(dir, ANCHORS_FILE)} line ${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    let pending: PendingAnchor | undefined;
    const p = await readFile(join(dir, PENDING_FILE), 'utf8').catch(() => undefined);
    if (p !== undefined && p.trim() !== '') {
      const v = JSON.parse(p) as PendingAnchor;
      pending = { ...v, checkpoint: parseCheckpoint(v.checkpoint) };
    }
    const file = await open(join(dir, ANCHORS_FILE), 'a', 0o644);
    const live = [...byTx.values()].sort((a, b) => a.anchor.size - b.anchor.size);
    return new AnchorState(dir, live, pending, file);
  }

  /** Anchors believed on chain, by size. */
  get anchors(): readonly AnchoredEntry[] {
    return this.live;
  }

  get last(): AnchoredEntry | undefined {
    return this.live.at(-1);
  }

  get pending(): PendingAnchor | undefined {
    return this.pendingTx;
  }

  has(txHash: string): boolean {
    return this.live.some((e) => e.anchor.txHash === txHash);
  }

  async record(entry: AnchoredEntry): Promise<void> {
    await this.append({ type: 'anchored', ...entry });
    this.live = withEntry(this.live, entry);
    this.onChange?.({ op: 'record', entry });
  }

  async drop(txHash: string, at: number): Promise<void> {
    await this.append({ type: 'dropped', txHash, at });
    this.live = withoutTx(this.live, txHash);
    this.onChange?.({ op: 'drop', txHash });
  }

  async setPending(p: PendingAnchor | undefined): Promise<void> {
    const path = join(this.dir, PENDING_FILE);
    if (p === undefined) {
      await rm(path, { force: true });
    } else {
      const tmp = `${path}.tmp`;
      await writeFile(tmp, JSON.stringify(p));
      const fh = await open(tmp, 'r+');
      await fh.datasync();
      await fh.close();
      await rename(tmp, path);
      const d = await open(this.dir, 'r');
      await d.sync().catch(() => undefined);
      await d.close();
    }
    this.pendingTx = p;
    this.onChange?.({ op: 'pending', pending: p });
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  private async append(rec: object): Promise<void> {
    await this.file.write(`${JSON.stringify(rec)}\n`);
    await this.file.datasync();
  }
}

/** `live` with `entry` in its place by size (replacing one of the same transaction). */
export function withEntry(live: readonly AnchoredEntry[], entry: AnchoredEntry): AnchoredEntry[] {
  const rest = withoutTx(live, entry.anchor.txHash);
  // The usual case, a new anchor above every recorded one, without a sort.
  if (rest.length === 0 || rest.at(-1)!.anchor.size < entry.anchor.size) return [...rest, entry];
  return [...rest, entry].sort((a, b) => a.anchor.size - b.anchor.size);
}

export function withoutTx(live: readonly AnchoredEntry[], txHash: string): AnchoredEntry[] {
  return live.filter((e) => e.anchor.txHash !== txHash);
}

/** Reads the anchors a node recorded (for `vigil prove`), without opening the state for writing. */
export async function readRecordedAnchors(dir: string): Promise<AnchoredEntry[]> {
  const state = await AnchorState.open(dir);
  const out = [...state.anchors];
  await state.close();
  return out;
}
