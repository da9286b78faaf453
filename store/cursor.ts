/**
 * Opaque keyset cursors shared by both adapters: `base64url(JSON [tag, sortValue, tieBreaker])`.
 * The tag names the ordering the cursor came from, so a cursor taken under one sort cannot
 * be replayed under another and silently return the wrong rows. Cursors come from clients:
 * they are parsed defensively and a bad one is a BAD_CURSOR error, never a crash.
 */
import { StoreError } from './errors.js';

export type CursorValue = string | number;

export function encodeCursor(tag: string, value: CursorValue, tie: CursorValue): string {
  return Buffer.from(JSON.stringify([tag, value, tie]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, tag: string): [CursorValue, CursorValue] {
  let parsed: unknown;
  try {
    if (cursor.length > 1024) throw new Error('too long');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (err) {
    throw new StoreError('BAD_CURSOR', 'cursor: expected a cursor returned by this API', { cause: err });
  }
  const ok = (v: unknown): v is CursorValue => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== tag || !ok(parsed[1]) || !ok(parsed[2])) {
    throw new StoreError('BAD_CURSOR', `cursor: it was issued for another query or sort order (expected ${tag})`);
  }
  return [parsed[1], parsed[2]];
}

/** Largest page any adapter returns, whatever a caller asks for (the API caps lower). */
export const MAX_PAGE = 1000;

export function checkFirst(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) {
    throw new StoreError('BAD_QUERY', `first: expected a whole number from 0 to ${MAX_PAGE}, got ${first}`);
  }
  return first;
}
