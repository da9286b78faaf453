/**
 * graphql-ws subscriptions on a real node (WebSocket on the node's port): the same token,
 * origin, limits and caps as HTTP, and an alert raised by ingest arrives on the socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createToken, revokeToken } from '../api/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { tempDir, waitFor } from './helpers.js';

let node: VigilNode;
let token: string;
const tmp = tempDir();
const clients: Client[] = [];

const wsUrl = (): string => `${node.url.replace(/^http/, 'ws')}/graphql`;

function client(authorization: string | undefined, extra: { origin?: string } = {}): Client {
  const c = createClient({
    url: wsUrl(),
    webSocketImpl: class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, extra.origin ? { headers: { Origin: extra.origin } } : {});
      }
    },
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: 0,
    lazy: true,
  });
  clients.push(c);
  return c;
}

/** The first result of a subscription, or how the socket ended. */
function first(c: Client, query: string, onSubscribed?: () => void): Promise<{ data?: unknown; errors?: unknown; closed?: number }> {
  return new Promise((resolve) => {
    const dispose = c.subscribe({ query }, {
      next: (v) => {
        resolve(v as never);
        dispose();
      },
      error: (e) => resolve(Array.isArray(e) ? { errors: e } : { closed: (e as { code?: number }).code ?? -1 }),
      complete: () => undefined,
    });
    c.on('connected', () => onSubscribed?.());
  });
}

beforeAll(async () => {
  node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0, ws: { maxConnections: 2, recheckMs: 200 } } }), { logger: silentLogger() });
  token = createToken(node.store, { name: 'analyst-1', role: 'analyst', createdBy: 'test' }).token;
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.dispose();
  await node?.stop();
  tmp.cleanup();
});

describe('graphql-ws on /graphql', () => {
  it('refuses a connection without a token (4403)', async () => {
    expect(await first(client(undefined), 'subscription { alertRaised { id } }')).toEqual({ closed: 4403 });
  });

  it('refuses a page on another origin before the upgrade', async () => {
    const got = await first(client(`Bearer ${token}`, { origin: 'https://evil.example' }), 'subscription { alertRaised { id } }');
    expect(got.closed).not.toBe(undefined);
    expect(got.data).toBeUndefined();
  });

  it('applies the depth limit as HTTP does', async () => {
    const deep = `subscription { alertRaised { ${'incident { alerts { '.repeat(6)}id${' } }'.repeat(6)} } }`;
    const got = await first(client(`Bearer ${token}`), deep);
    expect(JSON.stringify(got.errors)).toMatch(/nested more than/);
  });

  it('delivers an alert raised by ingest to a subscriber with a token', async () => {
    const c = client(`Bearer ${token}`);
    const now = Date.now();
    const body = Array.from({ length: 12 }, (_, i) => JSON.stringify({ kind: 'auth', device: 'D-5', ts: now - 5_000 + i * 100, user: 'root', outcome: 'failure' })).join('\n');
    const got = await first(c, 'subscription { alertRaised(minSeverity: HIGH) { title entity { id } } }', () => {
      // Once subscribed (the subscribe message follows the ack at once), raise the alert.
      setTimeout(() => void fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } }), 200);
    });
    expect(got).toMatchObject({ data: { alertRaised: { entity: { id: 'D-5' } } } });
  }, 30_000);

  it('closes a running subscription once its token is revoked (4403)', async () => {
    const { token: doomed, record } = createToken(node.store, { name: 'analyst-doomed', role: 'analyst', createdBy: 'test' });
    const c = client(`Bearer ${doomed}`);
    const ended = first(c, 'subscription { alertRaised(entity: "NOBODY") { id } }', () => {
      setTimeout(() => revokeToken(node.store, record.id), 100);
    });
    expect(await ended).toEqual({ closed: 4403 });
  }, 20_000);

  it('refuses sockets beyond api.ws.maxConnections with 503', async () => {
    const open = (): Promise<WebSocket> => new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl(), 'graphql-transport-ws');
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
      ws.once('error', reject);
    });
    await waitFor(() => (node.analysis!.api.ws.connections === 0 ? true : undefined), 10_000, 'earlier sockets to close');
    const a = await open();
    const b = await open();
    await expect(open()).rejects.toThrow('status 503');
    a.close();
    b.close();
  });
});
