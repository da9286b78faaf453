/**
 * `event.original` for the collectors that keep their inputs (config `ingest.preserveOriginal`,
 * events/original.ts): each accepted item's raw input, as the collector received it, becomes
 * its event's `event.original`. Rejected items keep their raw in the dead-letter store as before.
 */
import { attachOriginal } from '../events/index.js';
import type { IngestItem } from './sink.js';

/** Set `event.original` on every event of `items` from its raw input; nothing when `maxBytes` is undefined (originals off). */
export function keepOriginals(items: readonly IngestItem[], maxBytes: number | undefined): void {
  if (maxBytes === undefined) return;
  for (const item of items) if (item.event) attachOriginal(item.event, item.raw, maxBytes);
}
