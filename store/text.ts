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
  // Written out rather than an array filtered and joined: it runs once per ingested event.
  let text = word('', e.vigil.entity.id);
  text = word(text, e.vigil.kind);
  text = word(text, e.event.action);
  text = word(text, e.event.dataset);
  text = word(text, e.event.outcome);
  text = word(text, e.message);
  text = word(text, e.user?.name);
  text = word(text, e.source?.ip);
  text = word(text, e.destination?.ip);
  text = word(text, e.destination?.port);
  text = word(text, e.network?.transport);
  text = word(text, e.network?.protocol);
  text = word(text, e.observer?.name);
  text = word(text, e.host?.name);
  text = word(text, e.device?.id);
  text = word(text, e.process?.name);
  text = word(text, e.vigil.can?.id);
  text = word(text, e.log?.syslog?.msgid);
  if (e.vigil.metrics) for (const name of Object.keys(e.vigil.metrics)) text = word(text, name);
  return text;
}

function word(text: string, part: string | number | undefined): string {
  if (part === undefined || part === '') return text;
  return text === '' ? String(part) : `${text} ${part}`;
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
