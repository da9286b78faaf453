/**
 * The GraphQL API under attack, in process through yoga's own `fetch`: documents built to
 * make the limit checks or the executor do exponential work, alias storms, one token asking
 * too often, an operation that runs too long, cross-site requests, expired tokens, and the
 * ledger trace of every token change.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, createToken, type Limits, type VigilApi } from '../api/index.js';
import { SqliteStore } from '../store/index.js';
import { makeAlert, makeIncident, MemoryAuditLog, T0 } from './api-fixtures.js';
import { tempDir } from './helpers.js';

interface GqlResult {
  status: number;
  headers: Headers;
  data?: Record<string, any>;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

let tmp: { dir: string; cleanup: () => void };
let store: SqliteStore;
let audit: MemoryAuditLog;
let clock: number;
let analyst: string;
let admin: string;

function makeApi(limits: Partial<Limits> = {}, over: { audit?: MemoryAuditLog; corsOrigins?: string[] } = {}): VigilApi {
  return createApi({ store, tokens: store, audit: over.audit ?? audit, limits, now: () => clock, onUnexpectedError: () => {}, ...(over.corsOrigins ? { corsOrigins: over.corsOrigins } : {}) });
}

async function post(api: VigilApi, token: string | undefined, body: string, headers: Record<string, string> = {}): Promise<GqlResult> {
  const h: Record<string, string> = { 'Content-Type': 'application/json', ...headers };
  if (token) h['Authorization'] = `Bearer ${token}`;
  const res = await api.fetch('http://vigil.test/graphql', { method: 'POST', headers: h, body });
  const text = await res.text();
  const parsed = (text.startsWith('{') ? JSON.parse(text) : {}) as Omit<GqlResult, 'status' | 'headers'>;
  return { status: res.status, headers: res.headers, ...parsed };
}

const gql = (api: VigilApi, token: string | undefined, query: string, variables: Record<string, unknown> = {}) => post(api, token, JSON.stringify({ query, variables }));
const codeOf = (r: GqlResult): string | undefined => r.errors?.[0]?.extensions?.code;

/** Fragments that each spread the next one twice: 2^n paths through a document of n lines. */
export function fanOutQuery(n: number, leaf = 'id'): string {
  let q = 'query { incidents(first: 1) { edges { node { ...F0 } } } }\n';
  for (let i = 0; i < n; i++) q += `fragment F${i} on Incident { ${leaf} ...F${i + 1} ...F${i + 1} }\n`;
  return `${q}fragment F${n} on Incident { ${leaf} title }\n`;
}

