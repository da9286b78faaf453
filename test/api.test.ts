/**
 * The GraphQL API, in process through yoga's own `fetch`: every query and mutation, each
 * role's allowed and refused operations, limits, pagination under concurrent inserts, and
 * subscriptions over SSE.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, createToken, ruleBookAdmin, type VigilApi } from '../api/index.js';
import { RuleBook } from '../detector/index.js';
import { SqliteStore, type Role } from '../store/index.js';
import { auth, bsm, makeAlert, makeIncident, MemoryAuditLog, net, reputation, T0 } from './api-fixtures.js';
import { tempDir } from './helpers.js';

interface GqlResult {
  status: number;
  data?: Record<string, any>;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

let tmp: { dir: string; cleanup: () => void };
let store: SqliteStore;
let audit: MemoryAuditLog;
let book: RuleBook;
let api: VigilApi;
let tokens: Record<Role, string>;
let clock: number;

async function gql(token: string | undefined, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers['Authorization'] = `Bearer ${token}`;
  const res = await api.fetch('http://vigil.test/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as Omit<GqlResult, 'status'>;
  return { status: res.status, ...body };
}

const RULE = `title: Ghost vehicle
id: 7d1c6f3e-5a4b-4c2d-9e8f-0a1b2c3d4e5f
status: experimental
logsource:
  product: vigil
  category: bsm
detection:
  selection:
    vigil.kind: bsm
    observer.name: RSU-99
  condition: selection
level: high
`;

const codeOf = (r: GqlResult): string | undefined => r.errors?.[0]?.extensions?.code;

function seed(): void {
  const events = [];
  for (let i = 0; i < 30; i++) events.push({ event: bsm(`V-${String(i % 3).padStart(4, '0')}`, T0 + i * 1000, { seq: i }), source: 'http', receivedAt: T0 + i * 1000 });
  events.push({ event: auth('D-17', T0 + 500, 'admin', 'failure'), source: 'mqtt', receivedAt: T0 + 600 });
  events.push({ event: net('D-17', T0 + 700, '10.1.2.3', '10.9.9.9', 23), source: 'mqtt', receivedAt: T0 + 800 });
  store.writeBatch(events, [
    { raw: '{"kind":"bsm"', rejection: { code: 'BAD_JSON', message: 'unexpected end of JSON' } as never, source: 'http', receivedAt: T0 },
  ]);
  const alerts = [];
  for (let n = 0; n < 12; n++) alerts.push(makeAlert(n, { evidence: [events[n]!.event.id] }));
  const incidents = [];
  for (let k = 0; k < 4; k++) {
    const mine = alerts.slice(k * 3, k * 3 + 3).map((a) => ({ ...a, incidentId: `INC-${String(k).padStart(6, '0')}` }));
    incidents.push(makeIncident(k, mine));
    alerts.splice(k * 3, 3, ...mine);
  }
  store.saveDetectorOutput({
    alerts,
    incidents,
    reputation: [reputation('V-0001', T0, 0.9), reputation('V-0001', T0 + 60_000, 0.2), reputation('V-0002', T0, 0.8)],
  });
}

beforeEach(() => {
  tmp = tempDir('vigil-api-');
  clock = T0 + 3_600_000;
  store = SqliteStore.open({ dataDir: tmp.dir, now: () => clock });
  audit = new MemoryAuditLog();
  book = new RuleBook();
  api = createApi({ store, tokens: store, audit, rules: ruleBookAdmin(book), now: () => clock, onUnexpectedError: () => {} });
  tokens = {} as Record<Role, string>;
  for (const role of ['analyst', 'authority', 'auditor', 'admin'] as const) tokens[role] = createToken(store, { name: `${role}-1`, role, createdBy: 'test' }).token;
  seed();
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('authentication', () => {
  it('refuses a request without a token with 401 and WWW-Authenticate', async () => {
    const res = await api.fetch('http://vigil.test/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"{ me { name } }"}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await res.json()) as GqlResult).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an unknown, malformed or revoked token', async () => {
    expect((await gql('vgl_nope', '{ me { name } }')).status).toBe(401);
    expect((await gql('not-a-token', '{ me { name } }')).status).toBe(401);
    const { token, record } = createToken(store, { name: 'temp', role: 'analyst', createdBy: 'test' });
    expect((await gql(token, '{ me { name role } }')).data?.['me']).toEqual({ name: 'temp', role: 'ANALYST' });
    store.revokeToken(record.id, clock);
    expect((await gql(token, '{ me { name } }')).status).toBe(401);
  });

  it('stores only the SHA-256 of a token', () => {
    const rows = store.db.prepare('SELECT hash FROM api_tokens').all() as Array<{ hash: string }>;
    for (const t of Object.values(tokens)) {
      expect(rows.some((r) => r.hash.includes(t.slice(4)))).toBe(false);
      expect(rows.some((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    }
  });

  it('sends no CORS headers by default', async () => {
    const res = await api.fetch('http://vigil.test/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example', Authorization: `Bearer ${tokens.analyst}` },
      body: '{"query":"{ me { name } }"}',
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('over the node http handler', () => {
  it('serves queries and refuses missing tokens on a real port', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => void api.handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
    try {
      const ok = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens.auditor}` }, body: '{"query":"{ me { role } }"}' });
      expect(await ok.json()).toEqual({ data: { me: { role: 'AUDITOR' } } });
      const no = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"{ me { role } }"}' });
      expect(no.status).toBe(401);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('queries', () => {
  it('pages events newest first with filters and a total count', async () => {
    const q = `query($f: EventFilter, $after: String) { events(filter: $f, first: 4, after: $after) {
      totalCount edges { cursor node { id timestamp kind entity { id type } source action vehicle { speed } document } }
      pageInfo { hasNextPage endCursor } } }`;
    const r = await gql(tokens.auditor, q, { f: { kinds: ['BSM'], entity: 'V-0001' } });
    expect(r.errors).toBeUndefined();
    const conn = r.data!['events'];
    expect(conn.totalCount).toBe(10);
    expect(conn.edges).toHaveLength(4);
    expect(conn.edges[0].node.entity).toEqual({ id: 'V-0001', type: 'VEHICLE' });
    expect(conn.edges[0].node.timestamp).toBe(new Date(T0 + 28_000).toISOString());
    expect(conn.pageInfo.hasNextPage).toBe(true);
    const next = await gql(tokens.auditor, q, { f: { kinds: ['BSM'], entity: 'V-0001' }, after: conn.pageInfo.endCursor });
    expect(next.data!['events'].edges[0].node.timestamp).toBe(new Date(T0 + 16_000).toISOString());
  });

  it('filters events by time range, source and free text', async () => {
    const r = await gql(tokens.analyst, `{
      inRange: events(filter: { time: { from: "${new Date(T0 + 5000).toISOString()}", to: ${T0 + 8000} } }) { totalCount }
      mqtt: events(filter: { source: "mqtt" }) { totalCount }
      ip: events(filter: { text: "10.1.2.3" }) { edges { node { kind } } }
      user: events(filter: { text: "admin failure" }) { edges { node { kind entity { id } } } }
      prefix: events(filter: { text: "V-000*" }) { totalCount }
    }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!['inRange'].totalCount).toBe(3);
    expect(r.data!['mqtt'].totalCount).toBe(2);
    expect(r.data!['ip'].edges.map((e: any) => e.node.kind)).toEqual(['NET']);
    expect(r.data!['user'].edges).toEqual([{ node: { kind: 'AUTH', entity: { id: 'D-17' } } }]);
    expect(r.data!['prefix'].totalCount).toBe(30);
  });

  it('reads one event, alert and incident by id, with their links', async () => {
    const alert = makeAlert(4);
    const r = await gql(tokens.auditor, `{
      alert(id: "${alert.id}") { id severity score origin { type id title hash } evidenceIds evidence { id kind } incident { id status } category tags }
      incident(id: "INC-000001") { id status severity alertCount categories version entity { id } alerts(first: 2) { totalCount edges { node { id } } } history { id } }
      missing: incident(id: "nope") { id }
    }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!['alert'].severity).toBe('LOW');
    expect(r.data!['alert'].evidence).toHaveLength(1);
    expect(r.data!['alert'].incident).toEqual({ id: 'INC-000001', status: 'OPEN' });
    expect(r.data!['incident'].alerts.totalCount).toBe(3);
    expect(r.data!['incident'].alerts.edges).toHaveLength(2);
    expect(r.data!['missing']).toBeNull();
    const ev = await gql(tokens.auditor, `{ event(id: "${r.data!['alert'].evidence[0].id}") { id kind } }`);
    expect(ev.data!['event'].kind).toBe('BSM');
  });

  it('filters and sorts alerts', async () => {
    const r = await gql(tokens.analyst, `{
      high: alerts(filter: { severities: [HIGH, CRITICAL] }, sort: { field: SCORE, direction: DESC }) { totalCount edges { node { severity score } } }
      rule: alerts(filter: { rule: "bsm-replay" }) { totalCount }
      text: alerts(filter: { text: "replayed" }) { totalCount }
      cat: alerts(filter: { category: "replay", originType: RULE }) { totalCount }
    }`);
    expect(r.errors).toBeUndefined();
    const high = r.data!['high'];
    expect(high.totalCount).toBe(6);
    const scores = high.edges.map((e: any) => e.node.score);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a));
    expect(r.data!['rule'].totalCount).toBe(4);
    expect(r.data!['text'].totalCount).toBe(6);
    expect(r.data!['cat'].totalCount).toBe(6);
  });

  it('filters and sorts incidents', async () => {
    const r = await gql(tokens.analyst, `{
      all: incidents(sort: { field: FIRST_SEEN, direction: ASC }) { totalCount edges { node { id firstSeen } } }
      critical: incidents(filter: { severities: [CRITICAL] }) { totalCount }
      open: incidents(filter: { statuses: [OPEN], rule: "bsm-replay" }) { totalCount }
      text: incidents(filter: { text: "V-0003" }) { edges { node { id } } }
      cat: incidents(filter: { category: "replay", entityType: VEHICLE }) { totalCount }
    }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!['all'].edges.map((e: any) => e.node.id)).toEqual(['INC-000000', 'INC-000001', 'INC-000002', 'INC-000003']);
    expect(r.data!['critical'].totalCount).toBe(3);
    expect(r.data!['open'].totalCount).toBe(4);
    expect(r.data!['text'].edges).toEqual([{ node: { id: 'INC-000001' } }]);
    expect(r.data!['cat'].totalCount).toBe(4);
  });

  it('shows a vehicle with reputation now and over time, flags and recent alerts', async () => {
    const r = await gql(tokens.authority, `{
      vehicle(id: "V-0001") { id reputation flagged detectorFlagged flag { flagged } lastSeen alertCount
        reputationHistory { timestamp value flagged } recentAlerts(first: 2) { id } recentEvents(first: 3) { id } history { id } }
      flagged: vehicles(filter: { flagged: true }) { edges { node { id } } }
      unknown: vehicle(id: "V-9999") { id reputation flagged }
      device(id: "D-17") { id reputation recentEvents { kind } }
      devices { edges { node { id } } }
    }`);
    expect(r.errors).toBeUndefined();
    const v = r.data!['vehicle'];
    expect(v.reputation).toBe(0.2);
    expect(v.flagged).toBe(true);
    expect(v.detectorFlagged).toBe(true);
    expect(v.reputationHistory.map((p: any) => p.value)).toEqual([0.9, 0.2]);
    expect(v.recentAlerts).toHaveLength(1);
    expect(v.alertCount).toBe(1);
    expect(v.recentEvents).toHaveLength(3);
    expect(r.data!['flagged'].edges).toEqual([{ node: { id: 'V-0001' } }]);
    expect(r.data!['unknown']).toEqual({ id: 'V-9999', reputation: null, flagged: false });
    expect(r.data!['device'].recentEvents.map((e: any) => e.kind).sort()).toEqual(['AUTH', 'NET']);
  });

  it('lists dead letters with their reason', async () => {
    const r = await gql(tokens.auditor, '{ deadLetters { edges { node { code reason source raw rawSize rawSha256 truncated } } } }');
    expect(r.errors).toBeUndefined();
    expect(r.data!['deadLetters'].edges[0].node).toMatchObject({ code: 'BAD_JSON', raw: '{"kind":"bsm"', rawSize: 13, truncated: false });
  });

  it('reports the ledger status and verifies a bundle', async () => {
    await gql(tokens.analyst, 'mutation { acknowledgeIncident(id: "INC-000000") { action { id } } }');
    const r = await gql(tokens.auditor, `{ ledgerStatus { origin size publicKey latestCheckpoint { size root timestamp } } }`);
    expect(r.data!['ledgerStatus']).toMatchObject({ origin: 'vigil/test', size: 1 });
    const ok = await gql(tokens.auditor, 'query($b: JSON!) { verifyEvidence(bundle: $b) { ok steps { step outcome } reason } }', { b: { format: 'vigil-evidence/v1' } });
    expect(ok.data!['verifyEvidence'].ok).toBe(true);
    const bad = await gql(tokens.auditor, 'query($b: JSON!) { verifyEvidence(bundle: $b) { ok reason } }', { b: '{"format":"x"}' });
    expect(bad.data!['verifyEvidence']).toEqual({ ok: false, reason: 'bundle: bad' });
  });

  it('refuses a cursor from another ordering with a clear error', async () => {
    const first = await gql(tokens.analyst, '{ incidents(first: 1) { pageInfo { endCursor } } }');
    const cursor = first.data!['incidents'].pageInfo.endCursor;
    const r = await gql(tokens.analyst, `{ incidents(first: 1, after: "${cursor}", sort: { field: SEVERITY }) { edges { cursor } } }`);
    expect(codeOf(r)).toBe('BAD_INPUT');
    expect(r.errors![0]!.message).toMatch(/cursor/);
    const junk = await gql(tokens.analyst, '{ events(after: "!!!") { edges { cursor } } }');
    expect(codeOf(junk)).toBe('BAD_INPUT');
  });
});

describe('incident triage', () => {
  const fields = 'incident { id status assignee version resolution { reason comment by at } } action { id actor role action before after comment ledgerIndex }';

  it('acknowledges, assigns, comments, resolves and reopens, each step in the ledger', async () => {
    const ack = await gql(tokens.analyst, `mutation { acknowledgeIncident(id: "INC-000002", comment: "looking") { ${fields} } }`);
    expect(ack.errors).toBeUndefined();
    expect(ack.data!['acknowledgeIncident'].incident).toMatchObject({ status: 'ACKNOWLEDGED', version: 2 });
    expect(ack.data!['acknowledgeIncident'].action).toMatchObject({
      actor: 'analyst-1',
      role: 'ANALYST',
      action: 'incident.acknowledge',
      before: { status: 'open', assignee: null, resolution: null },
      after: { status: 'acknowledged', assignee: null, resolution: null },
      comment: 'looking',
      ledgerIndex: 0,
    });
    const asg = await gql(tokens.analyst, `mutation { assignIncident(id: "INC-000002", assignee: "alice") { ${fields} } }`);
    expect(asg.data!['assignIncident'].incident.assignee).toBe('alice');
    const com = await gql(tokens.analyst, `mutation { commentIncident(id: "INC-000002", comment: "RSU-07 logs show replay") { ${fields} } }`);
    expect(com.data!['commentIncident'].action.comment).toBe('RSU-07 logs show replay');
    const res = await gql(tokens.analyst, `mutation { resolveIncident(id: "INC-000002", reason: FALSE_POSITIVE, comment: "test vehicle") { ${fields} } }`);
    expect(res.data!['resolveIncident'].incident).toMatchObject({
      status: 'RESOLVED',
      resolution: { reason: 'FALSE_POSITIVE', comment: 'test vehicle', by: 'analyst-1' },
    });
    const again = await gql(tokens.analyst, `mutation { acknowledgeIncident(id: "INC-000002") { ${fields} } }`);
    expect(codeOf(again)).toBe('BAD_INPUT');
    const reopen = await gql(tokens.analyst, `mutation { reopenIncident(id: "INC-000002", comment: "seen again") { ${fields} } }`);
    expect(reopen.data!['reopenIncident'].incident).toMatchObject({ status: 'OPEN', resolution: null, assignee: 'alice' });

    expect(audit.entries.map((e) => e.body['action'])).toEqual(['incident.acknowledge', 'incident.assign', 'incident.comment', 'incident.resolve', 'incident.reopen']);
    const history = await gql(tokens.auditor, '{ incident(id: "INC-000002") { version history { action actor ledgerIndex evidence { leafIndex entry } } } }');
    expect(history.data!['incident'].version).toBe(6);
    expect(history.data!['incident'].history.map((h: any) => h.ledgerIndex)).toEqual([0, 1, 2, 3, 4]);
    expect(history.data!['incident'].history[3].evidence.entry.body).toMatchObject({ action: 'incident.resolve', target: { type: 'incident', id: 'INC-000002' } });
  });

  it('keeps the analysts\' triage state when the detector updates the incident', async () => {
    await gql(tokens.analyst, 'mutation { resolveIncident(id: "INC-000003", reason: BENIGN) { incident { id } } }');
    const alerts = [makeAlert(9), makeAlert(10), makeAlert(11), makeAlert(40)];
    const saved = store.saveDetectorOutput({ incidents: [makeIncident(3, alerts)] });
    expect(saved.incidents[0]!.incident).toMatchObject({ status: 'resolved', alertCount: 4 });
    const r = await gql(tokens.analyst, '{ incident(id: "INC-000003") { status alertCount resolution { reason } } }');
    expect(r.data!['incident']).toEqual({ status: 'RESOLVED', alertCount: 4, resolution: { reason: 'BENIGN' } });
  });

  it('refuses an unknown incident and a ledger failure leaves the incident unchanged', async () => {
    expect(codeOf(await gql(tokens.analyst, 'mutation { acknowledgeIncident(id: "INC-999") { incident { id } } }'))).toBe('NOT_FOUND');
    audit.failNext = true;
    const r = await gql(tokens.analyst, 'mutation { acknowledgeIncident(id: "INC-000000") { incident { id } } }');
    expect(r.errors![0]!.message).toBe('Unexpected error.');
    expect(store.getIncident('INC-000000')!.incident.status).toBe('open');
    expect(store.actionsFor({ type: 'incident', id: 'INC-000000' })).toEqual([]);
  });

  it('applies a triage step even when the detector updated the incident meanwhile', async () => {
    const realGet = store.getIncident.bind(store);
    let raced = false;
    store.getIncident = (id: string) => {
      const cur = realGet(id);
      if (!raced && id === 'INC-000000') {
        raced = true;
        store.saveDetectorOutput({ incidents: [makeIncident(0, [makeAlert(0), makeAlert(1), makeAlert(2), makeAlert(60)])] });
      }
      return cur;
    };
    const r = await gql(tokens.analyst, 'mutation { acknowledgeIncident(id: "INC-000000") { incident { status alertCount version } } }');
    expect(r.errors).toBeUndefined();
    expect(r.data!['acknowledgeIncident'].incident).toEqual({ status: 'ACKNOWLEDGED', alertCount: 4, version: 3 });
    expect(audit.entries).toHaveLength(1);
  });

  it('serialises concurrent changes to one incident', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => gql(tokens.analyst, `mutation { commentIncident(id: "INC-000001", comment: "note ${i}") { incident { version } } }`)),
    );
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    expect(results.map((r) => r.data!['commentIncident'].incident.version).sort()).toEqual([2, 3, 4, 5, 6]);
  });
});

describe('vehicles, rules and tokens', () => {
  it('lets the authority flag and clear a vehicle, recorded with before and after', async () => {
    const flag = await gql(tokens.authority, 'mutation { flagVehicle(id: "V-0042", reason: "ghost vehicle") { vehicle { id flagged flag { flagged reason by } } action { action before after } } }');
    expect(flag.errors).toBeUndefined();
    expect(flag.data!['flagVehicle'].vehicle).toEqual({ id: 'V-0042', flagged: true, flag: { flagged: true, reason: 'ghost vehicle', by: 'authority-1' } });
    expect(flag.data!['flagVehicle'].action.before).toBeNull();
    const clear = await gql(tokens.authority, 'mutation { clearVehicle(id: "V-0042", reason: "confirmed genuine") { vehicle { flagged } action { before after } } }');
    expect(clear.data!['clearVehicle'].vehicle.flagged).toBe(false);
    expect(clear.data!['clearVehicle'].action.before).toMatchObject({ flagged: true, reason: 'ghost vehicle' });
    const v = await gql(tokens.auditor, '{ vehicle(id: "V-0042") { history { action } } }');
    expect(v.data!['vehicle'].history.map((h: any) => h.action)).toEqual(['vehicle.flag', 'vehicle.clear']);
  });

  it('lets admin add and disable rules, exceptions and suppressions in the rule book', async () => {
    const add = await gql(tokens.admin, 'mutation($s: String!) { addRule(source: $s) { item { kind id title enabled spec } action { action after } } }', { s: RULE });
    expect(add.errors).toBeUndefined();
    const ruleId = add.data!['addRule'].item.id;
    expect(add.data!['addRule'].item).toMatchObject({ kind: 'RULE', id: '7d1c6f3e-5a4b-4c2d-9e8f-0a1b2c3d4e5f', title: 'Ghost vehicle', enabled: true, spec: { level: 'high' } });
    expect(book.list().map((r) => r.id)).toEqual([ruleId]);
    const bad = await gql(tokens.admin, 'mutation($s: String!) { addRule(source: $s) { item { id } } }', { s: 'title: x\ndetection: {}\n' });
    expect(codeOf(bad)).toBe('BAD_INPUT');
    const dup = await gql(tokens.admin, 'mutation($s: String!) { addRule(source: $s) { item { id } } }', { s: RULE });
    expect(dup.errors).toBeDefined();
    const exc = await gql(tokens.admin, `mutation { addException(input: { rule: "${ruleId}", entity: "V-0001", reason: "test fleet" }) { item { id kind spec } } }`);
    expect(exc.errors).toBeUndefined();
    expect(exc.data!['addException'].item).toMatchObject({ kind: 'EXCEPTION', spec: { rule: ruleId, selection: { 'vigil.entity.id': 'V-0001' }, reason: 'test fleet' } });
    const unknownRule = await gql(tokens.admin, 'mutation { addException(input: { rule: "nope", entity: "V-1", reason: "x" }) { item { id } } }');
    expect(codeOf(unknownRule)).toBe('NOT_FOUND');
    const dexc = await gql(tokens.admin, `mutation { disableException(id: "${exc.data!['addException'].item.id}", reason: "done") { item { enabled } } }`);
    expect(dexc.data!['disableException'].item.enabled).toBe(false);
    const sup = await gql(tokens.admin, `mutation { addSuppression(input: { rule: "${ruleId}", timespanSeconds: 600, reason: "maintenance" }) { item { id spec } action { before } } }`);
    expect(sup.errors).toBeUndefined();
    expect(sup.data!['addSuppression'].item.spec).toMatchObject({ rule: ruleId, timespanMs: 600_000 });
    const dsup = await gql(tokens.admin, `mutation { disableSuppression(id: "${ruleId}", reason: "over") { item { enabled } } }`);
    expect(dsup.data!['disableSuppression'].item.enabled).toBe(false);
    const dis = await gql(tokens.admin, `mutation { disableRule(id: "${ruleId}", reason: "noisy") { item { enabled } action { before after comment } } }`);
    expect(dis.data!['disableRule'].item.enabled).toBe(false);
    expect(dis.data!['disableRule'].action.before.enabled).toBe(true);
    expect(book.list()[0]!.enabled).toBe(false);
    const list = await gql(tokens.auditor, '{ rules { kind id enabled } exceptions: rules(kind: EXCEPTION) { id } }');
    expect(list.data!['rules']).toHaveLength(3);
    expect(list.data!['exceptions']).toHaveLength(1);
    expect(audit.entries.map((e) => e.body['action'])).toEqual(['rule.add', 'exception.add', 'exception.disable', 'suppression.add', 'suppression.disable', 'rule.disable']);
  });

  it('lets admin create, list and revoke tokens, never writing the secret to the ledger', async () => {
    const c = await gql(tokens.admin, 'mutation { createToken(name: "bob", role: AUDITOR) { token info { id name role createdBy } action { action after } } }');
    expect(c.errors).toBeUndefined();
    const { token, info } = c.data!['createToken'];
    expect(info).toMatchObject({ name: 'bob', role: 'AUDITOR', createdBy: 'admin-1' });
    expect(JSON.stringify(audit.entries)).not.toContain(token);
    expect((await gql(token, '{ me { role } }')).data!['me'].role).toBe('AUDITOR');
    const list = await gql(tokens.admin, '{ tokens { id name role revokedAt } }');
    expect(list.data!['tokens']).toHaveLength(5);
    const rev = await gql(tokens.admin, `mutation { revokeToken(id: "${info.id}") { info { revokedAt } action { action } } }`);
    expect(rev.data!['revokeToken'].info.revokedAt).not.toBeNull();
    expect((await gql(token, '{ me { role } }')).status).toBe(401);
  });
});

describe('roles', () => {
  const ops: Record<string, string> = {
    triage: 'mutation { acknowledgeIncident(id: "INC-000000") { incident { id } } }',
    vehicles: 'mutation { flagVehicle(id: "V-0001", reason: "x") { vehicle { id } } }',
    rules: `mutation { addRule(source: ${JSON.stringify(RULE)}) { item { id } } }`,
    tokens: 'mutation { createToken(name: "x", role: ADMIN) { token } }',
    listTokens: '{ tokens { id } }',
  };
  const allowed: Record<Role, string[]> = {
    analyst: ['triage'],
    authority: ['vehicles'],
    auditor: [],
    admin: ['triage', 'vehicles', 'rules', 'tokens', 'listTokens'],
  };

  for (const role of ['analyst', 'authority', 'auditor', 'admin'] as const) {
    describe(`as ${role}`, () => {
      it('reads incidents, events and proofs', async () => {
        const r = await gql(tokens[role], '{ incidents(first: 1) { edges { node { id } } } events(first: 1) { edges { node { id } } } ledgerStatus { size } }');
        expect(r.errors).toBeUndefined();
      });
      for (const [op, query] of Object.entries(ops)) {
        const ok = allowed[role].includes(op);
        it(`${ok ? 'may' : 'may not'} ${op}`, async () => {
          const r = await gql(tokens[role], query);
          if (ok) expect(r.errors).toBeUndefined();
          else {
            expect(codeOf(r)).toBe('FORBIDDEN');
            expect(r.errors![0]!.message).toMatch(new RegExp(`the ${role} role may not`));
          }
        });
      }
    });
  }

  it('records nothing when a mutation is refused', async () => {
    await gql(tokens.auditor, ops['triage']!);
    await gql(tokens.analyst, ops['vehicles']!);
    expect(audit.entries).toEqual([]);
  });
});

describe('limits', () => {
  it('refuses a page larger than the cap', async () => {
    const r = await gql(tokens.analyst, '{ events(first: 101) { edges { cursor } } }');
    expect(codeOf(r)).toBe('PAGE_TOO_LARGE');
    expect(r.errors![0]!.message).toMatch(/at most 100/);
  });

  it('refuses a query nested too deep', async () => {
    const q = '{ alerts { edges { node { incident { alerts { edges { node { incident { alerts { edges { node { id } } } } } } } } } } } }';
    const r = await gql(tokens.analyst, q);
    expect(codeOf(r)).toBe('QUERY_TOO_DEEP');
    expect(r.errors![0]!.message).toMatch(/limit is 10/);
  });

  it('refuses a query whose cost is over the limit, counting variables', async () => {
    const q = 'query($n: Int) { incidents(first: $n) { edges { node { alerts(first: $n) { edges { node { evidence(first: $n) { id kind source } } } } } } } }';
    const r = await gql(tokens.analyst, q, { n: 100 });
    expect(codeOf(r)).toBe('QUERY_TOO_COSTLY');
    expect(r.errors![0]!.message).toMatch(/over the limit of 20000/);
    const small = await gql(tokens.analyst, q, { n: 5 });
    expect(small.errors).toBeUndefined();
  });

  it('refuses a body over the size limit with 413', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    const res = await api.fetch('http://vigil.test/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens.analyst}` },
      body: JSON.stringify({ query: `{ me { name } } # ${big}` }),
    });
    expect(res.status).toBe(413);
  });

  it('masks unexpected errors', async () => {
    const broken = createApi({
      store: { ...store, getIncident: () => { throw new Error('SQLITE_CORRUPT at /var/lib/vigil'); } } as unknown as SqliteStore,
      tokens: store,
      onUnexpectedError: () => {},
    });
    const res = await broken.fetch('http://vigil.test/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens.analyst}` },
      body: '{"query":"{ incident(id: \\"x\\") { id } }"}',
    });
    const body = (await res.json()) as GqlResult;
    expect(body.errors![0]!.message).toBe('Unexpected error.');
    expect(JSON.stringify(body)).not.toContain('SQLITE');
  });
});

describe('pagination under concurrent inserts', () => {
  it('pages events with no duplicates and no gaps while newer events arrive', async () => {
    const before = new Set((store.db.prepare('SELECT id FROM events').all() as Array<{ id: string }>).map((r) => r.id));
    const seen: string[] = [];
    let after: string | null = null;
    let k = 0;
    for (;;) {
      const r: GqlResult = await gql(tokens.analyst, 'query($a: String) { events(first: 5, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', { a: after });
      const conn = r.data!['events'];
      seen.push(...conn.edges.map((e: any) => e.node.id));
      // Newer and older events arrive between pages.
      store.writeBatch([{ event: bsm('V-0100', T0 + 100_000 + k), source: 'http', receivedAt: clock }, { event: bsm('V-0101', T0 - 100_000 - k), source: 'http', receivedAt: clock }], []);
      k++;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
  });

  it('pages incidents with no duplicates while new incidents are created', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let n = 100;
    for (;;) {
      const r: GqlResult = await gql(tokens.analyst, 'query($a: String) { incidents(first: 1, after: $a, sort: { field: FIRST_SEEN, direction: DESC }) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', { a: after });
      const conn = r.data!['incidents'];
      seen.push(...conn.edges.map((e: any) => e.node.id));
      const a = makeAlert(n, { ts: T0 + 10_000_000 + n });
      store.saveDetectorOutput({ alerts: [a], incidents: [makeIncident(n++, [a])] });
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(['INC-000003', 'INC-000002', 'INC-000001', 'INC-000000']);
  });
});

describe('subscriptions', () => {
  async function openSse(query: string, token: string): Promise<{ next: () => Promise<any>; close: () => void }> {
    const ctrl = new AbortController();
    const res = await api.fetch('http://vigil.test/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
      signal: ctrl.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    return {
      async next() {
        for (;;) {
          const m = /(?:^|\n)event: next\ndata: (.*)\n\n/.exec(buf);
          if (m) {
            buf = buf.slice(m.index + m[0].length);
            return JSON.parse(m[1]!);
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          buf += value;
        }
      },
      close: () => ctrl.abort(),
    };
  }

  it('streams new alerts at or above a severity', async () => {
    const sub = await openSse('subscription { alertRaised(minSeverity: HIGH) { id severity } }', tokens.auditor);
    await new Promise((r) => setTimeout(r, 20));
    await api.recordDetectorOutput({ alerts: [makeAlert(200), makeAlert(202), makeAlert(203)] }); // low, high, critical
    expect((await sub.next()).data.alertRaised.severity).toBe('HIGH');
    expect((await sub.next()).data.alertRaised.severity).toBe('CRITICAL');
    sub.close();
  });

  it('streams incident changes, from analysts and from the detector', async () => {
    const sub = await openSse('subscription { incidentChanged(id: "INC-000001") { incident { id status } action { action actor } } }', tokens.analyst);
    await new Promise((r) => setTimeout(r, 20));
    await gql(tokens.analyst, 'mutation { acknowledgeIncident(id: "INC-000001") { incident { id } } }');
    expect((await sub.next()).data.incidentChanged).toEqual({ incident: { id: 'INC-000001', status: 'ACKNOWLEDGED' }, action: { action: 'incident.acknowledge', actor: 'analyst-1' } });
    const saved = store.saveDetectorOutput({ incidents: [makeIncident(1, [makeAlert(3), makeAlert(4), makeAlert(5), makeAlert(6)])] });
    api.publishDetectorOutput(saved);
    expect((await sub.next()).data.incidentChanged).toEqual({ incident: { id: 'INC-000001', status: 'ACKNOWLEDGED' }, action: null });
    sub.close();
  });

  it('refuses a subscription without a token', async () => {
    const res = await api.fetch('http://vigil.test/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { alertRaised { id } }' }),
    });
    expect(res.status).toBe(401);
  });
});
