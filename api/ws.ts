/**
 * GraphQL over WebSocket (the graphql-ws protocol, `graphql-transport-ws`) beside SSE, on the
 * same `/graphql` path and with the same armour as HTTP: a token (in `connection_init`'s
 * `authorization`, or the upgrade's `Authorization` header) checked at connect and again at
 * every subscribe, so a revoked or expired token opens nothing new; the per-token rate limit
 * per operation; the same validation rules and cost limit (yoga's envelop runs them); a
 * cross-site origin refused (cross-site WebSocket hijacking); a cap on open sockets and on
 * message size.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Authenticator, Principal } from './auth.js';
import type { TokenRateLimiter } from './guards.js';
import type { ApiContext } from './resolvers.js';

export interface WsOptions {
  /** Open sockets at once; more are refused with 503 before the upgrade. @default 256 */
  maxConnections?: number;
  /** Largest message, bytes. @default 65536 */
  maxPayloadBytes?: number;
  /** Milliseconds a client has to send `connection_init`. @default 10000 */
  connectionInitWaitMs?: number;
  /** How often open sockets' tokens are checked again, milliseconds. @default 30000 */
  recheckMs?: number;
}

export interface WsDeps {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  yoga: YogaServerInstance<{}, ApiContext>;
  auth: Authenticator;
  rate: TokenRateLimiter;
  rateDescription: string;
  allowedOrigins: readonly string[];
}

export interface WsEndpoint {
  /** Take an HTTP upgrade for the GraphQL path (the pipeline's server hands it over). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly connections: number;
  close(): Promise<void>;
}

/** The context graphql-ws hands back to each hook; the principal is kept beside it. */
type Extra = { socket: WebSocket; request: IncomingMessage; principal?: Principal; authorization?: string };

export function createWsEndpoint(deps: WsDeps, options: WsOptions = {}): WsEndpoint {
  const maxConnections = options.maxConnections ?? 256;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 65_536 });
  // A token revoked or expired while its subscriptions run: their sockets are closed within a recheck.
  const held = new Map<WebSocket, string | undefined>();
  const recheck = setInterval(() => {
    for (const [socket, header] of held) if (!('tokenId' in deps.auth.check(header ?? null))) socket.close(CloseCode.Forbidden, 'token expired or revoked');
  }, options.recheckMs ?? 30_000);
  recheck.unref();
  const server = useServer<Record<string, unknown>, Extra>(
    {
      connectionInitWaitTimeout: options.connectionInitWaitMs ?? 10_000,
      onConnect(ctx) {
        const fromInit = ctx.connectionParams?.['authorization'];
        const header = typeof fromInit === 'string' ? fromInit : ctx.extra.request.headers.authorization;
        const principal = deps.auth.check(header ?? null);
        if (!('tokenId' in principal)) return false;
        ctx.extra.principal = principal;
        if (header !== undefined) ctx.extra.authorization = header;
        held.set(ctx.extra.socket, header);
        ctx.extra.socket.once('close', () => held.delete(ctx.extra.socket));
        return true;
      },
      async onSubscribe(ctx, _id, payload) {
        const principal = deps.auth.check(ctx.extra.authorization ?? null);
        if (!('tokenId' in principal)) {
          ctx.extra.socket.close(CloseCode.Forbidden, 'token expired or revoked');
          return [new GraphQLError('a valid API token is required', { extensions: { code: 'UNAUTHENTICATED' } })];
        }
        const wait = await deps.rate.take(principal.tokenId);
        if (wait !== undefined) return [new GraphQLError(`${deps.rateDescription}; retry in ${wait} s`, { extensions: { code: 'RATE_LIMITED' } })];
        const { schema, execute, subscribe, contextFactory, parse, validate } = deps.yoga.getEnveloped({ wsPrincipal: principal, params: payload });
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [err instanceof GraphQLError ? err : new GraphQLError('the document does not parse')];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        return args;
      },
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
    },
    wss,
  );
  return {
    handleUpgrade(req, socket, head) {
      const refuse = (status: number, text: string): void => {
        socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      };
      const origin = req.headers.origin;
      if (origin !== undefined && !sameOrigin(origin, req.headers.host) && !deps.allowedOrigins.includes(origin)) return refuse(403, 'Forbidden');
      if (wss.clients.size >= maxConnections) return refuse(503, 'Service Unavailable');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    get connections() {
      return wss.clients.size;
    },
    async close() {
      clearInterval(recheck);
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
