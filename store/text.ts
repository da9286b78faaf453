/**
 * What free-text search sees of events and alerts, and how a user's words become a full-text
 * query. Both adapters index the same text, so a search means the same thing on SQLite and
 * Elasticsearch.
 */
import type { VigilEvent } from '../events/index.js';
import type { Alert } from '../detector/index.js';
import { StoreError } from './errors.js';

/** The searchable words of an event: who, what, where from and to, and its message. */
export function eventText(e: VigilEvent): string {
  const parts: Array<string | number | undefined> = [
    e.vigil.entity.id,
    e.vigil.kind,
    e.event.action,
    e.event.dataset,
    e.event.outcome,
    e.message,
    e.user?.name,
    e.source?.ip,
    e.destination?.ip,
    e.destination?.port,
    e.network?.transport,
    e.network?.protocol,
    e.observer?.name,
    e.host?.name,
    e.device?.id,
    e.process?.name,
    e.vigil.can?.id,
    e.log?.syslog?.msgid,
  ];
  if (e.vigil.metrics) parts.push(...Object.keys(e.vigil.metrics));
  return parts.filter((p) => p !== undefined && p !== '').join(' ');
}

export function alertText(a: Alert): string {
  return [a.entity.id, a.title, a.description, a.origin.id, a.category, ...a.tags].filter(Boolean).join(' ');
}

const MAX_TEXT = 512;
const MAX_WORDS = 16;

/** Split a user's search into words; `*` at the end of a word asks for a prefix match. */
export function searchWords(text: string): Array<{ word: string; prefix: boolean }> {
  if (text.length > MAX_TEXT) throw new StoreError('BAD_QUERY', `text: at most ${MAX_TEXT} characters, got ${text.length}`);
  const words = text
    .split(/\s+/)
    .filter((w) => w !== '' && w !== '*')
    .map((w) => (w.endsWith('*') ? { word: w.replace(/\*+$/, ''), prefix: true } : { word: w, prefix: false }));
  if (words.length > MAX_WORDS) throw new StoreError('BAD_QUERY', `text: at most ${MAX_WORDS} words, got ${words.length}`);
  return words;
}

/**
 * An FTS5 MATCH expression where every user word is a quoted phrase: the user's text can
 * never be read as FTS5 syntax (NEAR, column filters, `-`), which would otherwise let a
 * search box raise SQL errors or run pathological queries. `10.1.2.3` and `V-0042` become
 * phrases of their tokens, so they match exactly those tokens in that order.
 */
export function ftsQuery(text: string): string | undefined {
  const words = searchWords(text);
  if (words.length === 0) return undefined;
  return words.map(({ word, prefix }) => `"${word.replace(/"/g, '""')}"${prefix ? ' *' : ''}`).join(' ');
}