beforeEach(() => {
  tmp = tempDir('vigil-sec-api-');
  clock = T0 + 3_600_000;
  store = SqliteStore.open({ dataDir: tmp.dir, now: () => clock });
  audit = new MemoryAuditLog();
  analyst = createToken(store, { name: 'analyst-1', role: 'analyst', createdBy: 'test' }, () => clock).token;
  admin = createToken(store, { name: 'admin-1', role: 'admin', createdBy: 'test' }, () => clock).token;
  const alerts = [makeAlert(1), makeAlert(2)];
  store.saveDetectorOutput({ alerts, incidents: [makeIncident(1, alerts)] });
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('when fragments fan out', () => {
  it('refuses 60 levels of fragments that each spread the next twice (2^60 paths) as too costly', async () => {
    // The walk this replaced re-entered each fragment at every spread: at 60 levels it would not finish.
    const r = await gql(makeApi(), analyst, fanOutQuery(60));
    expect(codeOf(r)).toBe('QUERY_TOO_COSTLY');
  });

  it('measures the depth through fanned-out fragments once per fragment, and refuses it when too deep', async () => {
    const nested = (levels: number): string => 'alerts(first: 1) { edges { node { incident { '.repeat(levels) + 'id' + ' } } } }'.repeat(levels);
    const deep = `query { incidents(first: 1) { edges { node { ...F0 } } } }\n${Array.from({ length: 40 }, (_, i) => `fragment F${i} on Incident { id ...F${i + 1} ...F${i + 1} }`).join('\n')}\nfragment F40 on Incident { ${nested(3)} }`;
    const r = await gql(makeApi({ maxCost: Number.MAX_SAFE_INTEGER }), analyst, deep);
    expect(codeOf(r)).toBe('QUERY_TOO_DEEP');
  });

  it('refuses a fragment cycle', async () => {
    const r = await gql(makeApi(), analyst, 'query { incidents { edges { node { ...A } } } } fragment A on Incident { id ...B } fragment B on Incident { title ...A }');
    expect(r.errors?.[0]?.message).toMatch(/Cannot spread fragment "A" within itself/);
    expect(r.data).toBeUndefined();
  });

  it('still runs a small fan-out the limits allow, with the same answer as the flat query', async () => {
    const api = makeApi();
    const fanned = await gql(api, analyst, fanOutQuery(3));
    const flat = await gql(api, analyst, 'query { incidents(first: 1) { edges { node { id title } } } }');
    expect(fanned.errors).toBeUndefined();
    expect(fanned.data).toEqual(flat.data);
  });
});

describe('when one request repeats a field under many aliases', () => {
  it('refuses 6,000 verifyEvidence aliases while parsing, before any proof is checked', async () => {
    let verified = 0;
    const counting = new MemoryAuditLog();
    const verify = counting.verify.bind(counting);
    counting.verify = (b: unknown) => {
      verified++;
      return verify(b);
    };
    const storm = `{ ${Array.from({ length: 6000 }, (_, i) => `a${i}: verifyEvidence(bundle: "{}") { ok }`).join(' ')} }`;
    const r = await gql(makeApi({}, { audit: counting }), analyst, storm);
    expect(r.errors?.[0]?.message).toMatch(/more th\w+ 5000 tokens/);
    expect(verified).toBe(0);
  });

  it('refuses more aliases than the limit, counting those reached through fragment spreads', async () => {
    const api = makeApi({ maxAliases: 10 });
    const direct = `{ ${Array.from({ length: 11 }, (_, i) => `a${i}: me { name }`).join(' ')} }`;
    expect(codeOf(await gql(api, analyst, direct))).toBe('TOO_MANY_ALIASES');
    // Three aliases in a fragment spread four times: twelve.
    const spread = '{ ...Q ...Q ...Q ...Q } fragment Q on Query { x: me { name } y: me { role } z: me { tokenId } }';
    expect(codeOf(await gql(api, analyst, spread))).toBe('TOO_MANY_ALIASES');
    const fine = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: me { name }`).join(' ')} }`;
    expect((await gql(api, analyst, fine)).errors).toBeUndefined();
  });

  it('weights proof-building fields, so a page of proofs costs what its work does', async () => {
    const api = makeApi({ maxCost: 1_000, proofCost: 100 });
    const proofs = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: evidence(id: "x${i}") { leafIndex }`).join(' ')} }`;
    expect((await gql(api, analyst, proofs(9))).errors).toBeUndefined();
    expect(codeOf(await gql(api, analyst, proofs(11)))).toBe('QUERY_TOO_COSTLY');
  });
});

describe('when one token asks too often', () => {
  it('answers 429 with Retry-After once the window is used up, for that token only, and again after the window', async () => {
    const api = makeApi({ rateLimit: 5, rateWindowMs: 1_000 });
    for (let i = 0; i < 5; i++) expect((await gql(api, analyst, '{ me { name } }')).status).toBe(200);
    const refused = await gql(api, analyst, '{ me { name } }');
    expect(refused.status).toBe(429);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await gql(api, admin, '{ me { name } }')).status).toBe(200);
    await new Promise((r) => setTimeout(r, Number(refused.headers.get('retry-after')) * 1000 + 50));
    expect((await gql(api, analyst, '{ me { name } }')).status).toBe(200);
  });

  it('refuses an unknown limit by name', () => {
    expect(() => makeApi({ maxAliasez: 3 } as unknown as Partial<Limits>)).toThrow(/limits\.maxAliasez: unknown limit/);
  });
});

describe('when an operation runs past its budget', () => {
  it('answers TIMEOUT at the budget and stops the proofs not yet begun', async () => {
    let started = 0;
    const slow = new MemoryAuditLog();
    slow.proveById = async () => {
      started++;
      await new Promise((r) => setTimeout(r, 150));
      return undefined;
    };
    const api = makeApi({ budgetMs: 200 }, { audit: slow });
    const q = `{ ${Array.from({ length: 20 }, (_, i) => `p${i}: evidence(id: "x${i}") { leafIndex }`).join(' ')} }`;
    const r = await gql(api, analyst, q);
    expect(codeOf(r)).toBe('TIMEOUT');
    await new Promise((res) => setTimeout(res, 300));
    // Started one per event-loop turn; those still waiting when the budget ran out never start.
    expect(started).toBeLessThan(20);
  });
});

