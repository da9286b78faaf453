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
 * Backpressure for free: aedes reads a client's socket chunk by chunk and reads the next
 * only when every packet of the previous one has been handled (lib/client.js, nextBatch).
 * While the pipeline is full, `submit` waits, the hook does not call back, and the broker
 * stops reading those clients: TCP flow control slows the publishers, nothing is dropped.
 *
 * Oversized packets: mqtt-packet would buffer a PUBLISH of any declared length (up to
 * 256 MB) before aedes sees it. The connection's parser is checked as soon as the fixed
 * header's Remaining Length is known; a packet over `maxPacketBytes` is not read — a dead
 * letter records it (TOO_LARGE, with its first bytes) and the connection is closed, which
 * is all MQTT 3.1.1 offers (it has no per-message refusal).
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { timingSafeEqual, createHash } from 'node:crypto';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { reject, type ResolvedValidationOptions } from '../../events/index.js';
import { CollectorError } from '../errors.js';
import type { EventSource, IngestSink } from '../sink.js';
import { SubmitBatcher } from './batcher.js';
import { isCityTopic, messageToItem } from './topics.js';

export interface MqttBrokerOptions {
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** TCP port (8883 is usual with TLS); 0 picks a free one (see `port` after start). @default 1883 */
  port?: number;
  /** PEM key and certificate: listen with TLS (MQTT over TLS, RFC 5246/8446). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** When set, clients must CONNECT with this username and password; otherwise anyone may. */
  username?: string;
  password?: string;
  /**
   * Largest MQTT packet read, bytes. Larger packets are refused unread and their
   * connection closed; a payload under this but over the record limit is a TOO_LARGE dead letter.
   * @default 131072
   */
  maxPacketBytes?: number;
  /** Most messages per pipeline submission. @default 5000 */
  maxBatch?: number;
  /** Source name in metrics and dead letters. @default 'mqtt' */
  source?: string;
}

/** Dead-lettered messages are re-addressed here so that the broker forwards them to nobody. */
const QUARANTINE_PREFIX = '$vigil/rejected/';
const SYS_PREFIX = '$SYS/';
const OVERSIZED_PREFIX_BYTES = 1024;

/** What of mqtt-packet's parser the size guard touches (not in aedes's types). */
interface PacketParser {
  packet: { cmd?: string; length: number };
  _list: { length: number; slice(start: number, end: number): Buffer };
  _parseLength(): boolean;
  _emitError(err: Error): unknown;
}

export class MqttBrokerCollector implements EventSource {
  readonly name: string;
  private readonly opts: Required<Omit<MqttBrokerOptions, 'tls' | 'username' | 'password'>> & Pick<MqttBrokerOptions, 'tls' | 'username' | 'password'>;
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private batcher: SubmitBatcher | undefined;
  private sink: IngestSink | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Set<Promise<unknown>>();
  private boundPort = 0;

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
      source: options.source ?? 'mqtt',
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
    };
    this.name = this.opts.source;
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
    this.batcher = new SubmitBatcher(sink, this.opts.source, this.opts.maxBatch);
    this.broker = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => done(null, this.authenticate(username, password)),
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeForward: (_client, packet) => (packet.topic.startsWith(QUARANTINE_PREFIX) ? null : packet),
      // A slow subscriber must not stall delivery to everyone (aedes's own DoS advice).
      drainTimeout: 30_000,
    });
    this.broker.on('clientError', (_client: Client, err: Error) => this.onError(err, 'mqtt client'));
    this.broker.on('connectionError', (_client: Client, err: Error) => this.onError(err, 'mqtt connection'));
    const onSocket = (socket: Socket) => this.accept(socket);
    this.server = this.opts.tls ? createTlsServer({ key: this.opts.tls.key, cert: this.opts.tls.cert }, onSocket) : createTcpServer(onSocket);
    const server = this.server;
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
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const client = broker.handle(socket);
    this.guardPacketSize((client as unknown as { _parser: PacketParser })._parser, socket);
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

  private authenticate(username: string | undefined, password: Buffer | undefined): boolean {
    if (this.opts.username === undefined) return true;
    if (username === undefined || password === undefined) return false;
    // Compare digests: timingSafeEqual needs equal lengths, and the length must not leak either.
    const same = (a: Buffer, b: Buffer) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
    const userOk = same(Buffer.from(username, 'utf8'), Buffer.from(this.opts.username, 'utf8'));
    const passOk = same(password, Buffer.from(this.opts.password ?? '', 'utf8'));
    return userOk && passOk;
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
    const item = messageToItem(topic, payload, this.validation);
    if (item.rejection) {
      // Kept as evidence, not delivered: subscribers must not see an impersonating message.
      packet.topic = `${QUARANTINE_PREFIX}${item.rejection.code}`;
      packet.retain = false;
    }
    this.batcher.add(item, done);
  }
}
