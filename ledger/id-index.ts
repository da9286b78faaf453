/**
 * The writer's index from an entry's `body.id` to its leaf index, kept compact: a 32-bit
 * fingerprint of the id per leaf (4 bytes) and an open-addressing table of leaf indexes
 * keyed by fingerprint (about 8 bytes per leaf at a load of at most one half). A Map of id
 * strings costs about 120 bytes per leaf, which a log of a hundred million entries cannot
 * keep in memory. Fingerprints can collide, so a lookup returns candidates, smallest leaf
 * index first, and the caller confirms each against the entry on disk.
 */
import type { FileHandle } from 'node:fs/promises';
import type { LedgerEntry } from './entry.js';
import { LedgerError } from './errors.js';

const EMPTY = 0; // slots hold leaf index + 1

/** FNV-1a over the UTF-16 code units: fast, and only a bucket key (collisions are confirmed). */
export function fingerprint(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class IdIndex {
  #fps = new Uint32Array(1024);
  #size = 0;
  #slots = new Uint32Array(2048);

  /** Leaves recorded so far (leaf indexes 0 … size-1). */
  get size(): number {
    return this.#size;
  }

  /** Records the id of the next leaf (leaf index = `size`). */
  add(id: string): void {
    const index = this.#size;
    if (index === this.#fps.length) {
      const grown = new Uint32Array(this.#fps.length * 2);
      grown.set(this.#fps);
      this.#fps = grown;
    }
    const fp = fingerprint(id);
    this.#fps[index] = fp;
    this.#size++;
    if (this.#size * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2);
    else this.#place(fp, index);
  }

  /** Leaf indexes whose id has `id`'s fingerprint, ascending: the candidates to confirm. */
  candidates(id: string): number[] {
    const fp = fingerprint(id);
    const slots = this.#slots;
    const mask = slots.length - 1;
    const out: number[] = [];
    for (let s = fp & mask; slots[s] !== EMPTY; s = (s + 1) & mask) {
      const index = slots[s]! - 1;
      if (this.#fps[index] === fp) out.push(index);
    }
    return out.sort((a, b) => a - b);
  }

  #place(fp: number, index: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let s = fp & mask;
    while (slots[s] !== EMPTY) s = (s + 1) & mask;
    slots[s] = index + 1;
  }

  #rehash(capacity: number): void {
    this.#slots = new Uint32Array(capacity);
    for (let i = 0; i < this.#size; i++) this.#place(this.#fps[i]!, i);
  }
}

/** entries.log is read in pieces of this size when the id index is built. */
const ID_SCAN_CHUNK = 8 << 20;

/** The id index of the first `upTo` entries (`bytes` bytes) of entries.log, read in chunks. */
export async function scanIdIndex(read: FileHandle, bytes: number, upTo: number): Promise<IdIndex> {
  const ids = new IdIndex();
  const chunk = Buffer.allocUnsafe(ID_SCAN_CHUNK);
  let carry = Buffer.alloc(0);
  for (let pos = 0; pos < bytes && ids.size < upTo; ) {
    const { bytesRead } = await read.read(chunk, 0, Math.min(chunk.length, bytes - pos), pos);
    if (bytesRead === 0) throw new LedgerError('IO_ERROR', `entries.log ends at ${pos}, before the ${bytes} bytes written`);
    pos += bytesRead;
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    let at = 0;
    for (let end = buf.indexOf(0x0a, at); end !== -1 && ids.size < upTo; end = buf.indexOf(0x0a, at)) {
      ids.add((JSON.parse(buf.toString('utf8', at, end)) as LedgerEntry).body['id'] as string);
      at = end + 1;
    }
    carry = Buffer.from(buf.subarray(at)); // a copy: `chunk` is read into again
  }
  if (ids.size !== upTo) throw new LedgerError('IO_ERROR', `entries.log holds ${ids.size} entries, ${upTo} expected`);
  return ids;
}
