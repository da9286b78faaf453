/**
 * The embedded MQTT broker (aedes) as a collector: devices and vehicles publish to it, and
 * every message under `city/` becomes an event or a dead letter.
 *
 * Acknowledge only what is stored: aedes runs `authorizePublish` before it answers a
 * PUBLISH, and for QoS 1 it writes the PUBACK (for QoS 2 the PUBREC) only when that hook
 * calls back (lib/handlers/publish.js: authorizePublish → enqueuePublish). The hook here
 * hands the message to the pipeline and calls back when `submit` resolves, i.e. after the
 * SQLite commit — so a PUBACK means "durably stored", and a crash before the commit leaves
 * the message unacknowledged for the publisher to send again.
 *
 * Vigil's own topics take a shorter road (`takePublish`). aedes reads a client's next socket
 * chunk only when every packet of the previous one has been handled (lib/client.js,
 * nextBatch), so through the hook a connection had at most one read's worth of messages
 * (a few hundred) waiting for a commit, and the node alternated between validating and
 * committing instead of doing both at once. A QoS 0/1 PUBLISH to `city/v2x/<vehicle>/bsm` or
 * `city/iot/<device>/<kind>` from a connected client is therefore validated as it is parsed
 * and queued for the next group commit while the connection is read on; its PUBACK is
 * written once the commit holds it (batched per connection: one socket write per commit,
 * in the order the PUBLISHes came, MQTT 3.1.1 §4.6), and only then is it forwarded to
 * subscribers through the broker. Everything else (other topics, QoS 2, packets before
 * CONNACK) goes through aedes and the hook as before.
 *
 * Backpressure: a connection with `maxInflightMessages` messages (or `maxInflightBytes`
 * of payload) not yet stored is not read until its commits catch up; while the pipeline is
 * full, `submit` waits, nothing is acknowledged, and the broker stops reading those
 * clients: TCP flow control slows the publishers, nothing is dropped.
 *
 * Oversized packets: mqtt-packet would buffer a PUBLISH of any declared length (up to
 * 256 MB) before aedes sees it. The connection's parser is checked as soon as the fixed
 * header's Remaining Length is known; a packet over `maxPacketBytes` is not read — a dead
 * letter records it (TOO_LARGE, with its first bytes) and the connection is closed, which
 * is all MQTT 3.1.1 offers (it has no per-message refusal).
 *
 * Who may publish and subscribe (issue 16): with `access: keys` a client must CONNECT with a
 * sensor key as its password (CONNACK 5, not authorized, otherwise), may deliver events only
 * for the entities (or roadside units) of its key — anything else is an UNAUTHORIZED_ENTITY
 * dead letter, acknowledged as mosquitto acknowledges an ACL denial under MQTT 3.1.1, and
 * never forwarded — and may subscribe to Vigil's topics only within its key's `subscribe`
 * filters. In open mode anyone may publish, but nobody unauthenticated may subscribe to a
 * filter that can match city traffic (`#`, `+/…`, `city/…`: SUBACK 0x80), so an anonymous
 * client cannot watch every vehicle. A revoked key's sessions end within `revocationPollMs`.
 *
 * aedes internals: the short path and the size guard use aedes' and mqtt-packet's private
 * members (`_parser`, `_nextBatch`, `_parsingBatch`, `_parseLength`, …), so aedes is pinned
 * to one exact version in package.json, and `checkAedesInternals` fails the first
 * connection with a message naming the member that moved (test/mqtt-internals.test.ts runs
 * it on every `npm test`).
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { originalBound, reject, type PreserveOriginalOptions, type ResolvedValidationOptions } from '../../events/index.js';
import { CollectorError } from '../errors.js';
import type { EventSource, IngestSink } from '../sink.js';
import { OPEN_ACCESS, type IngestAccess } from '../auth.js';
import { BrokerAccess } from './access.js';
import { ConnectionGuard, type ConnectionLimits, type ConnectionRefusal } from '../connections.js';
import { checkAedesInternals, type BrokerInternals, type ClientInternals, type PacketParser } from './internals.js';
import { SubmitBatcher } from './batcher.js';
import { claimToItem, isCityTopic, mayMatchCityTopics, messageToItem, parseTopic } from './topics.js';

/** `preserveOriginal`: each city message's payload is kept as `event.original`. */
export interface MqttBrokerOptions extends PreserveOriginalOptions {
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** TCP port (8883 is usual with TLS); 0 picks a free one (see `port` after start). @default 1883 */
  port?: number;
  /**
   * PEM key and certificate: listen with TLS (MQTT over TLS, RFC 5246/8446). With `ca`,
   * every client must also present a certificate that CA issued (mutual TLS).
   */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer };
  /**
   * One operator credential (a bridge, the operator's tools) that may publish and subscribe
   * to everything. In `keys` access it is accepted beside the sensor keys; in open access it
   * makes the broker require it (the former behaviour).
   */
  username?: string;
  password?: string;
  /** Who may connect: anyone (`open`), or clients whose CONNECT password is a live sensor key (`keys`). @default { mode: 'open' } */
  access?: IngestAccess;
  /** Idle timeout and connection caps (collectors/connections.ts for the defaults). */
  connections?: ConnectionLimits;
  /** Told of each refused connection, subscription or CONNECT, for metrics. */
  onRefused?: (reason: ConnectionRefusal | 'unauthenticated' | 'subscribe') => void;
  /** How often connected clients' keys are checked for revocation, milliseconds. @default 1000 */
  revocationPollMs?: number;
  /**
   * Largest MQTT packet read, bytes. Larger packets are refused unread and their
   * connection closed; a payload under this but over the record limit is a TOO_LARGE dead letter.
   * @default 131072
   */
  maxPacketBytes?: number;
  /** Most messages per pipeline submission. @default 5000 */
  maxBatch?: number;
  /**
   * Messages of one connection taken but not yet stored before the broker stops reading it
   * (the read in progress is finished first, so it may exceed this by one socket read).
   * Large enough to keep the store busy while the next batch is validated, small enough
   * that one client cannot fill the pipeline's queue alone.
   * @default 2000
   */
  maxInflightMessages?: number;
  /** The same bound in payload bytes. @default 4194304 */
  maxInflightBytes?: number;
  /** Source name in metrics and dead letters. @default 'mqtt' */
  source?: string;
}

