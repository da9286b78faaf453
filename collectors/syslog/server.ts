/**
 * The syslog collector: a UDP socket and a TCP server on one port (RFC 5426 and RFC 6587).
 *
 * TCP can push back, so it does: each connection's chunk is parsed and submitted, and the
 * socket is paused until the pipeline has stored it — a fast sender is slowed down by TCP's
 * own flow control, and nothing is dropped.
 *
 * UDP cannot push back. Datagrams go into a bounded in-process buffer that is submitted in
 * batches; what does not fit while the pipeline is full is dropped and counted
 * (`vigil_events_dropped_total{source="syslog-udp",reason="overflow"}`), so that loss is
 * visible rather than silent. The kernel's receive buffer may also overflow before Node
 * reads it: that loss is read from /proc/net/udp for this socket and counted too
 * (`vigil_events_dropped_total{source="syslog-udp",where="kernel"}`).
 *
 * Syslog over TLS (RFC 5425) on its own port: every client must present a certificate, and
 * only one that the configured CA issued or whose SHA-256 fingerprint is on the allow-list
 * is served; its events record the certificate as their ECS `agent` (`type: tls-client`).
 * Plain UDP and TCP authenticate nobody: the node allows them on a non-loopback address
 * only when told to (pipeline/node.ts).
 *
 * Every TCP and TLS connection is bounded (collectors/connections.ts): an idle timeout, a
 * per-address and a total cap, and for TLS a handshake deadline.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { attachOriginal, originalBound, reject, type PreserveOriginalOptions, type ResolvedValidationOptions } from '../../events/index.js';
import { CollectorError } from '../errors.js';
import type { EventSource, IngestItem, IngestSink } from '../sink.js';
import { SyslogFramer } from './framing.js';
import { syslogToItem } from './parse.js';
import { RepeatCounter } from '../sequence.js';
import { ConnectionGuard, type ConnectionLimits, type ConnectionRefusal } from '../connections.js';
import { udpKernelDrops, udpSocketInode } from './kernel-drops.js';
import type { VigilEvent } from '../../events/index.js';

export interface SyslogTlsOptions {
  /** TLS port (RFC 5425's is 6514); 0 picks a free one. @default 6514 */
  port?: number;
  /** PEM key and certificate of this server. */
  key: string | Buffer;
  cert: string | Buffer;
  /** PEM CA certificate(s): a client certificate they issued is allowed. */
  ca?: string | Buffer;
  /** SHA-256 fingerprints (hex, colons optional) of client certificates allowed beside the CA's. */
  allowFingerprints?: readonly string[];
}

/** `preserveOriginal`: each message as received (the datagram, the TCP/TLS frame without its framing) is kept as `event.original`. */
export interface SyslogCollectorOptions extends PreserveOriginalOptions {
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** UDP and TCP port; 0 picks a free one (see `ports`). @default 5514 */
  port?: number;
  /** Listen on UDP. @default true */
  udp?: boolean;
  /** Listen on TCP. @default true */
  tcp?: boolean;
  /**
   * Largest syslog message, bytes. A TCP frame over it is rejected (TOO_LARGE) without
   * being buffered; a UDP datagram over it is rejected after the kernel delivered it.
   * @default 65536
   */
  maxMessageBytes?: number;
  /**
   * UDP datagrams held while the pipeline is busy; beyond it they are dropped and counted.
   * @default 50000
   */
  udpBufferMessages?: number;
  /** Messages a TCP connection may accumulate while its previous batch is stored, before it is paused. @default 10000 */
  tcpPendingMessages?: number;
  /** Most UDP messages per submitted batch. @default 5000 */
  udpBatchMessages?: number;
  /** Most concurrent TCP connections; more are refused (a sender cannot exhaust descriptors). @default 1024 */
  maxConnections?: number;
  /** Idle timeout and per-address cap of TCP and TLS connections (collectors/connections.ts). */
  connections?: Omit<ConnectionLimits, 'maxConnections'>;
  /** Syslog over TLS with client certificates (RFC 5425); off when unset. */
  tls?: SyslogTlsOptions;
  /** The UDP socket's kernel receive buffer, bytes (SO_RCVBUF; Linux caps it at net.core.rmem_max). @default 8388608 */
  udpReceiveBufferBytes?: number;
  /** How often the kernel's drop count of the UDP socket is read, milliseconds. @default 1000 */
  kernelDropsPollMs?: number;
  /** Told of each refused or reaped connection, for metrics. */
  onRefused?: (reason: ConnectionRefusal | 'certificate', source: string) => void;
}

