/**
 * What the authority's resolvers need from parts the API does not own: the table of
 * decisions (store/sqlite/overrules.ts) and the detector's reputation, wired by the
 * pipeline (pipeline/authority.ts). The API never reaches into the detector.
 */
import type { Awaitable, OverruleRecord } from '../../store/index.js';

export interface AuthorityDesk {
  record(o: OverruleRecord): Awaitable<void>;
  forEntity(entity: string): Awaitable<OverruleRecord[]>;
  /** The decision that holds now for each vehicle that has one. */
  latest(): Awaitable<OverruleRecord[]>;
  all(): Awaitable<OverruleRecord[]>;
  /** The decision takes effect in the detector's reputation (after the ledger and the table). */
  apply(o: OverruleRecord): Awaitable<void>;
  /** Trust under this is rogue (the detector's flag bound, detector/reputation `flagBelow`). */
  rogueBelow: number;
  /** How long trust stays under the bound before the detector flags, milliseconds (detector/reputation `flagAfterMs`). */
  rogueAfterMs: number;
  /** A vehicle rogue by reputation and not heard for longer than this is no longer rogue now, milliseconds. */
  rogueSilentAfterMs: number;
}
