/**
 * The writer's cosignatures, per checkpoint size, until a newer checkpoint is published
 * (node-only). One per witness key: a witness that answers twice does not count twice
 * toward the quorum, and a cosignature of another root than the log's own for that size
 * (a witness shown a fork) is not counted at all.
 */
import type { Checkpoint, Cosignature } from './checkpoint.js';

export interface CosignedCheckpoint {
  checkpoint: Checkpoint;
  list: Cosignature[];
}

export class CosignatureBook {
  readonly #slots: Map<number, CosignedCheckpoint>;

  constructor(recovered: ReadonlyMap<number, CosignedCheckpoint> = new Map()) {
    this.#slots = new Map(recovered);
  }

  /** Adds `c` for `cp`; the number of distinct cosignatures `cp` now has, or undefined when `c` adds none. */
  add(cp: Checkpoint, c: Cosignature): number | undefined {
    let slot = this.#slots.get(cp.size);
    if (!slot) {
      slot = { checkpoint: cp, list: [] };
      this.#slots.set(cp.size, slot);
    }
    if (slot.checkpoint.root !== cp.root || slot.list.some((x) => x.publicKey === c.publicKey)) return undefined;
    slot.list.push(c);
    return slot.list.length;
  }

  /** The cosignatures of the checkpoint of `size` (a copy). */
  of(size: number): Cosignature[] {
    return [...(this.#slots.get(size)?.list ?? [])];
  }

  /** Forgets the checkpoints older than a published one of `size`. */
  published(size: number): void {
    for (const s of this.#slots.keys()) if (s < size) this.#slots.delete(s);
  }
}
