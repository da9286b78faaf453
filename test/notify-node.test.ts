/**
 * Issue 18, acceptance: one incident raised by the real node (HTTP ingest, store, detector,
 * API publish) reaches a signed webhook, an SMTP server and TheHive's case API on loopback,
 * and each delivery is in the incident's history, the ledger and /metrics.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../api/index.js';
import { verifyWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../notify/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { metricValue, tempDir, waitFor } from './helpers.js';
import { httpReceiver, smtpReceiver } from './notify-receivers.js';

const GUESSING_RULE = '3f1c6a52-1d0e-4c55-9a61-0b7a5f0c1002';
const SECRET = 'webhook-secret-of-the-test-0123456789';

describe('when a node raises an incident with notifications configured', () => {
  const tmp = tempDir();
  let node: VigilNode;
  let http: Awaited<ReturnType<typeof httpReceiver>>;
  let smtp: Awaited<ReturnType<typeof smtpReceiver>>;

  beforeAll(async () => {
    // The first webhook attempt meets a 503: the delivery must be retried, not lost.
    http = await httpReceiver((r, n) => (r.path === '/hook' && n === 1 ? { status: 503 } : { status: 200 }));
    smtp = await smtpReceiver('vigil', 'smtp-password-1');
    writeFileSync(join(tmp.dir, 'hook.secret'), `${SECRET}\n`, { mode: 0o600 });
    writeFileSync(join(tmp.dir, 'hive.key'), 'hive-api-key-abc', { mode: 0o600 });
    const config = resolveConfig({
      dataDir: join(tmp.dir, 'data'),
      api: { port: 0 },
      ledger: { checkpointIntervalMs: 50 },
      notify: {
        initialRetryMs: 50,
        connectors: [
          { type: 'webhook', name: 'soc-hook', url: `${http.url}/hook`, secret: { file: join(tmp.dir, 'hook.secret') } },
          { type: 'smtp', name: 'soc-mail', host: '127.0.0.1', port: smtp.port, tls: 'none', username: 'vigil', password: { env: 'TEST_SMTP_PASSWORD' }, from: 'vigil@example.org', to: ['soc@example.org'] },
          { type: 'thehive', name: 'hive', url: http.url, apiKey: { file: join(tmp.dir, 'hive.key') }, organisation: 'city-soc' },
          { type: 'slack', name: 'chat', url: { env: 'TEST_SLACK_URL' } },
        ],
        routes: [
          { connectors: ['soc-hook', 'soc-mail', 'hive'], rules: [GUESSING_RULE] },
          // A password-guessing incident from one rule is not critical: a critical-only route must stay silent.
          { connectors: ['chat'], minSeverity: 'critical' },
        ],
      },
    });
    process.env['TEST_SMTP_PASSWORD'] = 'smtp-password-1';
    process.env['TEST_SLACK_URL'] = `${http.url}/slack`;
    node = await VigilNode.start(config, { logger: silentLogger() });
    const now = Date.now();
    const body = Array.from({ length: 12 }, (_, i) => JSON.stringify({ kind: 'auth', device: 'D-77', ts: now - 5_000 + i * 100, user: 'root', outcome: 'failure' })).join('\n');
    const res = await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(res.status).toBe(200);
  }, 60_000);

  const incidentSeverity = (): string => {
    const found = node.store.searchIncidents({}, { first: 10 }).edges.map((e) => e.node).find((i) => i.incident.entity.id === 'D-77');
    if (!found) throw new Error('no incident for D-77 in the store');
    expect(found.incident.severity).not.toBe('critical');
    return found.incident.severity;
  };

  afterAll(async () => {
    await node?.stop();
    await http?.close();
    await smtp?.close();
    delete process.env['TEST_SMTP_PASSWORD'];
    delete process.env['TEST_SLACK_URL'];
    tmp.cleanup();
  });

  it('posts a signed webhook, retried after a 503, that the receiver can verify', async () => {
    const hooks = await waitFor(() => { const h = http.received.filter((r) => r.path === '/hook'); return h.length >= 2 ? h : undefined; }, 20_000, 'the webhook retry');
    const last = hooks[hooks.length - 1]!;
    const sig = { signature: String(last.headers[SIGNATURE_HEADER]), timestamp: String(last.headers[TIMESTAMP_HEADER]) };
    expect(verifyWebhook(SECRET, sig, last.body, Date.now())).toBe(true);
    expect(verifyWebhook(SECRET, sig, last.body.replace('D-77', 'D-78'), Date.now())).toBe(false);
    // The same request an hour later is a replay.
    expect(verifyWebhook(SECRET, sig, last.body, Date.now() + 3_600_000)).toBe(false);
    const notice = JSON.parse(last.body) as { format: string; incident: { entity: { id: string }; severity: string }; alerts: Array<{ rule: string }> };
    // The notice carries the severity the node gave the incident (detector/severity.ts decides it).
    expect(notice).toMatchObject({ format: 'vigil-notice/v1', incident: { entity: { id: 'D-77' }, severity: incidentSeverity() } });
    expect(notice.alerts.map((a) => a.rule)).toContain(GUESSING_RULE);
  }, 30_000);

  it('sends one mail through the SMTP server, authenticated', async () => {
    const mail = await waitFor(() => smtp.mails[0], 20_000, 'the mail');
    expect(mail).toMatchObject({ from: 'vigil@example.org', to: ['soc@example.org'], user: 'vigil' });
    expect(mail.raw).toMatch(new RegExp(`^Subject: \\[Vigil ${incidentSeverity()}\\] .*D-77`, 'm'));
    expect(mail.raw).toMatch(/^X-Vigil-Incident:\s+[0-9a-f]{64}\r?$/m);
    expect(smtp.mails).toHaveLength(1);
  }, 30_000);

  it('opens one TheHive case with the API key, and adds the entity as an observable', async () => {
    const created = await waitFor(() => http.received.find((r) => r.path === '/api/v1/case'), 20_000, 'the case');
    expect(created.headers['authorization']).toBe('Bearer hive-api-key-abc');
    expect(created.headers['x-organisation']).toBe('city-soc');
    const kase = JSON.parse(created.body) as { title: string; severity: number; tags: string[]; tlp: number };
    // TheHive's severity scale: 1 low, 2 medium, 3 high, 4 critical.
    expect(kase).toMatchObject({ severity: { low: 1, medium: 2, high: 3, critical: 4 }[incidentSeverity()], tlp: 2 });
    expect(kase.title).toContain('D-77');
    expect(kase.tags).toContain(`vigil:rule=${GUESSING_RULE}`);
    const observable = await waitFor(() => http.received.find((r) => r.path === '/api/v1/case/~4097/observable'), 20_000, 'the observable');
    expect(JSON.parse(observable.body)).toMatchObject({ dataType: 'other', data: 'device:D-77' });
    expect(http.received.filter((r) => r.path === '/api/v1/case')).toHaveLength(1);
  }, 30_000);

  it('records each delivery in the incident history, the ledger and /metrics, and tells the critical-only route nothing', async () => {
    const store = node.store;
    const incident = (await store.searchIncidents({}, { first: 10 })).edges.map((e) => e.node).find((i) => i.incident.entity.id === 'D-77')!;
    const actions = await waitFor(async () => {
      const a = (await store.actionsFor({ type: 'incident', id: incident.incident.id })).filter((x) => x.action === 'incident.notify');
      return a.length >= 3 ? a : undefined;
    }, 20_000, 'three delivery records');
    const byConnector = Object.fromEntries(actions.map((a) => [(a.after as { connector: string }).connector, a]));
    expect(Object.keys(byConnector).sort()).toEqual(['hive', 'soc-hook', 'soc-mail']);
    expect(byConnector['soc-hook']!.after).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(byConnector['hive']!.after).toMatchObject({ outcome: 'delivered', reference: '~4097' });
    const entry = await node.analysis!.ledger.entry(byConnector['soc-mail']!.ledgerIndex!);
    expect(entry).toMatchObject({ type: 'action', body: { action: 'incident.notify', actor: 'vigil-notify', target: { id: incident.incident.id } } });
    const { token } = createToken(store, { name: 'analyst-m', role: 'analyst', createdBy: 'test' });
    const q = await fetch(`${node.url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: '{"query":"{ low: devices(reputationBelow: 1) { edges { node { id } } } }"}' });
    expect(q.status).toBe(200);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    // The API, detector and ledger figures of issue 18 item 5, from the same run.
    expect(metricValue(metrics, 'vigil_api_operation_seconds_count', { type: 'query', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'vigil_detector_alerts_total', { origin: 'rule', severity: 'high' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'vigil_detector_incident_updates_total')).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'vigil_ledger_entries')).toBeGreaterThanOrEqual(12 + 3);
    expect(metricValue(metrics, 'vigil_ledger_checkpoint_size')).toBeGreaterThan(0);
    expect(metricValue(metrics, 'vigil_notify_deliveries_total', { connector: 'soc-mail', outcome: 'delivered' })).toBe(1);
    expect(metricValue(metrics, 'vigil_notify_deliveries_total', { connector: 'chat' })).toBe(0);
    expect(http.received.filter((r) => r.path === '/slack')).toHaveLength(0);
    // No secret reaches the history or the ledger.
    expect(JSON.stringify(actions)).not.toMatch(/smtp-password-1|hive-api-key-abc|webhook-secret/);
  }, 30_000);
});
