/**
 * The private members of aedes (lib/client.js, aedes.js) and mqtt-packet (parser.js) that
 * the broker's short publish path and packet-size guard use: not in their types, so named
 * here once and checked on a live client (aedes is pinned to an exact version).
 */
import type { Socket } from 'node:net';
import type { PublishPacket } from 'aedes';
import { CollectorError } from '../errors.js';

/** What of aedes's Client the short publish path touches (lib/client.js; not in aedes's types). */
export interface ClientInternals {
  _parser: PacketParser & NodeJS.EventEmitter;
  _nextBatch: (err?: Error | null) => void;
  _parsingBatch: number;
  _keepaliveInterval: number;
  _keepaliveTimer: NodeJS.Timeout | null;
  connackSent: boolean;
  closed: boolean;
  conn: Socket;
  emit(event: 'error', err: Error): boolean;
}

/** aedes's publish takes the publishing client too (aedes.js; its types name only (packet, done)). */
export interface BrokerInternals {
  publish(packet: PublishPacket, client: ClientInternals, done: (err?: Error) => void): void;
}

/** What of mqtt-packet's parser the size guard touches (not in aedes's types). */
export interface PacketParser {
  packet: { cmd?: string; length: number };
  _list: { length: number; slice(start: number, end: number): Buffer };
  _parseLength(): boolean;
  _emitError(err: Error): unknown;
}

/**
 * The private members of aedes' Client and mqtt-packet's Parser this file relies on, checked
 * on a live client: aedes is pinned to an exact version, and an upgrade that moves any of
 * them fails here, naming it, instead of misbehaving quietly.
 */
export function checkAedesInternals(client: unknown): void {
  const c = client as Partial<Record<string, unknown>> & { _parser?: Partial<Record<string, unknown>> };
  const missing = (what: string) => new CollectorError('BAD_OPTION', `aedes internals changed: ${what} is missing or of another type (collectors/mqtt/broker.ts relies on it; aedes is pinned in package.json)`, false);
  for (const [name, type] of [['_parser', 'object'], ['_nextBatch', 'function'], ['_parsingBatch', 'number'], ['_keepaliveInterval', 'number'], ['connackSent', 'boolean'], ['closed', 'boolean'], ['conn', 'object']] as const) {
    if (typeof c[name] !== type) throw missing(`Client.${name} (${type})`);
  }
  const parser = c._parser!;
  for (const [name, type] of [['_parseLength', 'function'], ['_emitError', 'function'], ['_list', 'object'], ['packet', 'object'], ['listeners', 'function']] as const) {
    if (typeof parser[name] !== type) throw missing(`Client._parser.${name} (${type})`);
  }
  if ((parser['listeners'] as (e: string) => unknown[]).call(parser, 'packet').length === 0) throw missing("Client._parser's 'packet' listener");
}
