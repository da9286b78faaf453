/** Training is reproducible for a seed, and tests control it: the project's one seeded generator (events/). */
export { seededRandom } from '../../events/index.js';
export type Random = () => number;

/** Fisher–Yates shuffle of 0..n-1 with the given source. */
export function permutation(n: number, random: Random): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
