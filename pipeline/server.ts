/**
 * The node's one HTTP port: `/ingest`, `/metrics`, `/healthz`, and what the API and
 * dashboards mount. Routing is a table, so each part registers its own paths in one place
 * (pipeline/node.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface HttpServerOptions {
  /** Serve HTTPS with this key and certificate (PEM). @default plain HTTP */
  tls?: { key: Buffer; cert: Buffer };
  /** Whether a request's `Host` header names this node (api/host-check.ts). @default every host */
  hostAllowed?: (host: string | undefined) => boolean;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export class HttpServer {
  readonly server: Server;
  private readonly exact = new Map<string, Handler>();
  private readonly prefixes: Array<[string, Handler]> = [];
  private readonly upgrades = new Map<string, UpgradeHandler>();

  private readonly hostAllowed: (host: string | undefined) => boolean;

  constructor(
    private readonly onError: (err: unknown) => void,
    options: HttpServerOptions = {},
  ) {
    this.hostAllowed = options.hostAllowed ?? (() => true);
    const listener = (req: IncomingMessage, res: ServerResponse): void => this.dispatch(req, res);
    this.server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createServer(listener);
    // Slow-loris defence: a client must send its headers and body in bounded time.
    this.server.headersTimeout = 20_000;
    this.server.requestTimeout = 120_000;
    this.server.keepAliveTimeout = 10_000;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const handler = this.upgrades.get(path);
      // The Host check holds for WebSockets too: DNS rebinding works on them as on fetch.
      if (!handler || !this.hostAllowed(req.headers.host)) return void socket.end(`HTTP/1.1 ${handler ? 421 : 404} ${handler ? 'Misdirected Request' : 'Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      try {
        handler(req, socket, head);
      } catch (err) {
        this.onError(err);
        socket.destroy();
      }
    });
  }

  /** Take HTTP upgrades (WebSocket) on `path` exactly. */
  upgrade(path: string, handler: UpgradeHandler): void {
    this.upgrades.set(path, handler);
  }

  /** Serve `path` exactly (query string ignored). */
  route(path: string, handler: Handler): void {
    this.exact.set(path, handler);
  }

  /** Serve every path under `prefix` (longest prefix wins). */
  mount(prefix: string, handler: Handler): void {
    this.prefixes.push([prefix, handler]);
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    if (!this.hostAllowed(req.headers.host)) {
      // RFC 9110 §15.5.20: 421 Misdirected Request, "not able to produce a response" for this authority.
      res.writeHead(421, { 'Content-Type': 'application/json', Connection: 'close' }).end(JSON.stringify({ error: { code: 'MISDIRECTED', message: 'this node does not serve that host name; add it to api.allowedHosts' } }));
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const handler = this.exact.get(path) ?? this.prefixes.find(([p]) => path.startsWith(p))?.[1];
    if (!handler) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route for ${path}` } }));
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        this.onError(err);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }));
        else res.destroy();
      });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => this.server.closeAllConnections(), 2_000).unref();
    });
  }
}
