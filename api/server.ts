/**
 * The GraphQL server (graphql-yoga): one instance serves queries, mutations and SSE
 * subscriptions at `/graphql`. Pipeline mounts `handler` on the node's HTTP port; tests
 * call `fetch` directly, in process.
 *
 * Safe to expose: a bearer token is required on every request (checked before the body is
 * parsed) and expires; each token is rate-limited; request bodies are capped; tokens,
 * depth, aliases, cost and page size are limited by checks linear in the document; each
 * operation has a wall-clock budget; unexpected errors are masked; CORS is off unless
 * configured, and cross-origin or non-JSON POSTs are refused (CSRF); GraphiQL and batching
 * are off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { GraphQLError } from 'graphql';
import type { Registry } from 'prom-client';
import { createPubSub, createSchema, createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { SqliteStore, StoreError, type Alert, type DetectorOutput, type SensorKeyStore, type Store, type StoredIncident, type TokenRepository } from '../store/index.js';
import { createSensorResolvers, sensorKeyActionFlusher, sensorTypeDefs, type SensorKeyActionFlusher } from './sensors.js';
import { Authenticator, type Principal } from './auth.js';
import { ApiError, toClientError } from './errors.js';
import { AddressFailureLimiter, createApiMetrics, csrfGuard, errorResponse, executionBudget, operationTiming, tokenLimit, TokenRateLimiter, type OperationReport } from './guards.js';
import { DEFAULT_LIMITS, operationCost, validationRules, type Limits } from './limits.js';
import { RuleAdminError, type AuditLog, type RuleAdmin } from './ports.js';
import { ReadPool, readThrough } from './read-pool.js';
import { createResolvers, type ApiContext, type PubSubTopics } from './resolvers.js';
import { authorityTypeDefs, caseTypeDefs, typeDefs } from './schema.graphql.js';
import type { AuthorityDesk } from './resolvers/authority-port.js';
import { createWsEndpoint, type WsEndpoint, type WsOptions } from './ws.js';

/** Yoga's server context: nothing beyond the request (the node handler adds req/res). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type ServerContext = {};

export interface ApiOptions {
  store: Store;
  /** Where tokens are kept (the node's SQLite store). */
  tokens: TokenRepository;
  /** The ledger; without it every mutation is refused (UNAVAILABLE). */
  audit?: AuditLog;
  /** The detector's rule book; without it rule administration is refused. */
  rules?: RuleAdmin;
  /** The transport authority's decisions (pipeline/authority.ts). */
  authority?: AuthorityDesk;
  /** Sensor keys for the collectors (api/sensors.ts); without them their mutations are absent. */
  sensorKeys?: SensorKeyStore;
  limits?: Partial<Limits>;
  /** Largest request body, bytes. @default 1048576 */
  maxBodyBytes?: number;
  /** Allowed browser origins. @default [] (CORS off: no Access-Control headers at all) */
  corsOrigins?: readonly string[];
  /** graphql-ws over WebSocket: caps on sockets and messages (api/ws.ts). */
  ws?: WsOptions;
  /** @default '/graphql' */
  endpoint?: string;
  /**
   * Threads with read-only connections that serve the queries (read-pool.ts), when the
   * store is the node's SQLite store; `0`: reads run on the calling thread. @default 1
   */
  readThreads?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Where masked (unexpected) errors are reported. @default console.error */
  onUnexpectedError?: (err: unknown) => void;
  /**
   * Told of each executed query and mutation (the node's latency histogram, pipeline/api-metrics.ts).
   * `name` is the client's operation name: unbounded, so not for a metric label. @default none
   */
  onOperation?: (op: OperationReport) => void;
}

export type { OperationReport };

export interface VigilApi {
  yoga: YogaServerInstance<ServerContext, ApiContext>;
  /** Node http handler for the pipeline's server. */
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** In-process requests (tests, the bench). */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /**
   * Tell subscribers what the detector produced, after `store.saveDetectorOutput`
   * persisted it (pass what it returned).
   */
  publishDetectorOutput(saved: { newAlerts: readonly Alert[]; incidents: readonly StoredIncident[] }): void;
  /**
   * Persist what the detector produced through the store and tell subscribers: the one call
   * the pipeline makes per detector batch.
   */
  recordDetectorOutput(output: DetectorOutput): Promise<{ newAlerts: Alert[]; incidents: StoredIncident[] }>;
  /**
   * Hear what is published to subscribers (the pipeline's notifications, pipeline/notify.ts),
   * after it was persisted. A listener that throws is reported, never breaks the publish.
   * Returns the unsubscribe.
   */
  onDetectorOutput(listener: (saved: PublishedOutput) => void): () => void;
  readonly limits: Limits;
  /** Ledger the sensor-key changes `vigil sensor` queued (the node runs it every second). */
  sensorKeyActions: SensorKeyActionFlusher | undefined;
  /** graphql-ws subscriptions (api/ws.ts): the node's server hands `/graphql` upgrades here. */
  ws: WsEndpoint;
  /** The API's own counters (failed token checks, rate-limited requests), for the node's `/metrics`. */
  metrics: Registry;
  /** The read threads, when reads run off the calling thread. */
  readPool: ReadPool | undefined;
}

