/**
 * Events and alerts as ECS documents, and the Elasticsearch assets an operator applies with
 * `curl -X PUT` (dashboards/elasticsearch/apply.sh). No Elasticsearch runs here, so the
 * script is run against a local HTTP receiver and every request is checked against the
 * request-body shape the Elasticsearch reference documents for that API
 * (PUT _ilm/policy, PUT _component_template, PUT _index_template).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syslogToItem } from '../collectors/index.js';
import { ECS_CATEGORIES, ECS_OBSERVER_TYPES, ECS_TYPES, ecsAlertsBulk, ECS_VERSION, resolveValidationOptions, toEcsAlert, toEcsDocument, validateInput, type VigilEvent } from '../events/index.js';
import { freePort } from './helpers.js';

const ES_DIR = join(import.meta.dirname, '..', 'dashboards', 'elasticsearch');
const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const validation = resolveValidationOptions({ now: () => T0 });

function input(r: Record<string, unknown>): VigilEvent {
  const v = validateInput({ ts: T0, ...r }, validation);
  if (!v.ok) throw new Error(v.rejection.message);
  return v.event;
}

describe('events as ECS documents', () => {
  it('an sshd line keeps ecs.version, event.id, event.original, message, the sender in log.source.address', () => {
    const line = '<38>1 2026-12-07T09:00:00Z gw-3 sshd 812 - - Failed password for root from 203.0.113.50 port 52144 ssh2';
    const item = syslogToItem(Buffer.from(line), { address: '192.0.2.9' }, validation);
    const doc = toEcsDocument(item.event!, { original: item.raw as Uint8Array, receivedAt: T0 + 5 }) as any;
    expect(doc.ecs).toEqual({ version: ECS_VERSION });
    expect(doc.event).toMatchObject({ id: item.event!.id, original: line, kind: 'event', category: ['authentication'], type: ['start'], outcome: 'failure', ingested: new Date(T0 + 5).toISOString() });
    expect(doc.id).toBeUndefined();
    expect(doc.message).toBe('Failed password for root from 203.0.113.50 port 52144 ssh2');
    expect(doc.source).toEqual({ ip: '203.0.113.50', port: 52144 });
    expect(doc.process).toEqual({ name: 'sshd', pid: 812 });
    expect(doc.related).toEqual({ ip: ['203.0.113.50'], user: ['root'] });
    const log = syslogToItem(Buffer.from('<13>1 2026-12-07T09:00:00Z gw-3 ntpd 9 - - synchronized'), { address: '192.0.2.9' }, validation).event!;
    expect((toEcsDocument(log) as any).log.source).toEqual({ address: '192.0.2.9' });
  });

  it('every kind uses only ECS\'s allowed category and type values, and a roadside unit is an ECS observer type', () => {
    const events = [
      input({ kind: 'bsm', vehicle: 'V-1', lat: 1.3, lon: 103.8, speed: 10, heading: 90, rsu: 'RSU-07' }),
      input({ kind: 'telemetry', device: 'D-1', metrics: { temperature: 20 } }),
      input({ kind: 'net', device: 'D-1', src: '10.0.0.1', dst: '10.0.0.2', dport: 23, proto: 'tcp', bytes: 1, packets: 1 }),
      input({ kind: 'auth', device: 'D-1', user: 'admin', outcome: 'failure' }),
      input({ kind: 'log', host: 'h', message: 'x' }),
      input({ kind: 'can', vehicle: 'V-1', can_id: '18FEF100', data: '00' }),
    ];
    for (const e of events) {
      const doc = toEcsDocument(e) as any;
      expect(doc.event.category.length).toBeGreaterThan(0);
      for (const c of doc.event.category) expect(ECS_CATEGORIES).toContain(c);
      for (const t of doc.event.type) expect(ECS_TYPES).toContain(t);
      // the ECS view leaves the event (whose id hashes its shape) as it was
      expect(e.id).toBe(doc.event.id);
    }
    const bsm = toEcsDocument(events[0]!) as any;
    expect(ECS_OBSERVER_TYPES).toContain(bsm.observer.type);
    expect(bsm.vigil.observer).toEqual({ role: 'rsu' });
  });
});

describe('alerts for Elastic Security', () => {
  const alert = {
    id: 'a'.repeat(64),
    ts: T0,
    entity: { id: 'gw-3', type: 'device' },
    severity: 'high' as const,
    score: 80,
    title: 'Telnet password guessing',
    description: 'Ten or more failed logins on one device within a minute',
    origin: { type: 'rule', id: '3f1c6a52-1d0e-4c55-9a61-0b7a5f0c1002', hash: 'b'.repeat(64), title: 'Telnet password guessing' },
    tags: ['attack.credential_access', 'attack.t1110.001', 'attack.t1078'],
    evidence: ['e1', 'e2'],
    category: 'password_guessing',
  };

  it('are event.kind alert documents with rule, severity, risk score and ATT&CK threat fields', () => {
    const doc = toEcsAlert(alert) as any;
    expect(doc.event).toMatchObject({ kind: 'alert', id: alert.id, severity: 73, risk_score: 80, category: ['intrusion_detection'] });
    expect(doc.rule).toMatchObject({ id: alert.origin.id, name: 'Telnet password guessing', ruleset: 'rule' });
    expect(doc.threat).toEqual({ framework: 'MITRE ATT&CK', technique: { id: ['T1110', 'T1078'] }, subtechnique: { id: ['T1110.001'] }, tactic: { name: ['credential access'] } });
    expect(doc.device).toEqual({ id: 'gw-3' });
  });

  it('export as a _bulk body of create actions into a logs-* data stream', () => {
    const lines = ecsAlertsBulk([alert, { ...alert, id: 'c'.repeat(64) }]).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toEqual({ create: { _index: 'logs-vigil.alerts-default', _id: alert.id } });
    expect(lines[3].event.id).toBe('c'.repeat(64));
  });
});

/** The top-level keys each API's request body documents (Elasticsearch 8/9 reference). */
const BODY_KEYS = {
  ilm: { required: ['policy'], allowed: ['policy'] },
  component: { required: ['template'], allowed: ['template', 'version', '_meta', 'deprecated'] },
  index: { required: ['index_patterns'], allowed: ['index_patterns', 'template', 'composed_of', 'priority', 'version', '_meta', 'data_stream', 'allow_auto_create', 'ignore_missing_component_templates', 'deprecated'] },
} as const;
const TEMPLATE_KEYS = ['settings', 'mappings', 'aliases', 'lifecycle', 'data_stream_options'];
const PHASE_ACTIONS: Record<string, string[]> = {
  hot: ['rollover', 'set_priority', 'unfollow', 'readonly', 'shrink', 'forcemerge', 'searchable_snapshot', 'downsample'],
  warm: ['set_priority', 'unfollow', 'readonly', 'allocate', 'migrate', 'shrink', 'forcemerge', 'downsample'],
  cold: ['set_priority', 'unfollow', 'readonly', 'searchable_snapshot', 'allocate', 'migrate', 'downsample'],
  frozen: ['unfollow', 'searchable_snapshot'],
  delete: ['wait_for_snapshot', 'delete'],
};

