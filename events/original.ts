/**
 * ECS `event.original`: the raw text of an event as it was received (the syslog line, the
 * NDJSON line, the MQTT payload, the Kafka record value), kept when a source is told to
 * (config `ingest.preserveOriginal`, Elastic's "preserve original event"; off by default,
 * since it about doubles the bytes stored per event).
 *
 * It is not covered by the event's id (canonical.ts `eventId`): the id is what the sender
 * said, normalised, and the same message with the option on or off, or re-encoded by a relay,
 * is still one event. It is covered by the ledger: the event's leaf carries its SHA-256
 * (pipeline/analysis.ts), so an auditor holding the document checks it against the proof.
 */
import type { VigilEvent } from './model.js';

/** Longest `event.original` kept, bytes of UTF-8, before the truncation mark. @default 16384 */
export const DEFAULT_ORIGINAL_MAX_BYTES = 16_384;

/** What a collector takes to keep its inputs as `event.original`. */
export interface PreserveOriginalOptions {
  /** Keep each event's raw input as ECS `event.original`. @default false */
  preserveOriginal?: boolean;
  /** Longest original kept, bytes; a longer one is cut at a character boundary and marked (`originalText`). @default 16384 */
  originalMaxBytes?: number;
}

/** The bound to keep originals at, or undefined when they are not kept. */
export function originalBound(options: PreserveOriginalOptions): number | undefined {
  if (!options.preserveOriginal) return undefined;
  const max = options.originalMaxBytes ?? DEFAULT_ORIGINAL_MAX_BYTES;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`originalMaxBytes: expected a positive integer, got ${max}`);
  return max;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * The raw input as text, at most `maxBytes` bytes of it: a longer one is cut at the last
 * UTF-8 character boundary within the bound and ends with `…[truncated: N bytes]` (N the
 * whole input's length), so a reader never mistakes a prefix for the whole. Invalid UTF-8
 * (attacker bytes) decodes to U+FFFD, as everywhere else in Vigil.
 */
export function originalText(raw: string | Uint8Array, maxBytes: number): string {
  if (typeof raw === 'string') {
    // Most inputs are far below the bound: a UTF-16 length is at most the UTF-8 length.
    if (raw.length * 3 <= maxBytes) return raw;
    const bytes = encoder.encode(raw);
    return bytes.length <= maxBytes ? raw : truncated(bytes, maxBytes);
  }
  return raw.length <= maxBytes ? decoder.decode(raw) : truncated(raw, maxBytes);
}

function truncated(bytes: Uint8Array, maxBytes: number): string {
  let end = maxBytes;
  // Back off continuation bytes (10xxxxxx) so that no character is cut in two.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return `${decoder.decode(bytes.subarray(0, end))}…[truncated: ${bytes.length} bytes]`;
}

/** Set `event.original` of a just-made event from its raw input (a collector, before it submits). */
export function attachOriginal(event: VigilEvent, raw: string | Uint8Array, maxBytes: number): void {
  event.event = { ...event.event, original: originalText(raw, maxBytes) };
}
