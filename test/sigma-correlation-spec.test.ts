/**
 * The Sigma correlation specification's own examples (../shared/sigma/specification, read
 * in place): every file of tests/schema/correlation/ and the chained "failed logins
 * followed by a successful login" example of the specification text, each on a sequence
 * of events written for it, with the behaviour the specification describes.
 *
 * The examples use Windows-style field names (ComputerName, User, SourceIP, BytesOut, …);
 * a deployment maps them the way this test does, with its own mapping file layered over
 * Vigil's default (the default already maps User, ComputerName, SourceIP, BytesOut, bytes_sent).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMapping, RuleBook, type RuleHit } from '../detector/index.js';
import { resolveValidationOptions, validateInput, type VigilEvent } from '../events/index.js';

const SPEC = join(import.meta.dirname, '..', '..', 'shared', 'sigma', 'specification');
const EXAMPLES = join(SPEC, 'tests', 'schema', 'correlation');
const present = existsSync(EXAMPLES);
const T0 = Date.UTC(2026, 11, 7, 8, 0, 0);
const validation = resolveValidationOptions({ now: () => T0 + 30 * 86_400_000 });

const SITE_MAPPING = parseMapping(`
name: spec-examples
version: 1
fields:
  WorkstationName: source.ip
  Image: process.name
  dns.question.name: host.name
logsources:
  - match: { product: windows, service: security }
    kinds: [auth]
    fields:
      EventID: { field: event.outcome, values: { 529: failure, 4625: failure, 528: success, 4624: success } }
`);

const book = (): RuleBook => new RuleBook({ mappings: [SITE_MAPPING] });

function event(input: Record<string, unknown>): VigilEvent {
  const r = validateInput(input, validation);
  if (!r.ok) throw new Error(r.rejection.message);
  return r.event;
}

let seq = 0;
const login = (device: string, user: string, outcome: 'success' | 'failure', at: number, src = '10.0.0.5'): VigilEvent =>
  event({ kind: 'auth', device, user, outcome, ts: at, src, seq: ++seq });
const log = (host: string, app: string, message: string, at: number): VigilEvent => event({ kind: 'log', host, app, message, ts: at, seq: ++seq });
const flow = (src: string, bytes: number, at: number): VigilEvent =>
  event({ kind: 'net', device: 'gw-1', src, dst: '203.0.113.9', dport: 443, sport: 1024 + (++seq % 60_000), proto: 'tcp', bytes, packets: 1, ts: at });

/** Feeds events in order; returns the alerts (not the continuing hits) of `ruleId`. */
function run(b: RuleBook, events: VigilEvent[], ruleId?: string): RuleHit[] {
  const hits: RuleHit[] = [];
  events.forEach((e, i) => b.evaluate({ event: e }, i, hits));
  return hits.filter((h) => !h.continuing && (ruleId === undefined || h.rule.id === ruleId));
}

const example = (name: string): string => readFileSync(join(EXAMPLES, name), 'utf8');
const FAILED_LOGIN = `title: failed login\nid: 5638f7c0-ac70-491d-8465-2a65075e0d86\nlogsource: { product: vigil, service: auth }\ndetection:\n  selection: { event.outcome: failure }\n  condition: selection\n`;
const SEC = 1000;

