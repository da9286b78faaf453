/** Who waits for a checkpoint to cover an entry (`committed`, `published`). */
import type { Checkpoint } from './checkpoint.js';

export interface Waiter {
  index: number;
  resolve: (cp: Checkpoint) => void;
  reject: (err: unknown) => void;
}

/** Resolves the waiters `cp` covers; returns the rest. */
export function settle(waiters: Waiter[], cp: Checkpoint): Waiter[] {
  const left: Waiter[] = [];
  for (const w of waiters) {
    if (w.index < cp.size) w.resolve(cp);
    else left.push(w);
  }
  return left;
}