/** Dead-lettered messages are re-addressed here so that the broker forwards them to nobody. */
const QUARANTINE_PREFIX = '$vigil/rejected/';
const SYS_PREFIX = '$SYS/';
const OVERSIZED_PREFIX_BYTES = 1024;

/** One connection's messages taken by the short path and not yet stored. */
interface ConnectionState {
  messages: number;
  bytes: number;
  /** Not reading the connection until the window has room. */
  holding: boolean;
  /** Reads aedes asked for while holding. */
  deferred: number;
  release?: () => void;
  acks: number[];
  ackScheduled: boolean;
  /** A batch of this connection could not be stored; the connection is being closed. */
  failed: boolean;
}

const noop = (): void => {};



type OptionalKeys = 'tls' | 'username' | 'password' | 'access' | 'connections' | 'onRefused' | keyof PreserveOriginalOptions;

export class MqttBrokerCollector implements EventSource {
  readonly name: string;
  private readonly opts: Required<Omit<MqttBrokerOptions, OptionalKeys>> & Pick<MqttBrokerOptions, 'tls' | 'username' | 'password'>;
  private readonly access: IngestAccess;
  private readonly guard: ConnectionGuard;
  private readonly refused: NonNullable<MqttBrokerOptions['onRefused']>;
  private readonly control: BrokerAccess;
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private batcher: SubmitBatcher | undefined;
  private sink: IngestSink | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Set<Promise<unknown>>();
  private boundPort = 0;
  /**
   * Whether any client ever subscribed to a filter that can match Vigil's topics. Until one
   * does, a stored message has nobody to be forwarded to, and handing it to aedes's publish
   * (a packet copy, two topic-trie lookups and an offline-queue query per message) is skipped.
   */
  private forwardCity = false;
  private readonly originalMax: number | undefined;