export const SYSLOG_UDP_SOURCE = 'syslog-udp';
export const SYSLOG_TCP_SOURCE = 'syslog-tcp';
export const SYSLOG_TLS_SOURCE = 'syslog-tls';

type ResolvedOptions = Required<Omit<SyslogCollectorOptions, 'tls' | 'connections' | 'onRefused' | keyof PreserveOriginalOptions>> & Pick<SyslogCollectorOptions, 'tls'>;

export class SyslogCollector implements EventSource {
  readonly name = 'syslog';
  /** The source names this collector reports under (metrics, dead letters). */
  readonly sources = [SYSLOG_UDP_SOURCE, SYSLOG_TCP_SOURCE, SYSLOG_TLS_SOURCE] as const;
  private readonly opts: ResolvedOptions;
  private readonly tcpGuard: ConnectionGuard;
  private readonly tlsGuard: ConnectionGuard;
  private readonly refused: NonNullable<SyslogCollectorOptions['onRefused']>;
  private readonly allowed: Set<string>;
  private readonly originalMax: number | undefined;
  private tlsServer: Server | undefined;
  private tlsPort = 0;
  private kernelTimer: NodeJS.Timeout | undefined;
  private kernelDropsSeen: number | undefined;
  private udpInode: string | undefined;
  private sink: IngestSink | undefined;
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly connections = new Set<Socket>();
  /** Numbers identical lines from one sender within one timestamp, so each stays an event. */
  private readonly repeats = new RepeatCounter();
  private readonly inflight = new Set<Promise<unknown>>();
  private udpPending: IngestItem[] = [];
  private udpSubmitting = false;
  private udpPort = 0;
  private tcpPort = 0;
  private stopped = false;

