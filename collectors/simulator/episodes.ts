/** What every attack episode has: its type, window, planned size and its own random stream. */
import type { AttackType } from './attacks.js';
import type { Random } from '../../events/index.js';

export interface Episode {
  type: AttackType;
  /** Epoch milliseconds. */
  start: number;
  end: number;
  /** Attack events it is sized to send. */
  planned: number;
  /** Attack events received so far. */
  emitted: number;
  rng: Random;
}