function checkBody(api: keyof typeof BODY_KEYS, body: Record<string, any>): string[] {
  const problems: string[] = [];
  const spec = BODY_KEYS[api];
  for (const k of spec.required) if (!(k in body)) problems.push(`missing ${k}`);
  for (const k of Object.keys(body)) if (!(spec.allowed as readonly string[]).includes(k)) problems.push(`unknown top-level key ${k}`);
  if (body.template) for (const k of Object.keys(body.template)) if (!TEMPLATE_KEYS.includes(k)) problems.push(`unknown template key ${k}`);
  if (api === 'ilm') {
    for (const k of Object.keys(body.policy ?? {})) if (!['phases', '_meta'].includes(k)) problems.push(`unknown policy key ${k}`);
    for (const [phase, p] of Object.entries<any>(body.policy?.phases ?? {})) {
      if (!PHASE_ACTIONS[phase]) problems.push(`unknown phase ${phase}`);
      for (const a of Object.keys(p.actions ?? {})) if (!PHASE_ACTIONS[phase]?.includes(a)) problems.push(`action ${a} not allowed in ${phase}`);
      if (p.min_age !== undefined && !/^\d+(d|h|m|s|ms)$/.test(p.min_age)) problems.push(`bad min_age ${p.min_age}`);
    }
  }
  if (api === 'index' && body.template?.mappings?.properties === undefined && body.template?.mappings) problems.push('mappings without properties');
  return problems;
}

describe('the Elasticsearch assets as files', () => {
  it('apply.sh PUTs each file, as the documented request body, to the API its name says', async () => {
    const port = await freePort();
    const got: Array<{ method: string; path: string; type: string; body: any }> = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        got.push({ method: req.method ?? '', path: req.url ?? '', type: String(req.headers['content-type']), body: JSON.parse(text) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"acknowledged":true}');
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile('sh', [join(ES_DIR, 'apply.sh')], { env: { ...process.env, ES_URL: `http://127.0.0.1:${port}` }, timeout: 30_000 }, (err, _o, stderr) => resolve({ code: err ? 1 : 0, stderr }));
      });
      expect(code, stderr).toBe(0);
    } finally {
      server.close();
    }
    const files = readdirSync(ES_DIR).filter((f) => f.endsWith('.json'));
    expect(got).toHaveLength(files.length);
    expect(got.every((r) => r.method === 'PUT' && r.type === 'application/json')).toBe(true);
    // policies first, then component templates, then the index templates that use them
    const kinds = got.map((r) => r.path.split('/')[1]);
    expect(kinds).toEqual([...kinds].sort((a, b) => ['_ilm', '_component_template', '_index_template'].indexOf(a!) - ['_ilm', '_component_template', '_index_template'].indexOf(b!)));
    const policies = new Set<string>();
    const components = new Set<string>();
    for (const r of got) {
      const [, api, ...rest] = r.path.split('/');
      const name = rest.join('/').replace(/^policy\//, '');
      const which = api === '_ilm' ? 'ilm' : api === '_component_template' ? 'component' : 'index';
      expect(checkBody(which, r.body), r.path).toEqual([]);
      if (which === 'ilm') policies.add(name);
      if (which === 'component') components.add(name);
      if (which === 'index') {
        for (const c of r.body.composed_of ?? []) expect(components).toContain(c);
        const policy = r.body.template?.settings?.['index.lifecycle.name'];
        if (policy !== undefined) expect(policies).toContain(policy);
      }
    }
  }, 60_000);

  it('a body in the JS client\'s form (name inside) is what the check refuses', () => {
    const body = JSON.parse(readFileSync(join(ES_DIR, 'index-template.vigil-alerts.json'), 'utf8'));
    expect(checkBody('index', { name: 'vigil-alerts', ...body })).toEqual(['unknown top-level key name']);
  });
});