  constructor(
    private readonly validation: ResolvedValidationOptions,
    options: MqttBrokerOptions = {},
    private readonly onError: (err: unknown, context: string) => void = () => {},
  ) {
    this.opts = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 1883,
      maxPacketBytes: options.maxPacketBytes ?? 131_072,
      maxBatch: options.maxBatch ?? 5_000,
      maxInflightMessages: options.maxInflightMessages ?? 2_000,
      maxInflightBytes: options.maxInflightBytes ?? 4 * 1024 * 1024,
      source: options.source ?? 'mqtt',
      revocationPollMs: options.revocationPollMs ?? 1_000,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
    };
    this.name = this.opts.source;
    this.originalMax = originalBound(options);
    this.access = options.access ?? OPEN_ACCESS;
    this.refused = options.onRefused ?? (() => {});
    const operator = options.username !== undefined && options.password !== undefined ? { username: options.username, password: options.password } : undefined;
    this.control = new BrokerAccess(this.access, operator, () => this.refused('unauthenticated'));
    this.guard = new ConnectionGuard(options.connections, (reason) => this.refused(reason));
    for (const key of ['maxBatch', 'maxInflightMessages', 'maxInflightBytes'] as const) {
      if (!Number.isInteger(this.opts[key]) || this.opts[key] < 1) throw new CollectorError('BAD_OPTION', `mqtt broker option ${key}: expected a positive integer, got ${this.opts[key]}`, false);
    }
    if (!Number.isInteger(this.opts.maxPacketBytes) || this.opts.maxPacketBytes < 64) {
      throw new CollectorError('BAD_OPTION', `mqtt broker option maxPacketBytes: expected an integer of at least 64, got ${this.opts.maxPacketBytes}`, false);
    }
    if ((this.opts.username === undefined) !== (this.opts.password === undefined)) {
      throw new CollectorError('BAD_OPTION', 'mqtt broker options username and password: expected both or neither', false);
    }
  }

  /** The port the broker listens on (after start). */
  get port(): number {
    return this.boundPort;
  }

  async start(sink: IngestSink): Promise<void> {
    this.sink = sink;
    this.batcher = new SubmitBatcher(sink, this.opts.source, this.opts.maxBatch, this.originalMax);
    this.broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => done(null, this.control.authenticate(client, username, password)),
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => {
        if (mayMatchCityTopics(sub.topic) && !this.control.maySubscribe(client, sub.topic)) {
          // SUBACK 0x80 for this filter (aedes: a null subscription is negated), the session goes on.
          this.refused('subscribe');
          done(null, null);
          return;
        }
        // Runs before the subscription is active (aedes lib/handlers/subscribe.js), so no stored message can miss it.
        if (mayMatchCityTopics(sub.topic)) this.forwardCity = true;
        done(null, sub);
      },
      // A client that connects and never sends CONNECT (slow loris) is dropped after this.
      connectTimeout: 10_000,
      authorizeForward: (_client, packet) => (packet.topic.startsWith(QUARANTINE_PREFIX) ? null : packet),
      // A slow subscriber must not stall delivery to everyone (aedes's own DoS advice).
      drainTimeout: 30_000,
    });
    this.broker.on('clientError', (_client: Client, err: Error) => this.onError(err, 'mqtt client'));
    this.broker.on('connectionError', (_client: Client, err: Error) => this.onError(err, 'mqtt connection'));
    this.broker.on('clientDisconnect', (client: Client) => this.control.forget(client));
    const onSocket = (socket: Socket) => this.accept(socket);
    const tls = this.opts.tls;
    this.server = tls
      ? createTlsServer(
          { key: tls.key, cert: tls.cert, handshakeTimeout: 10_000, ...(tls.ca !== undefined ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}) },
          onSocket,
        )
      : createTcpServer(onSocket);
    const server = this.server;
    server.maxConnections = this.guard.limits.maxConnections;
    this.control.watchRevocations(this.opts.revocationPollMs);
    this.boundPort = await new Promise<number>((resolve, rejectListen) => {
      server.once('error', (err) => rejectListen(new CollectorError('LISTEN_FAILED', `mqtt broker ${this.opts.host}:${this.opts.port}: ${err.message}`, true, { cause: err })));
      server.listen(this.opts.port, this.opts.host, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.onError(err, 'mqtt listener'));
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.opts.port);
      });
    }).catch(async (err: unknown) => {
      await new Promise<void>((r) => this.broker!.close(() => r()));
      throw err;
    });
  }

  async stop(): Promise<void> {
    this.control.stop();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    // Finish storing (and acknowledging) what was taken before the clients go.
    await this.batcher?.drain();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    const broker = this.broker;
    this.broker = undefined;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
  }

  private accept(socket: Socket): void {
    const broker = this.broker;
    if (!broker) {
      socket.destroy();
      return;
    }
    let connection: ConnectionState | undefined;
    // A connection the broker stopped reading (its window is full) waits on Vigil: not idle.
    if (!this.guard.admit(socket, () => connection?.holding ?? false)) return;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const client = broker.handle(socket) as unknown as ClientInternals;
    try {
      checkAedesInternals(client);
    } catch (err) {
      this.onError(err, 'mqtt broker');
      socket.destroy();
      return;
    }
    this.guardPacketSize(client._parser, socket);
    connection = this.shortenPublishPath(client);
  }

  /**
   * Route Vigil's QoS 0/1 PUBLISHes of a connected client to `takePublish` as they are
   * parsed, and let the connection be read on until `maxInflight*` are waiting; every other
   * packet goes to aedes as it would have.
   */
  private shortenPublishPath(client: ClientInternals): ConnectionState {
    const parser = client._parser;
    const aedesListeners = parser.listeners('packet') as Array<(this: unknown, packet: unknown) => void>;
    const conn = client.conn;
    const aedesNextBatch = client._nextBatch;
    const state: ConnectionState = { messages: 0, bytes: 0, holding: false, deferred: 0, acks: [], ackScheduled: false, failed: false };
    // While holding, the reads aedes would start (a handled packet, new bytes readable,
    // resume()) are deferred and replayed in order when the window has room again.
    const gatedNextBatch = (err?: Error | null): void => {
      if (err) return aedesNextBatch(err);
      if (state.holding) {
        state.deferred++;
        return;
      }
      aedesNextBatch();
    };
    client._nextBatch = gatedNextBatch;
    conn.removeListener('readable', aedesNextBatch);
    conn.on('readable', gatedNextBatch);
    state.release = () => {
      state.holding = false;
      const deferred = state.deferred;
      state.deferred = 0;
      if (deferred > 0) {
        let i = 0;
        while (i < deferred && !state.holding) {
          i++;
          aedesNextBatch();
        }
        // A read in between filled the window again: keep the rest for the next release.
        state.deferred += deferred - i;
      }
      // Nothing of aedes's own is pending: read what arrived while we held.
      else if (client._parsingBatch <= 0) aedesNextBatch();
    };
    const collector = this;
    parser.removeAllListeners('packet');
    parser.on('packet', function onPacket(this: unknown, packet: { cmd: string }) {
      if (packet.cmd === 'publish' && client.connackSent && !client.closed && collector.takePublish(client, state, packet as PublishPacket)) return;
      for (const listener of aedesListeners) listener.call(this, packet);
    });
    return state;
  }

  /**
   * Validate one PUBLISH and queue it for the next group commit; false when it is not one
   * this path takes (aedes handles it). Its PUBACK and its forwarding wait for the commit.
   */
  private takePublish(client: ClientInternals, state: ConnectionState, packet: PublishPacket): boolean {
    const batcher = this.batcher;
    if (!batcher || (packet.qos !== 0 && packet.qos !== 1) || state.failed) return false;
    const topic = packet.topic;
    // aedes refuses wildcards in a PUBLISH topic by closing the connection: leave those to it.
    if (topic.indexOf('+') !== -1 || topic.indexOf('#') !== -1) return false;
    const claim = parseTopic(topic);
    if (!claim) return false;
    if (client._keepaliveInterval > 0) client._keepaliveTimer?.refresh();
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
    const scope = this.control.scopeOf(client as unknown as Client);
    const item = scope ? scope.admit(claimToItem(claim, topic, payload, this.validation)) : claimToItem(claim, topic, payload, this.validation);
    const size = payload.byteLength;
    state.messages++;
    state.bytes += size;
    if (!state.holding && (state.messages >= this.opts.maxInflightMessages || state.bytes >= this.opts.maxInflightBytes)) state.holding = true;
    batcher.add(item, (err) => {
      state.messages--;
      state.bytes -= size;
      if (err) {
        // Not stored: no PUBACK, and the connection goes, so the publisher sends it again.
        if (!state.failed) {
          state.failed = true;
          client.emit('error', err);
        }
        return;
      }
      if (packet.qos === 1) this.queuePuback(client, state, packet.messageId!);
      // Forwarded only once stored, and never when rejected: subscribers must not see an impersonating message.
      // With the client, as aedes's own handler does (MQTT 5 no-local, the forwarded packet's clientId).
      // A retained message goes to aedes even with nobody subscribed: it keeps it for later subscribers.
      if (!item.rejection && (this.forwardCity || packet.retain) && !client.closed && this.broker) (this.broker as unknown as BrokerInternals).publish(packet, client, noop);
      // Read on once half the window is free: one read per half window, not one per acknowledgement.
      if (state.holding && state.messages <= this.opts.maxInflightMessages / 2 && state.bytes <= this.opts.maxInflightBytes / 2) state.release?.();
    });
    return true;
  }

  /** PUBACKs of one commit go out in one write per connection, in the order their PUBLISHes came. */
  private queuePuback(client: ClientInternals, state: ConnectionState, messageId: number): void {
    state.acks.push(messageId);
    if (state.ackScheduled) return;
    state.ackScheduled = true;
    process.nextTick(() => {
      state.ackScheduled = false;
      const ids = state.acks;
      state.acks = [];
      const conn = client.conn;
      if (client.closed || conn.destroyed || !conn.writable) return;
      // PUBACK: fixed header 0x40, remaining length 2, packet identifier (MQTT 3.1.1 §3.4; a v5 PUBACK without reason code means success).
      const out = Buffer.allocUnsafe(ids.length * 4);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        out[i * 4] = 0x40;
        out[i * 4 + 1] = 2;
        out[i * 4 + 2] = id >> 8;
        out[i * 4 + 3] = id & 0xff;
      }
      conn.write(out);
    });
  }

  /**
   * Refuse a packet as soon as its declared length is known to exceed the limit, before
   * mqtt-packet buffers it (CWE-770: a 256 MB PUBLISH would otherwise be held whole).
   */
  private guardPacketSize(parser: PacketParser, socket: Socket): void {
    const parseLength = parser._parseLength;
    const limit = this.opts.maxPacketBytes;
    parser._parseLength = function guardedParseLength(this: PacketParser): boolean {
      const ok = parseLength.call(this);
      if (ok && this.packet.length > limit) {
        const prefix = Buffer.from(this._list.slice(0, Math.min(this._list.length, OVERSIZED_PREFIX_BYTES)));
        onOversized(this.packet.cmd ?? 'packet', this.packet.length, prefix);
        this._emitError(new Error(`MQTT ${this.packet.cmd ?? 'packet'} of ${this.packet.length} bytes exceeds the limit of ${limit}`));
        socket.destroy();
        return false;
      }
      return ok;
    };
    const onOversized = (cmd: string, length: number, prefix: Buffer) => {
      const sink = this.sink;
      if (!sink) return;
      const p = sink
        .submit(this.opts.source, [{ raw: prefix, rejection: reject('TOO_LARGE', `MQTT ${cmd} of ${length} bytes exceeds the limit of ${limit}; connection closed unread`) }])
        .catch((err: unknown) => this.onError(err, 'mqtt dead letter'));
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    };
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    const topic = packet.topic;
    if (topic.startsWith(SYS_PREFIX)) {
      // aedes's default: clients must not forge broker status topics.
      done(new Error(`${SYS_PREFIX} topics are reserved`));
      return;
    }
    if (topic.startsWith(QUARANTINE_PREFIX) && client !== null) {
      done(new Error(`${QUARANTINE_PREFIX} topics are reserved`));
      return;
    }
    // Outside Vigil's namespace the broker is just a broker (device commands, retained config).
    if (!isCityTopic(topic) || !this.batcher) {
      done(null);
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
    const scope = this.control.scopeOf(client);
    const item = scope ? scope.admit(messageToItem(topic, payload, this.validation)) : messageToItem(topic, payload, this.validation);
    if (item.rejection) {
      // Kept as evidence, not delivered: subscribers must not see an impersonating message.
      packet.topic = `${QUARANTINE_PREFIX}${item.rejection.code}`;
      packet.retain = false;
    }
    this.batcher.add(item, done);
  }
}