  constructor(
    private readonly validation: ResolvedValidationOptions,
    options: SyslogCollectorOptions = {},
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.opts = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 5514,
      udp: options.udp ?? true,
      tcp: options.tcp ?? true,
      maxMessageBytes: options.maxMessageBytes ?? 65_536,
      udpBufferMessages: options.udpBufferMessages ?? 50_000,
      udpBatchMessages: options.udpBatchMessages ?? 5_000,
      tcpPendingMessages: options.tcpPendingMessages ?? 10_000,
      maxConnections: options.maxConnections ?? 1024,
      udpReceiveBufferBytes: options.udpReceiveBufferBytes ?? 8 * 1024 * 1024,
      kernelDropsPollMs: options.kernelDropsPollMs ?? 1_000,
      ...(options.tls ? { tls: options.tls } : {}),
    };
    this.refused = options.onRefused ?? (() => {});
    this.originalMax = originalBound(options);
    const limits = { ...options.connections, maxConnections: this.opts.maxConnections };
    this.tcpGuard = new ConnectionGuard(limits, (reason) => this.refused(reason, SYSLOG_TCP_SOURCE));
    this.tlsGuard = new ConnectionGuard(limits, (reason) => this.refused(reason, SYSLOG_TLS_SOURCE));
    this.allowed = new Set((options.tls?.allowFingerprints ?? []).map(normaliseFingerprint));
    if (options.tls && options.tls.ca === undefined && this.allowed.size === 0) {
      throw new CollectorError('BAD_OPTION', 'syslog option tls: expected a ca or allowFingerprints (who may send), got neither', false);
    }
    for (const key of ['maxMessageBytes', 'udpBufferMessages', 'udpBatchMessages', 'tcpPendingMessages', 'maxConnections', 'udpReceiveBufferBytes', 'kernelDropsPollMs'] as const) {
      const v = this.opts[key];
      if (!Number.isInteger(v) || v < 1) throw new CollectorError('BAD_OPTION', `syslog option ${key}: expected a positive integer, got ${v}`, false);
    }
    if (!Number.isInteger(this.opts.port) || this.opts.port < 0 || this.opts.port > 65_535) {
      throw new CollectorError('BAD_OPTION', `syslog option port: expected 0 to 65535, got ${this.opts.port}`, false);
    }
  }

  /** The ports actually bound (useful with port 0). */
  get ports(): { udp: number; tcp: number; tls: number } {
    return { udp: this.udpPort, tcp: this.tcpPort, tls: this.tlsPort };
  }

  /** Open TCP and TLS connections now (for tests). */
  get openConnections(): number {
    return this.tcpGuard.open + this.tlsGuard.open;
  }

  async start(sink: IngestSink): Promise<void> {
    this.sink = sink;
    // With port 0 TCP picks first and UDP takes the same number, so senders need one port.
    if (this.opts.tcp) this.tcpPort = await this.listenTcp(this.opts.port);
    if (this.opts.udp) this.udpPort = await this.listenUdp(this.opts.tcp && this.opts.port === 0 ? this.tcpPort : this.opts.port);
    if (this.opts.tls) this.tlsPort = await this.listenTls(this.opts.tls);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const closing: Promise<void>[] = [];
    if (this.udp) {
      const udp = this.udp;
      closing.push(new Promise((resolve) => udp.close(() => resolve())));
    }
    for (const server of [this.tcp, this.tlsServer]) if (server) closing.push(new Promise((resolve) => server.close(() => resolve())));
    clearInterval(this.kernelTimer);
    this.readKernelDrops();
    for (const socket of this.connections) socket.end();
    // Finish storing what was taken.
    this.flushUdp();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    for (const socket of this.connections) socket.destroy();
    await Promise.all(closing);
  }

  // -------------------------------------------------------------------------------------
  // UDP (RFC 5426): one message per datagram.

  private listenUdp(port: number): Promise<number> {
    const type = this.opts.host.includes(':') ? 'udp6' : 'udp4';
    // A large receive buffer absorbs bursts while a batch commits (the kernel may cap it).
    const socket = createSocket({ type, recvBufferSize: this.opts.udpReceiveBufferBytes });
    this.udp = socket;
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address));
    return new Promise((resolve, rejectListen) => {
      socket.once('error', (err) => rejectListen(new CollectorError('LISTEN_FAILED', `syslog UDP ${this.opts.host}:${port}: ${err.message}`, true, { cause: err })));
      socket.bind(port, this.opts.host, () => {
        socket.removeAllListeners('error');
        socket.on('error', this.onError);
        const bound = socket.address().port;
        this.watchKernelDrops(bound);
        resolve(bound);
      });
    });
  }

  /** Count what the kernel dropped on this socket since it was bound, every `kernelDropsPollMs`. */
  private watchKernelDrops(port: number): void {
    this.udpInode = udpSocketInode(port);
    this.udpPortForDrops = port;
    this.kernelDropsSeen = udpKernelDrops(port, this.udpInode);
    if (this.kernelDropsSeen === undefined) return; // not Linux: nothing to read
    this.kernelTimer = setInterval(() => this.readKernelDrops(), this.opts.kernelDropsPollMs);
    this.kernelTimer.unref();
  }

  private udpPortForDrops = 0;
  private readKernelDrops(): void {
    if (this.kernelDropsSeen === undefined || !this.sink) return;
    const now = udpKernelDrops(this.udpPortForDrops, this.udpInode);
    if (now === undefined || now <= this.kernelDropsSeen) return;
    this.sink.dropped(SYSLOG_UDP_SOURCE, now - this.kernelDropsSeen, 'receive-buffer', 'kernel');
    this.kernelDropsSeen = now;
  }

  private onDatagram(msg: Buffer, address: string): void {
    if (this.stopped || !this.sink) return;
    if (this.udpPending.length >= this.opts.udpBufferMessages) {
      this.sink.dropped(SYSLOG_UDP_SOURCE, 1, 'overflow');
      return;
    }
    const item: IngestItem =
      msg.length > this.opts.maxMessageBytes
        ? { raw: msg.subarray(0, 1024), rejection: reject('TOO_LARGE', `syslog datagram of ${msg.length} bytes exceeds the limit of ${this.opts.maxMessageBytes}`) }
        : syslogToItem(msg, { address }, this.validation, this.repeats);
    if (this.originalMax !== undefined && item.event) attachOriginal(item.event, msg, this.originalMax);
    this.udpPending.push(item);
    if (!this.udpSubmitting) this.scheduleUdpFlush();
  }

  private udpFlushScheduled = false;
  private scheduleUdpFlush(): void {
    if (this.udpFlushScheduled) return;
    this.udpFlushScheduled = true;
    // Let the datagrams already queued in the socket join this batch.
    setImmediate(() => {
      this.udpFlushScheduled = false;
      this.flushUdp();
    });
  }

  /** One batch in flight at a time: while it waits for room, newer datagrams fill the bounded buffer. */
  private flushUdp(): void {
    if (this.udpSubmitting || this.udpPending.length === 0 || !this.sink) return;
    const batch = this.udpPending.length <= this.opts.udpBatchMessages ? this.udpPending : this.udpPending.slice(0, this.opts.udpBatchMessages);
    this.udpPending = batch === this.udpPending ? [] : this.udpPending.slice(batch.length);
    this.udpSubmitting = true;
    const done = this.sink.submit(SYSLOG_UDP_SOURCE, batch, { wait: true }).then(
      () => undefined,
      (err: unknown) => {
        // The store failed: UDP has nobody to tell, so the loss is counted, not hidden.
        this.sink?.dropped(SYSLOG_UDP_SOURCE, batch.length, 'store-failed');
        this.onError(err);
      },
    );
    this.track(
      done.finally(() => {
        this.udpSubmitting = false;
        if (this.udpPending.length > 0) this.flushUdp();
      }),
    );
  }

  // -------------------------------------------------------------------------------------
  // TCP (RFC 6587).

  private listenTcp(port: number): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    server.maxConnections = this.opts.maxConnections;
    this.tcp = server;
    return new Promise((resolve, rejectListen) => {
      server.once('error', (err) => rejectListen(new CollectorError('LISTEN_FAILED', `syslog TCP ${this.opts.host}:${port}: ${err.message}`, true, { cause: err })));
      server.listen(port, this.opts.host, () => {
        server.removeAllListeners('error');
        server.on('error', this.onError);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** RFC 5425: TLS with a required client certificate, checked against the CA and the allow-list. */
  private listenTls(tls: SyslogTlsOptions): Promise<number> {
    const server = createTlsServer(
      // The handshake itself is verified below (a fingerprint-listed self-signed certificate has no chain).
      { key: tls.key, cert: tls.cert, requestCert: true, rejectUnauthorized: false, handshakeTimeout: 10_000, ...(tls.ca !== undefined ? { ca: tls.ca } : {}) },
      (socket) => {
        const agent = this.clientCertificate(socket);
        if (!agent) {
          this.refused('certificate', SYSLOG_TLS_SOURCE);
          socket.destroy();
          return;
        }
        this.onConnection(socket, SYSLOG_TLS_SOURCE, this.tlsGuard, agent);
      },
    );
    server.maxConnections = this.opts.maxConnections;
    server.on('tlsClientError', () => this.refused('certificate', SYSLOG_TLS_SOURCE));
    this.tlsServer = server;
    const port = tls.port ?? 6514;
    return new Promise((resolve, rejectListen) => {
      server.once('error', (err) => rejectListen(new CollectorError('LISTEN_FAILED', `syslog TLS ${this.opts.host}:${port}: ${err.message}`, true, { cause: err })));
      server.listen(port, this.opts.host, () => {
        server.removeAllListeners('error');
        server.on('error', this.onError);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** The agent a client certificate makes, or undefined when it is not allowed. */
  private clientCertificate(socket: TLSSocket): NonNullable<VigilEvent['agent']> | undefined {
    const cert = socket.getPeerCertificate();
    if (!cert || !cert.fingerprint256) return undefined;
    const fingerprint = normaliseFingerprint(cert.fingerprint256);
    const chained = this.opts.tls?.ca !== undefined && socket.authorized;
    if (!chained && !this.allowed.has(fingerprint)) return undefined;
    const cn = cert.subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    // Frozen: one object for every event of the connection, its JSON encoded once (events/canonical.ts).
    return Object.freeze({ id: `sha256:${fingerprint}`, ...(name ? { name: String(name).slice(0, 128) } : {}), type: 'tls-client' as const });
  }

  private onConnection(socket: Socket, source = SYSLOG_TCP_SOURCE, guard = this.tcpGuard, agent?: VigilEvent['agent']): void {
    if (this.stopped || !this.sink) {
      socket.destroy();
      return;
    }
    // A socket paused for backpressure waits on the pipeline: not idle.
    if (!guard.admit(socket, () => socket.isPaused())) return;
    const sink = this.sink;
    this.connections.add(socket);
    const framer = new SyslogFramer(this.opts.maxMessageBytes);
    const peer = { address: socket.remoteAddress ?? 'unknown-host' };
    // One batch is being stored while the next accumulates: under load, batches grow to what
    // arrives during a commit (one commit per many messages), and the socket is paused only
    // when the accumulating batch reaches its bound — backpressure without a commit per chunk.
    let waiting: IngestItem[] = [];
    let storing: Promise<void> | undefined;
    let ended = false;
    const maxPending = this.opts.tcpPendingMessages;
    const originalMax = this.originalMax;
    const flush = (): void => {
      if (storing || waiting.length === 0) {
        if (!storing && ended) socket.end();
        return;
      }
      const items = waiting;
      waiting = [];
      if (socket.isPaused() && !ended && !socket.destroyed) socket.resume();
      storing = sink.submit(source, items, { wait: true }).then(
        () => {
          storing = undefined;
          flush();
        },
        (err: unknown) => {
          // Not stored: closing makes a reliable sender (rsyslog, syslog-ng) resend from its queue.
          storing = undefined;
          this.onError(err);
          socket.destroy();
        },
      );
      this.track(storing);
    };
    const take = (frames: ReturnType<SyslogFramer['push']>) => {
      for (const f of frames) {
        const item = f.rejection ? { raw: f.bytes, rejection: f.rejection } : syslogToItem(f.bytes, peer, this.validation, this.repeats);
        if (agent && item.event) item.event.agent = agent;
        if (originalMax !== undefined && item.event) attachOriginal(item.event, f.bytes, originalMax);
        waiting.push(item);
      }
      if (waiting.length >= maxPending) socket.pause();
      flush();
    };
    socket.on('data', (chunk: Buffer) => take(framer.push(chunk)));
    socket.on('end', () => {
      ended = true;
      take(framer.end());
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}

/** Upper-case hex without separators: `AB:CD:…` and `abcd…` name the same certificate. */
function normaliseFingerprint(f: string): string {
  return f.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}
