/**
 * The pages' only way to the node: GraphQL over `fetch` to this origin (the CSP allows no
 * other), with the signed-in token as a bearer. Subscriptions use graphql-yoga's SSE over a
 * streamed POST rather than `EventSource`, which cannot send an Authorization header.
 */

export type Role = 'ANALYST' | 'AUTHORITY' | 'AUDITOR' | 'ADMIN';
export type Severity = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type IncidentStatus = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED';
export type Resolution = 'TRUE_POSITIVE' | 'FALSE_POSITIVE' | 'BENIGN' | 'DUPLICATE';
export type EntityType = 'VEHICLE' | 'DEVICE' | 'HOST';

export const SEVERITIES: readonly Severity[] = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
export const STATUSES: readonly IncidentStatus[] = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'];
export const RESOLUTIONS: readonly Resolution[] = ['TRUE_POSITIVE', 'FALSE_POSITIVE', 'BENIGN', 'DUPLICATE'];

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

export interface EntityRef {
  id: string;
  type: EntityType;
}

export interface IncidentSummary {
  id: string;
  title: string;
  status: IncidentStatus;
  severity: Severity;
  entity: EntityRef;
  firstSeen: string;
  lastSeen: string;
  alertCount: number;
  categories: string[];
  /** Detectors of its alerts in the order they first fired (rule ids, `model:…`, `reputation:rogue`). */
  rules: string[];
  /** The roadside unit that received most of its alerting messages. */
  rsu: string | null;
  assignee: string | null;
  version: number;
  updatedAt: string;
}

export const INCIDENT_SUMMARY = `id title status severity entity { id type } firstSeen lastSeen alertCount categories rules rsu assignee version updatedAt`;

export interface Kinematics {
  lat: number;
  lon: number;
  speed: number;
  heading: number;
  accel?: number | null;
  seq?: number | null;
}

export interface ActionRecord {
  id: string;
  timestamp: string;
  actor: string;
  role: Role;
  action: string;
  comment: string | null;
  before: unknown;
  after: unknown;
  ledgerIndex: number | null;
}

export const ACTION_FIELDS = `id timestamp actor role action comment before after ledgerIndex`;

export interface ReputationPoint {
  timestamp: string;
  value: number;
  flagged: boolean;
}

/** An error the API (or the network) reported, with the API's code when it gave one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

function firstError(body: GraphQLResponse<unknown>): ApiError | undefined {
  const e = body.errors?.[0];
  return e ? new ApiError(e.message, e.extensions?.code ?? 'ERROR') : undefined;
}

/** Run one query or mutation; throws ApiError on any error (partial data is not used). */
export async function gql<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new ApiError(`the node did not answer (${err instanceof Error ? err.message : String(err)})`, 'NETWORK');
  }
  let body: GraphQLResponse<T>;
  try {
    body = (await res.json()) as GraphQLResponse<T>;
  } catch {
    throw new ApiError(`the node answered ${res.status} without a GraphQL response`, 'NETWORK');
  }
  const err = firstError(body);
  if (err) throw err;
  if (!res.ok || body.data == null) throw new ApiError(`the node answered ${res.status}`, 'ERROR');
  return body.data;
}

export type LiveState = 'connecting' | 'live' | 'retrying' | 'stopped';

export interface SubscriptionHandlers<T> {
  next(data: T): void;
  /** Connection state; `live` after a `retrying` means events may have been missed: refetch. */
  state?(state: LiveState, detail?: string): void;
}

/**
 * Subscribe over SSE (graphql-yoga's "distinct connections" mode: one streamed POST per
 * subscription). Reconnects with backoff until the returned function is called.
 */
export function subscribe<T>(token: string, query: string, variables: Record<string, unknown>, handlers: SubscriptionHandlers<T>): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = JSON.stringify({ query, variables });

  const run = async (attempt: number): Promise<void> => {
    controller = new AbortController();
    handlers.state?.('connecting');
    let detail = 'the stream ended';
    try {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body,
        signal: controller.signal,
      });
      if (!res.ok || !res.body) throw new Error(`the node answered ${res.status}`);
      handlers.state?.('live');
      attempt = 0;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (event === 'complete') return;
          if (event !== 'next' || data.length === 0) continue; // keep-alive comments
          const payload = JSON.parse(data.join('\n')) as GraphQLResponse<T>;
          const err = firstError(payload);
          if (err) throw err;
          if (payload.data) handlers.next(payload.data);
        }
      }
    } catch (err) {
      if (stopped) return;
      detail = err instanceof Error ? err.message : String(err);
      if (err instanceof ApiError && (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN')) {
        handlers.state?.('stopped', detail);
        return;
      }
    }
    if (stopped) return;
    handlers.state?.('retrying', detail);
    timer = setTimeout(() => void run(attempt + 1), Math.min(500 * 2 ** attempt, 15_000));
  };
  void run(0);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    controller?.abort();
  };
}

/** What a role may do beyond reading (mirrors the API's role matrix, which is what enforces it). */
export function can(role: Role, what: 'triage' | 'vehicles'): boolean {
  if (role === 'ADMIN') return true;
  return what === 'triage' ? role === 'ANALYST' : role === 'AUTHORITY';
}