export interface PublishedOutput {
  newAlerts: readonly Alert[];
  incidents: readonly StoredIncident[];
}

/** Store errors a client caused (a bad cursor, a too-long search), shown instead of masked. */
const CLIENT_STORE_ERRORS = { BAD_CURSOR: 'BAD_INPUT', BAD_QUERY: 'BAD_INPUT', NOT_FOUND: 'NOT_FOUND', CONFLICT: 'CONFLICT' } as const;

export function createApi(options: ApiOptions): VigilApi {
  for (const k of Object.keys(options.limits ?? {})) {
    if (!(k in DEFAULT_LIMITS)) throw new ApiError('BAD_INPUT', `limits.${k}: unknown limit; expected one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
  }
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v < 1) throw new ApiError('BAD_INPUT', `limits.${k}: expected a positive whole number, got ${String(v)}`);
  }
  const now = options.now ?? Date.now;
  const endpoint = options.endpoint ?? '/graphql';
  const pubsub = createPubSub<PubSubTopics>();
  const auth = new Authenticator(options.tokens, now);
  const principals = new WeakMap<Request, Principal>();
  const threads = options.readThreads ?? 1;
  const readPool = threads > 0 && options.store instanceof SqliteStore ? new ReadPool({ dataDir: dirname(options.store.path), threads, budgetMs: limits.budgetMs }) : undefined;
  const readStore = readPool ? readThrough(options.store, readPool) : options.store;
  const resolvers = createResolvers({ store: readStore, tokens: options.tokens, audit: options.audit, rules: options.rules, authority: options.authority, limits, now, pubsub });
  const sensorKeys = options.sensorKeys;
  const sensorKeyActions = sensorKeys && options.audit ? sensorKeyActionFlusher(sensorKeys, options.audit, options.store, now) : undefined;
  const schema = sensorKeys
    ? createSchema<ApiContext>({ typeDefs: [typeDefs, caseTypeDefs, authorityTypeDefs, sensorTypeDefs], resolvers: [resolvers, createSensorResolvers({ keys: sensorKeys, audit: options.audit, flusher: sensorKeyActions, now })] })
    : createSchema<ApiContext>({ typeDefs: [typeDefs, caseTypeDefs, authorityTypeDefs], resolvers });
  const cors = options.corsOrigins?.length ? { origin: [...options.corsOrigins], credentials: false, methods: ['GET', 'POST'] } : false;
  const report = options.onUnexpectedError ?? ((err: unknown) => console.error(err));

  const rate = new TokenRateLimiter(limits);
  const failures = new AddressFailureLimiter(limits);
  const apiMetrics = createApiMetrics();
  const authPlugin: Plugin = {
    async onRequest({ request, serverContext, endResponse, fetchAPI }) {
      if (cors && request.method === 'OPTIONS') return; // a preflight carries no credentials
      const respond = errorResponse(fetchAPI);
      // The TCP peer; in-process requests (tests, the bench) have none and are not limited by address.
      const address = (serverContext as { req?: IncomingMessage }).req?.socket?.remoteAddress;
      const blockedFor = address === undefined ? undefined : await failures.blocked(address);
      if (blockedFor !== undefined) {
        apiMetrics.authFailed.inc({ reason: 'address_limited' });
        endResponse(respond(429, 'RATE_LIMITED', `more than ${limits.authFailLimit} failed token checks from this address in ${limits.authFailWindowMs / 1000} s; retry in ${blockedFor} s`, { 'Retry-After': String(blockedFor) }));
        return;
      }
      const principal = auth.check(request.headers.get('authorization'));
      if (!('tokenId' in principal)) {
        apiMetrics.authFailed.inc({ reason: principal.code === 'TOKEN_EXPIRED' ? 'expired' : 'invalid' });
        if (address !== undefined) await failures.failed(address);
        const challenge = principal.code === 'TOKEN_EXPIRED' ? 'Bearer realm="vigil", error="invalid_token", error_description="token expired"' : 'Bearer realm="vigil"';
        endResponse(respond(401, principal.code, principal.message, { 'WWW-Authenticate': challenge }));
        return;
      }
      const wait = await rate.take(principal.tokenId);
      if (wait !== undefined) {
        apiMetrics.rateLimited.inc();
        endResponse(respond(429, 'RATE_LIMITED', `this token made more than ${limits.rateLimit} requests in ${limits.rateWindowMs / 1000} s; retry in ${wait} s`, { 'Retry-After': String(wait) }));
        return;
      }
      principals.set(request, principal);
    },
  };

  const limitsPlugin: Plugin = {
    onValidate({ addValidationRule }) {
      for (const rule of validationRules(limits)) addValidationRule(rule);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const cost = operationCost(args.schema, args.document, args.operationName, args.variableValues, limits);
      if (cost > limits.maxCost) setResultAndStopExecution({ errors: [costError(cost, limits.maxCost)] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const cost = operationCost(args.schema, args.document, args.operationName, args.variableValues, limits);
      if (cost > limits.maxCost) setResultAndStopExecution({ errors: [costError(cost, limits.maxCost)] });
    },
  };

  const yoga = createYoga<ServerContext, ApiContext>({
    schema,
    graphqlEndpoint: endpoint,
    // GraphiQL is served from local assets by api/graphiql.ts (api.graphiql), never yoga's CDN page.
    graphiql: false,
    landingPage: false,
    cors,
    batching: false,
    maxRequestBodySize: options.maxBodyBytes ?? 1024 * 1024,
    logging: false,
    // Credentials first: a request without them is told so (401) whatever else is wrong with it.
    plugins: [authPlugin, csrfGuard(options.corsOrigins ?? []), tokenLimit(limits.maxTokens), limitsPlugin, executionBudget(limits.budgetMs), operationTiming(options.onOperation)],
    context: (initial) => {
      // Over WebSocket (api/ws.ts) the principal was checked at subscribe; over HTTP, by authPlugin.
      const principal = (initial as { wsPrincipal?: Principal }).wsPrincipal ?? (initial.request ? principals.get(initial.request) : undefined);
      if (!principal) throw toClientError(new ApiError('UNAUTHENTICATED', 'a valid API token is required'));
      return { principal };
    },
    maskedErrors: {
      maskError(error, message, isDev) {
        const located = isGraphQLError(error) ? error : undefined;
        const original = located ? located.originalError : error;
        let known: ApiError | undefined;
        if (original instanceof ApiError) known = original;
        else if (original instanceof StoreError && original.code in CLIENT_STORE_ERRORS) {
          known = new ApiError(CLIENT_STORE_ERRORS[original.code as keyof typeof CLIENT_STORE_ERRORS], original.message);
        } else if (original instanceof RuleAdminError) {
          known = new ApiError(original.code === 'INVALID_RULE' ? 'BAD_INPUT' : original.code, original.message);
        }
        if (known) return toClientError(known, located);
        const masked = maskError(error, message, isDev);
        if (masked !== error) report(error);
        return masked;
      },
    },
  });

  const listeners = new Set<(saved: PublishedOutput) => void>();
  const publishDetectorOutput = (saved: PublishedOutput): void => {
    for (const alert of saved.newAlerts) pubsub.publish('alert', alert);
    for (const incident of saved.incidents) pubsub.publish('incident', { incident, action: null });
    for (const listener of listeners) {
      try {
        listener(saved);
      } catch (err) {
        report(err);
      }
    }
  };

  const ws = createWsEndpoint(
    { yoga, auth, rate, rateDescription: `this token made more than ${limits.rateLimit} requests in ${limits.rateWindowMs / 1000} s`, allowedOrigins: options.corsOrigins ?? [] },
    options.ws,
  );

  return {
    yoga,
    limits,
    ws,
    sensorKeyActions,
    readPool,
    metrics: apiMetrics.registry,
    handler: async (req, res) => {
      await yoga.requestListener(req, res);
    },
    fetch: async (input, init) => yoga.fetch(input instanceof Request ? input : new Request(new URL(String(input), 'http://localhost'), init)),
    publishDetectorOutput,
    onDetectorOutput(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async recordDetectorOutput(output) {
      const saved = await options.store.saveDetectorOutput(output);
      publishDetectorOutput(saved);
      return saved;
    },
  };
}

function costError(cost: number, max: number): GraphQLError {
  return toClientError(new ApiError('QUERY_TOO_COSTLY', `query cost ${cost} is over the limit of ${max}; ask for smaller pages or fewer nested lists`));
}

/** Structural: the GraphQLError class may come from either of graphql's builds (see errors.ts). */
function isGraphQLError(e: unknown): e is GraphQLError {
  return e instanceof Error && 'extensions' in e && 'path' in e && 'locations' in e;
}
