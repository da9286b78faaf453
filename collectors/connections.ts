/**
 * Bounds on the connections of one TCP listener (syslog TCP/TLS, the MQTT broker, the HTTP
 * port): a per-address cap, a total cap, and an idle timeout.
 *
 * Without them one host could open a thousand idle connections and hold every descriptor
 * until a real sender's connection is reset (issue 16: 1,024 idle syslog connections, a
 * real sender got ECONNRESET and lost its message). The per-address cap keeps one source
 * from taking the whole listener (CWE-770); the idle timeout frees what a silent or
 * slow-loris client holds. A connection Vigil itself stopped reading (backpressure: the
 * pipeline is full) is busy, not idle, and is never reaped for it.
 */
import type { Server, Socket } from 'node:net';

export interface ConnectionLimits {
  /**
   * Milliseconds without a byte in either direction after which a connection is closed.
   * @default 300000 (5 minutes: syslog relays and MQTT subscribers legitimately pause)
   */
  idleTimeoutMs?: number;
  /** Most concurrent connections from one remote address; more are closed at once. @default 128 */
  maxPerAddress?: number;
  /** Most concurrent connections in all. @default 1024 */
  maxConnections?: number;
}

export type ResolvedConnectionLimits = Required<ConnectionLimits>;

export const DEFAULT_CONNECTION_LIMITS: ResolvedConnectionLimits = { idleTimeoutMs: 300_000, maxPerAddress: 128, maxConnections: 1024 };

export function resolveConnectionLimits(limits: ConnectionLimits = {}, what = 'connection limits'): ResolvedConnectionLimits {
  const out = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
  for (const key of ['idleTimeoutMs', 'maxPerAddress', 'maxConnections'] as const) {
    if (!Number.isInteger(out[key]) || out[key] < 1) throw new RangeError(`${what} ${key}: expected a positive integer, got ${out[key]}`);
  }
  return out;
}

/** Why a connection was refused or closed, for metrics. */
export type ConnectionRefusal = 'per-address' | 'total' | 'idle';

export class ConnectionGuard {
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  readonly limits: ResolvedConnectionLimits;

  constructor(
    limits: ConnectionLimits = {},
    private readonly onRefused: (reason: ConnectionRefusal, address: string) => void = () => {},
  ) {
    this.limits = resolveConnectionLimits(limits);
  }

  /** Open connections now (for tests and metrics). */
  get open(): number {
    return this.total;
  }

  /**
   * Count a new connection in, or destroy it and return false when a cap is reached. Its
   * idle timer starts now; `busy` says when the connection is waiting on Vigil (not reaped).
   */
  admit(socket: Socket, busy: () => boolean = () => false): boolean {
    const address = socket.remoteAddress ?? 'unknown';
    const mine = this.perAddress.get(address) ?? 0;
    const reason: ConnectionRefusal | undefined = this.total >= this.limits.maxConnections ? 'total' : mine >= this.limits.maxPerAddress ? 'per-address' : undefined;
    if (reason !== undefined) {
      this.onRefused(reason, address);
      socket.destroy();
      return false;
    }
    this.total++;
    this.perAddress.set(address, mine + 1);
    let counted = true;
    socket.once('close', () => {
      if (!counted) return;
      counted = false;
      this.total--;
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, n);
    });
    const idle = this.limits.idleTimeoutMs;
    socket.setTimeout(idle);
    // Node re-arms the timer on the next byte; a busy connection is looked at again later.
    socket.on('timeout', () => {
      if (busy()) {
        socket.setTimeout(idle);
        return;
      }
      this.onRefused('idle', address);
      socket.destroy();
    });
    return true;
  }

  /** Guard every raw connection of a server (before a TLS handshake is spent on it). */
  attach(server: Server, busy?: (socket: Socket) => boolean): void {
    server.on('connection', (socket: Socket) => {
      this.admit(socket, busy ? () => busy(socket) : undefined);
    });
  }
}
