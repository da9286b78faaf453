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
 * reads it; that loss is the kernel's (`netstat -su`, "receive buffer errors").
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { reject, type ResolvedValidationOptions } from '../../events/index.js';
import { CollectorError } from '../errors.js';
import type { EventSource, IngestItem, IngestSink } from '../sink.js';
import { SyslogFramer } from './framing.js';
import { syslogToItem } from './parse.js';
import { RepeatCounter } from '../sequence.js';

export interface SyslogCollectorOptions {
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
}

export const SYSLOG_UDP_SOURCE = 'syslog-udp';
export const SYSLOG_TCP_SOURCE = 'syslog-tcp';

export class SyslogCollector implements EventSource {
  readonly name = 'syslog';
  /** The source names this collector reports under (metrics, dead letters). */
  readonly sources = [SYSLOG_UDP_SOURCE, SYSLOG_TCP_SOURCE] as const;
  private readonly opts: Required<SyslogCollectorOptions>;
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
    };
    for (const key of ['maxMessageBytes', 'udpBufferMessages', 'udpBatchMessages', 'tcpPendingMessages', 'maxConnections'] as const) {
      const v = this.opts[key];
      if (!Number.isInteger(v) || v < 1) throw new CollectorError('BAD_OPTION', `syslog option ${key}: expected a positive integer, got ${v}`, false);
    }
    if (!Number.isInteger(this.opts.port) || this.opts.port < 0 || this.opts.port > 65_535) {
      throw new CollectorError('BAD_OPTION', `syslog option port: expected 0 to 65535, got ${this.opts.port}`, false);
    }
  }

  /** The ports actually bound (useful with port 0). */
  get ports(): { udp: number; tcp: number } {
    return { udp: this.udpPort, tcp: this.tcpPort };
  }

  async start(sink: IngestSink): Promise<void> {
    this.sink = sink;
    // With port 0 TCP picks first and UDP takes the same number, so senders need one port.
    if (this.opts.tcp) this.tcpPort = await this.listenTcp(this.opts.port);
    if (this.opts.udp) this.udpPort = await this.listenUdp(this.opts.tcp && this.opts.port === 0 ? this.tcpPort : this.opts.port);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const closing: Promise<void>[] = [];
    if (this.udp) {
      const udp = this.udp;
      closing.push(new Promise((resolve) => udp.close(() => resolve())));
    }
    if (this.tcp) {
      const tcp = this.tcp;
      closing.push(new Promise((resolve) => tcp.close(() => resolve())));
    }
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
    const socket = createSocket({ type, recvBufferSize: 8 * 1024 * 1024 });
    this.udp = socket;
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address));
    return new Promise((resolve, rejectListen) => {
      socket.once('error', (err) => rejectListen(new CollectorError('LISTEN_FAILED', `syslog UDP ${this.opts.host}:${port}: ${err.message}`, true, { cause: err })));
      socket.bind(port, this.opts.host, () => {
        socket.removeAllListeners('error');
        socket.on('error', this.onError);
        resolve(socket.address().port);
      });
    });
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

  private onConnection(socket: Socket): void {
    if (this.stopped || !this.sink) {
      socket.destroy();
      return;
    }
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
    const flush = (): void => {
      if (storing || waiting.length === 0) {
        if (!storing && ended) socket.end();
        return;
      }
      const items = waiting;
      waiting = [];
      if (socket.isPaused() && !ended && !socket.destroyed) socket.resume();
      storing = sink.submit(SYSLOG_TCP_SOURCE, items, { wait: true }).then(
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
      for (const f of frames) waiting.push(f.rejection ? { raw: f.bytes, rejection: f.rejection } : syslogToItem(f.bytes, peer, this.validation, this.repeats));
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
