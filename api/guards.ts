/**
 * Request guards of the GraphQL endpoint, as yoga plugins: who may send a browser request
 * (CSRF), how often one token may ask (rate limit), how long one operation may run
 * (wall-clock budget), and how many tokens a document may have. Each answers with a typed
 * code a client can act on, never a hang.
 */
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError, toClientError } from './errors.js';
import type { Limits } from './limits.js';

type Respond = (status: number, code: string, message: string, headers?: Record<string, string>) => Response;

/** A JSON error response in the shape yoga's own errors have. */
export function errorResponse(fetchAPI: { Response: typeof Response }): Respond {
  return (status, code, message, headers = {}) =>
    new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

/**
 * Media types a browser cannot send cross-origin without a CORS preflight (Fetch standard,
 * "CORS-safelisted request-header"): a form or `navigator.sendBeacon` on another site can
 * POST only `application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain`.
 */
const JSON_TYPES = ['application/json', 'application/graphql-response+json'];

/**
 * Cross-site request forgery. A bearer token (never a cookie) already keeps a foreign page
 * from acting as a user; this refuses such requests before their body is read, in case a
 * proxy or a future cookie sign-in ever adds ambient credentials: a POST must be JSON, and a
 * request whose `Origin` is neither this node's own nor an allowed CORS origin is refused.
 */
export function csrfGuard(allowedOrigins: readonly string[]): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const respond = errorResponse(fetchAPI);
      const origin = request.headers.get('origin');
      if (origin !== null && origin !== new URL(request.url).origin && !allowedOrigins.includes(origin)) {
        endResponse(respond(403, 'FORBIDDEN_ORIGIN', `requests from ${origin.slice(0, 200)} are not accepted; configure api.corsOrigins to allow a browser origin`));
        return;
      }
      if (request.method === 'POST') {
        const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        if (!JSON_TYPES.includes(type)) {
          endResponse(respond(415, 'BAD_INPUT', `Content-Type: expected application/json, got ${JSON.stringify(type.slice(0, 100))}`));
        }
      }
    },
  };
}

/**
 * Per-token rate limiting (fixed window, in memory: one node's tokens). A leaked or abusive
 * token can then cost the node at most `rateLimit` requests' work per window, each bounded
 * by the cost and time limits.
 */
export class TokenRateLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(limits: Pick<Limits, 'rateLimit' | 'rateWindowMs'>) {
    this.limiter = new RateLimiterMemory({ points: limits.rateLimit, duration: limits.rateWindowMs / 1000 });
  }

  /** Undefined when allowed, else the seconds to wait before the window reopens. */
  async take(tokenId: string): Promise<number | undefined> {
    try {
      await this.limiter.consume(tokenId, 1);
      return undefined;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw err;
    }
  }
}

/**
 * Failed token checks per client address (fixed window, in memory). While an address is
 * over `authFailLimit`, `blocked` says how long it must wait, and the request is refused
 * before its token is hashed and looked up, so a client cycling through guesses gets
 * nothing but 429s. The address is the TCP peer's: behind a reverse proxy every client
 * shares the proxy's address, and the proxy should do this limiting instead.
 */
export class AddressFailureLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(private readonly limits: Pick<Limits, 'authFailLimit' | 'authFailWindowMs'>) {
    this.limiter = new RateLimiterMemory({ points: limits.authFailLimit, duration: limits.authFailWindowMs / 1000 });
  }

  /** Undefined when the address may try, else the seconds until its window ends. */
  async blocked(address: string): Promise<number | undefined> {
    const res = await this.limiter.get(address);
    if (!res || res.consumedPoints < this.limits.authFailLimit) return undefined;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }

  /** Count one failed token check of this address. */
  async failed(address: string): Promise<void> {
    await this.limiter.penalty(address, 1);
  }
}

/** Counting tokens while parsing (graphql-js `maxTokens`): a huge document is refused before any of it is walked. */
export function tokenLimit(maxTokens: number): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => parseFn(source, { ...options, maxTokens }));
    },
  };
}

/**
 * A wall-clock budget per operation. Resolvers doing heavy work read an AbortSignal from
 * the context as `signal`, and the client gets a `TIMEOUT` error when the budget runs out,
 * whatever is still pending. This cannot preempt one synchronous resolver: heavy resolvers
 * yield to the event loop (see heavy.ts) so the timer can fire between them.
 */
export function executionBudget(budgetMs: number): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const own = new AbortController();
      // Given to resolvers only, not to the executor: graphql-tools' executor, handed a signal,
      // races every object it resolves against it, which cost about 15 % more CPU per request
      // on the bench's incidents query. Cheap fields left pending finish on their own; the
      // heavy ones read the signal before they start (heavy.ts).
      (args.contextValue as { signal?: AbortSignal }).signal = own.signal;
      setExecuteFn(async (a) => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<{ errors: ReturnType<typeof toClientError>[] }>((resolve) => {
          timer = setTimeout(() => {
            own.abort(new ApiError('TIMEOUT', `the operation ran past its budget of ${budgetMs} ms`));
            resolve({ errors: [toClientError(new ApiError('TIMEOUT', `the operation ran past its budget of ${budgetMs} ms and was stopped; ask for less`))] });
          }, budgetMs);
        });
        try {
          return await Promise.race([executeFn(a), timedOut]);
        } finally {
          clearTimeout(timer);
        }
      });
    },
  };
}

export interface OperationReport {
  type: 'query' | 'mutation' | 'subscription';
  /** The client's operation name (`anonymous` when none): unbounded, so never a metric label. */
  name: string;
  /** No errors in the result. */
  ok: boolean;
  seconds: number;
}

/** Each executed operation's type, outcome and time, for the node's latency histogram. */
export function operationTiming(onOperation: ((op: OperationReport) => void) | undefined): Plugin {
  return {
    onExecute({ args }) {
      if (!onOperation) return undefined;
      const started = performance.now();
      const op = getOperationAST(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          const ok = !('errors' in result && result.errors !== undefined && result.errors.length > 0);
          onOperation({ type: op?.operation ?? 'query', name: op?.name?.value ?? 'anonymous', ok, seconds: (performance.now() - started) / 1000 });
        },
      };
    },
  };
}

export interface ApiMetrics {
  registry: Registry;
  /** Requests refused for their credentials: `invalid` (none or unknown), `expired`, or `address_limited` (429 for too many failures). */
  authFailed: Counter<'reason'>;
  /** Requests refused 429 by the per-token rate limit. */
  rateLimited: Counter;
}

/** The API's counters, in a registry of its own that the node adds to `/metrics`. */
export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  const registers = [registry];
  const authFailed = new Counter({ name: 'vigil_api_auth_failed_total', help: 'API requests refused for their credentials, by reason', labelNames: ['reason'], registers });
  for (const reason of ['invalid', 'expired', 'address_limited']) authFailed.inc({ reason }, 0);
  const rateLimited = new Counter({ name: 'vigil_api_rate_limited_total', help: 'API requests refused by the per-token rate limit', registers });
  return { registry, authFailed, rateLimited };
}