describe('cross-site requests', () => {
  it('refuses a form-encoded or text/plain POST (what a form on another site can send) before reading it', async () => {
    const api = makeApi();
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const r = await post(api, admin, 'query=mutation%7BcreateToken(name%3A%22x%22%2Crole%3AADMIN)%7Btoken%7D%7D', { 'Content-Type': type });
      expect(r.status).toBe(415);
    }
    expect(store.listTokens()).toHaveLength(2);
  });

  it('refuses a request whose Origin is another site, and allows its own origin and configured ones', async () => {
    const mutation = JSON.stringify({ query: 'mutation { createToken(name: "x", role: ANALYST) { token } }' });
    const r = await post(makeApi(), admin, mutation, { Origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect(codeOf(r)).toBe('FORBIDDEN_ORIGIN');
    expect(store.listTokens()).toHaveLength(2);
    expect((await post(makeApi(), analyst, '{"query":"{ me { name } }"}', { Origin: 'http://vigil.test' })).status).toBe(200);
    expect((await post(makeApi({}, { corsOrigins: ['https://soc.example'] }), analyst, '{"query":"{ me { name } }"}', { Origin: 'https://soc.example' })).status).toBe(200);
  });
});

describe('token expiry', () => {
  it('refuses an expired token with TOKEN_EXPIRED and when it expired', async () => {
    const api = makeApi();
    const { token, record } = createToken(store, { name: 'short', role: 'analyst', createdBy: 'test', lifetimeMs: 60_000 }, () => clock);
    expect(record.expiresAt).toBe(clock + 60_000);
    expect((await gql(api, token, '{ me { name } }')).status).toBe(200);
    clock += 60_000;
    const r = await gql(api, token, '{ me { name } }');
    expect(r.status).toBe(401);
    expect(codeOf(r)).toBe('TOKEN_EXPIRED');
    expect(r.errors![0]!.message).toContain(new Date(record.expiresAt!).toISOString());
  });

  it('gives tokens a default lifetime of 90 days, and takes one in createToken', async () => {
    const api = makeApi();
    const byDefault = await gql(api, admin, 'mutation { createToken(name: "d", role: AUDITOR) { info { expiresAt } } }');
    expect(Date.parse(byDefault.data!['createToken'].info.expiresAt)).toBe(clock + 90 * 86_400_000);
    const month = await gql(api, admin, 'mutation { createToken(name: "m", role: AUDITOR, expires: "30d") { info { expiresAt } } }');
    expect(Date.parse(month.data!['createToken'].info.expiresAt)).toBe(clock + 30 * 86_400_000);
    const bad = await gql(api, admin, 'mutation { createToken(name: "b", role: AUDITOR, expires: "soon") { token } }');
    expect(codeOf(bad)).toBe('BAD_INPUT');
    expect(bad.errors![0]!.message).toMatch(/30d/);
  });
});

describe('token changes through the API', () => {
  it('writes each create and revoke to the ledger as an action, never with the secret', async () => {
    const api = makeApi();
    const made = await gql(api, admin, 'mutation { createToken(name: "ops", role: ANALYST, expires: "7d") { token info { id } } }');
    const { token, info } = made.data!['createToken'];
    await gql(api, admin, `mutation { revokeToken(id: "${info.id}") { info { revokedAt } } }`);
    expect(audit.entries.map((e) => [e.body['action'], (e.body['target'] as { id: string }).id])).toEqual([
      ['token.create', info.id],
      ['token.revoke', info.id],
    ]);
    expect(JSON.stringify(audit.entries)).not.toContain(token.slice(4));
    expect((audit.entries[0]!.body['after'] as { expiresAt: number }).expiresAt).toBe(clock + 7 * 86_400_000);
  });
});

describe('the incidents seeded for these tests', () => {
  it('are there, so the refusals above are not the answer to an empty store', async () => {
    const r = await gql(makeApi(), analyst, '{ incidents { edges { node { id } } } }');
    expect(r.data!['incidents'].edges).toHaveLength(1);
    expect(T0).toBeLessThan(clock);
  });
});