describe.skipIf(!present)(present ? 'the Sigma correlation specification examples' : `Sigma correlation examples (skipped: ${EXAMPLES} is absent)`, () => {
  it('covers every example file there is', () => {
    expect(readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml')).sort()).toEqual(
      ['event_count.yml', 'event_count_ecs.yml', 'temporal.yml', 'temporal_ordered.yml', 'value_avg.yml', 'value_count.yml', 'value_percentile.yml', 'value_sum.yml'],
    );
  });

  it('event_count: the 100th failed login on one computer within an hour alerts once; 100 spread over more than an hour do not', () => {
    const b = book();
    b.add(FAILED_LOGIN);
    const [id] = b.add(example('event_count.yml'));
    const burst = Array.from({ length: 100 }, (_, i) => login('cam-1', `u${i % 3}`, 'failure', T0 + i * SEC));
    expect(run(b, burst.slice(0, 99), id)).toHaveLength(0);
    expect(run(b, burst.slice(99), id)).toHaveLength(1);
    const slow = Array.from({ length: 100 }, (_, i) => login('cam-2', 'root', 'failure', T0 + i * 40 * SEC));
    expect(run(b, slow, id)).toHaveLength(0);
  });

  it('event_count with taxonomy ecs: grouped by dns.question.name', () => {
    const b = book();
    b.add(`title: dns query\nid: 5638f7c0-ac70-491d-8465-2a65075e0d86\nlogsource: { product: linux, service: syslog }\ndetection:\n  keywords: [query]\n  condition: keywords\n`);
    const [id] = b.add(example('event_count_ecs.yml'));
    const events = Array.from({ length: 150 }, (_, i) => log(i % 2 === 0 ? 'ns-a' : 'ns-b', 'named', `client 10.0.0.${i % 9} query: x${i}.example`, T0 + i * SEC));
    // 75 per name: no name reaches 100
    expect(run(b, events, id)).toHaveLength(0);
    expect(run(b, Array.from({ length: 25 }, (_, i) => log('ns-a', 'named', 'query: again', T0 + 200 * SEC + i)), id)).toHaveLength(1);
  });

  it('value_count: 100 distinct users failing from one computer and workstation within a day alert; repeats of 99 do not', () => {
    const b = book();
    b.add(FAILED_LOGIN);
    const [id] = b.add(example('value_count.yml'));
    const ninetyNine = Array.from({ length: 300 }, (_, i) => login('nvr-1', `user${i % 99}`, 'failure', T0 + i * SEC, '10.0.0.8'));
    expect(run(b, ninetyNine, id)).toHaveLength(0);
    // the same 100th user from another workstation is another group
    expect(run(b, [login('nvr-1', 'user99', 'failure', T0 + 400 * SEC, '10.0.0.9')], id)).toHaveLength(0);
    expect(run(b, [login('nvr-1', 'user99', 'failure', T0 + 401 * SEC, '10.0.0.8')], id)).toHaveLength(1);
  });

  const recon = (b: RuleBook): void => {
    for (const n of ['a', 'b', 'c']) {
      b.add(`title: recon ${n}\nname: recon_cmd_${n}\nlogsource: { product: linux }\ndetection:\n  keywords: ['recon-${n}']\n  condition: keywords\n`);
    }
  };
  const cmd = (host: string, user: string, n: string, at: number): VigilEvent => log(host, 'bash', `user=${user} ran recon-${n}`, at);

  it('temporal: the three recon commands in any order within 5 minutes on one computer by one user', () => {
    const b = book();
    recon(b);
    // group-by ComputerName and User: User of a log line is not carried, so the group is the computer
    const [id] = b.add(example('temporal.yml'));
    expect(run(b, [cmd('h1', 'ann', 'c', T0), cmd('h1', 'ann', 'a', T0 + 60 * SEC), cmd('h1', 'ann', 'b', T0 + 120 * SEC)], id)).toHaveLength(1);
    expect(run(b, [cmd('h2', 'ann', 'a', T0), cmd('h2', 'ann', 'b', T0 + SEC), cmd('h3', 'ann', 'c', T0 + 2 * SEC)], id)).toHaveLength(0);
    expect(run(b, [cmd('h4', 'ann', 'a', T0), cmd('h4', 'ann', 'b', T0 + SEC), cmd('h4', 'ann', 'c', T0 + 6 * 60 * SEC)], id)).toHaveLength(0);
  });

  it('temporal_ordered: a, b, c in that order alerts; c, b, a does not', () => {
    const b = book();
    recon(b);
    const [id] = b.add(example('temporal_ordered.yml'));
    expect(run(b, [cmd('h1', 'x', 'c', T0), cmd('h1', 'x', 'b', T0 + SEC), cmd('h1', 'x', 'a', T0 + 2 * SEC)], id)).toHaveLength(0);
    expect(run(b, [cmd('h2', 'x', 'a', T0), cmd('h2', 'x', 'b', T0 + SEC), cmd('h2', 'x', 'c', T0 + 2 * SEC)], id)).toHaveLength(1);
  });

  it('value_sum: more than 1,000,000 bytes sent by one source within an hour', () => {
    const b = book();
    b.add(`title: website access\nname: website_access\nlogsource: { product: vigil, service: net }\ndetection:\n  s: { destination.port: 443 }\n  condition: s\n`);
    const [id] = b.add(example('value_sum.yml'));
    const nine = Array.from({ length: 9 }, (_, i) => flow('10.1.0.2', 100_000, T0 + i * 60 * SEC));
    expect(run(b, [...nine, flow('10.1.0.3', 900_000, T0)], id)).toHaveLength(0);
    expect(run(b, [flow('10.1.0.2', 100_001, T0 + 10 * 60 * SEC)], id)).toHaveLength(1);
  });

  it('value_avg: a mean above 500 bytes out per flow within a day', () => {
    const b = book();
    b.add(`title: flows\nid: rule_a_id\nlogsource: { product: vigil, service: net }\ndetection:\n  s: { network.transport: tcp }\n  condition: s\n`);
    const [id] = b.add(example('value_avg.yml'));
    expect(run(b, [flow('10.2.0.1', 400, T0), flow('10.2.0.1', 500, T0 + SEC)], id)).toHaveLength(0);
    const [hit] = run(b, [flow('10.2.0.1', 900, T0 + 2 * SEC)], id);
    expect(hit?.detail).toMatch(/^mean 600 over 3 events/);
  });

  it('value_percentile: a process name below 1 % of a computer\'s processes in a day', () => {
    const b = book();
    b.add(`title: process started\nname: process_creation\nlogsource: { product: linux }\ndetection:\n  keywords: ['started']\n  condition: keywords\n`);
    const [id] = b.add(example('value_percentile.yml'));
    const usual = Array.from({ length: 150 }, (_, i) => log('h1', i % 2 ? 'cron' : 'systemd', 'job started', T0 + i * SEC));
    expect(run(b, usual, id)).toHaveLength(0);
    expect(run(b, [log('h1', 'xmrig', 'miner started', T0 + 200 * SEC)], id)).toHaveLength(1);
    // on a computer with few processes, the same name is not rare
    expect(run(b, [log('h2', 'cron', 'job started', T0), log('h2', 'xmrig', 'miner started', T0 + SEC)], id)).toHaveLength(0);
  });

  it('the chained example (multiple failed logins followed by a successful login) loads in one addition and raises one alert', () => {
    const text = readFileSync(join(SPEC, 'specification', 'sigma-correlation-rules-specification.md'), 'utf8');
    const block = /### Failed Logins Followed by Successful Login[\s\S]*?```yml\n([\s\S]*?)```/.exec(text)?.[1];
    expect(block).toBeDefined();
    const b = book();
    const ids = b.add(block!);
    expect(ids).toEqual(['b180ead8-d58f-40b2-ae54-c8940995b9b6', 'a8418a5a-5fc4-46b5-b23b-6c73beb19d41', '53ba33fd-3a50-4468-a5ef-c583635cfa92', '4d0a2c83-c62c-4ed4-b475-c7e23a9269b8']);
    expect(b.list().every((r) => r.status.canFire)).toBe(true);
    const tries = Array.from({ length: 10 }, (_, i) => login('srv-1', 'bob', 'failure', T0 + i * 10 * SEC));
    const alerts = run(b, [...tries, login('srv-1', 'bob', 'success', T0 + 120 * SEC)]);
    expect(alerts.map((a) => a.rule.id)).toEqual(['b180ead8-d58f-40b2-ae54-c8940995b9b6']);
    // nine failures then a success, or a success for another user: nothing
    const nine = Array.from({ length: 9 }, (_, i) => login('srv-2', 'eve', 'failure', T0 + i * SEC));
    expect(run(b, [...nine, login('srv-2', 'eve', 'success', T0 + 20 * SEC), login('srv-2', 'bob', 'success', T0 + 21 * SEC)])).toEqual([]);
  });

  it('adding a chain is all or nothing: a bad last document leaves the book as it was', () => {
    const text = readFileSync(join(SPEC, 'specification', 'sigma-correlation-rules-specification.md'), 'utf8');
    const block = /### Failed Logins Followed by Successful Login[\s\S]*?```yml\n([\s\S]*?)```/.exec(text)![1]!;
    const b = book();
    expect(() => b.add(`${block}---\ntitle: broken\nid: broken-1\ndetection:\n  s: { a|nosuchmodifier: 1 }\n  condition: s\n`)).toThrow(/unknown modifier/);
    expect(b.size).toBe(0);
    expect(b.add(block)).toHaveLength(4);
  });
});
