import { describe, expect, it } from 'vitest';
import { DetectorError, RuleBook, type RuleHit } from '../detector/index.js';
import { ev, T0 } from './detector-fixtures.js';

const auth = (i: number, user = `u${i}`, outcome = 'failure', device = 'D-1') => ev({ kind: 'auth', device, ts: T0 + i * 1000, user, outcome, src: '198.51.100.7' });
const net = (i: number, dst: string, dport = 23, device = 'D-1') => ev({ kind: 'net', device, ts: T0 + i * 100, src: '10.0.0.2', dst, dport, proto: 'tcp', bytes: 60, packets: 1 });

function run(book: RuleBook, events: ReturnType<typeof ev>[]): RuleHit[] {
  const hits: RuleHit[] = [];
  events.forEach((event, i) => book.evaluate({ event }, i, hits));
  return hits.filter((h) => !h.continuing);
}

const failure = `
title: failure
id: r-fail
name: fail
logsource: { product: vigil, service: auth }
detection:
  selection: { event.outcome: failure }
  condition: selection
level: low
`;

describe('Sigma detection rules', () => {
  it.each([
    ['equality is case-insensitive', { 'user.name': 'ADMIN' }, 'admin', true],
    ['contains', { 'user.name|contains': 'dmi' }, 'admin', true],
    ['startswith', { 'user.name|startswith': 'ad' }, 'admin', true],
    ['endswith', { 'user.name|endswith': 'in' }, 'root', false],
    ['wildcards', { 'user.name': 'a*n' }, 'admin', true],
    ['a list is any', { 'user.name': ['root', 'admin'] }, 'admin', true],
    ['all', { 'user.name|contains|all': ['ad', 'in'] }, 'admin', true],
    ['re', { 'user.name|re': '^ad.+n$' }, 'admin', true],
    ['cidr', { 'source.ip|cidr': '198.51.100.0/24' }, 'admin', true],
    ['cidr outside', { 'source.ip|cidr': '10.0.0.0/8' }, 'admin', false],
    ['exists', { 'user.name|exists': true }, 'admin', true],
    ['null is absent', { 'host.name': null }, 'admin', true],
    ['gt', { 'vigil.ts|gt': T0 - 1 }, 'admin', true],
    ['lte', { 'vigil.ts|lte': T0 - 1 }, 'admin', false],
  ])('%s', (_name, selection, user, expected) => {
    const book = new RuleBook();
    book.add(JSON.stringify({ title: 't', id: 'x', detection: { selection, condition: 'selection' } }));
    expect(run(book, [auth(0, user)]).length).toBe(expected ? 1 : 0);
  });

  it('conditions: and, or, not, parentheses, 1 of, all of', () => {
    const book = new RuleBook();
    book.add(`
title: cond
id: c
detection:
  sel_a: { user.name: admin }
  sel_b: { event.outcome: failure }
  filter: { source.ip|cidr: 10.0.0.0/8 }
  condition: (1 of sel_* and not filter) and all of sel_*
`);
    expect(run(book, [auth(0, 'admin'), auth(1, 'root')]).length).toBe(1);
  });

  it('a bad rule is a typed error and changes nothing', () => {
    const book = new RuleBook();
    expect(() => book.add('title: x\nid: y\ndetection:\n  s: { a|nope: 1 }\n  condition: s')).toThrow(DetectorError);
    expect(() => book.add('title: x\nid: y\ndetection:\n  s: { a: 1 }\n  condition: s and')).toThrow(/condition/);
    expect(book.size).toBe(0);
  });

  it('exceptions and filters make a rule ignore matching events', () => {
    const book = new RuleBook();
    book.add(failure);
    book.addException('r-fail', { 'user.name': 'maintenance' });
    expect(run(book, [auth(0, 'maintenance'), auth(1, 'root')]).length).toBe(1);
    book.add(`title: no lab\nid: f1\nfilter:\n  rules: [fail]\n  lab: { user.name: root }\n  condition: not lab`);
    expect(run(book, [auth(2, 'root')]).length).toBe(0);
  });

  it('suppression folds repeats for the same key and counts them', () => {
    const book = new RuleBook();
    book.add(failure);
    book.addSuppression('r-fail', { timespanMs: 60_000 });
    const admitted = [0, 1, 2, 70].map((i) => book.admit('r-fail', { event: auth(i) }, T0 + i * 1000));
    expect(admitted).toEqual([0, undefined, undefined, 2]);
  });
});

describe('Sigma correlation rules', () => {
  it('event_count with group-by and timespan', () => {
    const book = new RuleBook();
    book.add(`${failure}---
title: brute
id: c1
correlation: { type: event_count, rules: [fail], group-by: [vigil.entity.id], timespan: 10s, condition: { gte: 5 } }
`);
    // 4 in 10 s on D-1, 4 on D-2: nothing; the 5th on D-1 fires; slow failures never do
    const events = [0, 1, 2, 3].map((i) => auth(i)).concat([0, 1, 2, 3].map((i) => auth(i, 'x', 'failure', 'D-2')), [auth(4)]);
    const hits = run(book, events);
    expect(hits.map((h) => [h.rule.id, h.entity.id, h.evidence.length])).toEqual([['c1', 'D-1', 5]]);
    const slow = new RuleBook();
    slow.add(`${failure}---\ntitle: b\nid: c1\ncorrelation: { type: event_count, rules: [fail], group-by: [vigil.entity.id], timespan: 3s, condition: { gte: 5 } }`);
    expect(run(slow, [0, 4, 8, 12, 16].map((i) => auth(i)))).toEqual([]);
  });

  it('value_count counts distinct values', () => {
    const book = new RuleBook();
    book.add(`
title: telnet
id: t
name: telnet
detection: { s: { destination.port: [23, 2323] }, condition: s }
---
title: scan
id: scan
correlation: { type: value_count, rules: [telnet], group-by: [vigil.entity.id], timespan: 10s, condition: { field: destination.ip, gte: 3 } }
`);
    expect(run(book, [net(0, '1.1.1.1'), net(1, '1.1.1.1'), net(2, '1.1.1.2')]).length).toBe(0);
    expect(run(book, [net(3, '1.1.1.3')]).map((h) => h.rule.id)).toEqual(['scan']);
  });

  it('temporal and temporal_ordered', () => {
    const rules = `${failure}---
title: success
id: r-ok
name: ok
detection: { s: { event.outcome: success }, condition: s }
`;
    const any = new RuleBook();
    any.add(`${rules}---\ntitle: any\nid: tmp\ncorrelation: { type: temporal, rules: [ok, fail], group-by: [vigil.entity.id], timespan: 1m }`);
    expect(run(any, [auth(0, 'a', 'success'), auth(1)]).map((h) => h.rule.id)).toEqual(['tmp']);
    const ordered = new RuleBook();
    ordered.add(`${rules}---\ntitle: cracked\nid: ord\ncorrelation: { type: temporal_ordered, rules: [fail, ok], group-by: [vigil.entity.id], timespan: 1m }`);
    expect(run(ordered, [auth(0, 'a', 'success'), auth(1)])).toEqual([]);
    expect(run(ordered, [auth(2, 'a', 'success')]).map((h) => h.rule.id)).toEqual(['ord']);
  });

  it('vigil_silence fires once from tick when a group stops', () => {
    const book = new RuleBook();
    book.add(`title: t\nid: tel\nname: tel\ndetection: { s: { vigil.kind: telemetry }, condition: s }\n---\ntitle: silent\nid: sil\ncorrelation: { type: vigil_silence, rules: [tel], group-by: [vigil.entity.id], timespan: 30s, condition: { gte: 4 } }`);
    const events = [0, 1, 2, 3].map((i) => ev({ kind: 'telemetry', device: 'D-9', ts: T0 + i * 10_000, metrics: { t: i } }));
    run(book, events);
    const hits: RuleHit[] = [];
    book.tick(T0 + 30_000 + 35_000, hits);
    expect(hits).toEqual([]); // 35 s < 4 × 10 s
    book.tick(T0 + 30_000 + 41_000, hits);
    book.tick(T0 + 30_000 + 90_000, hits);
    expect(hits.map((h) => h.entity.id)).toEqual(['D-9']);
  });

  it('feature comparisons read the event family\'s own row and never match an absent feature', () => {
    const book = new RuleBook();
    book.add(`title: f\nid: f\ndetection:\n  s: { features.b|gte: 2 }\n  condition: s`);
    book.add(`title: g\nid: g\ndetection:\n  s: { features.a: 7 }\n  t: { features.a|lt: 0 }\n  condition: s or t`);
    const fam1 = { a: 0, b: 1 };
    const fam2 = { b: 0 };
    const rows = new Float32Array([7, 1, 5, 3, Number.NaN, -1, -2, 0]);
    const fired = (ctx: Omit<Parameters<RuleBook['evaluate']>[0], 'event'>) => {
      const hits: RuleHit[] = [];
      book.evaluate({ event: auth(0), ...ctx }, 0, hits);
      return hits.map((h) => h.rule.id).join(',');
    };
    expect(fired({ features: rows, offset: 0, featureIndex: fam1 })).toBe('g'); // a = 7, b = 1
    expect(fired({ features: rows, offset: 2, featureIndex: fam1 })).toBe('f'); // a = 5, b = 3
    expect(fired({ features: rows, offset: 2, featureIndex: fam2 })).toBe('f'); // b = 5, no a
    expect(fired({ features: rows, offset: 4, featureIndex: fam1 })).toBe(''); // a = NaN compares false
    expect(fired({ features: rows, offset: 6, featureIndex: fam1 })).toBe('g'); // a = -2
    expect(fired({ features: rows, offset: 1, featureIndex: fam2 })).toBe(''); // b = 1
    expect(fired({})).toBe(''); // no features at all
  });

  it('a rule without a logsource service meets every kind; one with a service only its kind', () => {
    const book = new RuleBook();
    book.add(`title: any\nid: any\ndetection:\n  s: { vigil.entity.id: D-1 }\n  condition: s`);
    book.add(failure);
    const kinds = (events: ReturnType<typeof ev>[]) => run(book, events).map((h) => `${h.rule.id}@${h.eventIndex}`);
    expect(kinds([auth(0), net(1, '10.0.0.9')])).toEqual(['any@0', 'r-fail@0', 'any@1']);
    book.disable('any');
    expect(kinds([auth(0), net(1, '10.0.0.9')])).toEqual(['r-fail@0']);
  });

  it('dotted field names: nested objects, a key that itself holds dots, and a missing segment', () => {
    const book = new RuleBook();
    book.add(`title: m\nid: m\ndetection:\n  s: { vigil.metrics.pm2.5|gt: 30 }\n  condition: s`);
    book.add(`title: t\nid: t\ndetection:\n  s: { vigil.metrics.temperature|gte: 40 }\n  condition: s`);
    book.add(`title: u\nid: u\ndetection:\n  s: { vigil.nothing.here: x }\n  condition: s`);
    const reading = (metrics: Record<string, number>) => ev({ kind: 'telemetry', device: 'D-1', ts: T0, metrics });
    const ids = (e: ReturnType<typeof ev>) => run(book, [e]).map((h) => h.rule.id);
    expect(ids(reading({ 'pm2.5': 31, temperature: 20 }))).toEqual(['m']);
    expect(ids(reading({ 'pm2.5': 3, temperature: 41 }))).toEqual(['t']);
    expect(ids(reading({ humidity: 50 }))).toEqual([]);
    // a number compared directly, and what is not one through the general matcher: the same answers
    const temperature = (v: unknown) => {
      const e = reading({ temperature: 0 });
      return { ...e, vigil: { ...e.vigil, metrics: { temperature: v } } } as typeof e;
    };
    expect(ids(temperature('41'))).toEqual(['t']);
    expect(ids(temperature([3, 41]))).toEqual(['t']);
    expect(ids(temperature([3, 39]))).toEqual([]);
    expect(ids(temperature('hot'))).toEqual([]);
    const e = reading({ temperature: 0 });
    const { metrics: _m, ...rest } = e.vigil;
    expect(ids({ ...e, vigil: { ...rest, 'metrics.temperature': 45 } as unknown as typeof e.vigil })).toEqual(['t']); // a key that holds the dots
  });

  it('a correlation naming an unknown rule is refused', () => {
    const book = new RuleBook();
    expect(() => book.add(`title: x\nid: y\ncorrelation: { type: event_count, rules: [nope], timespan: 1m, condition: { gte: 2 } }`)).toThrow(/nope/);
  });
});

describe('IoT indicator rules of the starter pack (rules only, no model)', () => {
  const titles = async (events: ReturnType<typeof ev>[]) => {
    const { Detector } = await import('../detector/index.js');
    const d = await Detector.create({ model: null });
    const out = d.process(events);
    return { alerts: out.alerts.map((a) => `${a.entity.id} ${a.category}`), scores: Array.from(out.scores) };
  };
  const fleet = (rounds: number) =>
    Array.from({ length: rounds * 10 }, (_, k) => {
      const r = Math.floor(k / 10);
      const d = k % 10;
      // deterministic noise with many distinct values (an honest reading seldom repeats)
      const hash = (x: number) => { const v = Math.sin(x) * 43_758.5453; return v - Math.floor(v) - 0.5; };
      const u = hash(d * 12.9898 + r * 78.233);
      const w = hash(d * 39.346 + r * 11.135);
      return ev({ kind: 'telemetry', device: `D-${100 + d}`, ts: T0 + r * 10_000 + d * 300, metrics: { temperature: Math.round((28 + d * 0.05 + u * 0.4) * 100) / 100, humidity: Math.round((80 + w * 2) * 100) / 100 } });
    });

  it('a login from a public address is password guessing from the first attempt; one from the operations centre is not', async () => {
    const { alerts, scores } = await titles([auth(0), ev({ kind: 'auth', device: 'D-2', ts: T0 + 5000, user: 'maint', outcome: 'failure', src: '10.0.5.11' })]);
    expect(alerts).toEqual(['D-1 password_guessing']);
    expect(scores).toEqual([100, 0]);
  });

  it('the first telnet probe to a public address, and a flow to the internet, are flagged; city traffic is not', async () => {
    const flood = ev({ kind: 'net', device: 'D-3', ts: T0 + 1000, src: '10.0.0.3', dst: '198.51.100.9', dport: 80, proto: 'tcp', bytes: 300_000, packets: 5000 });
    const city = ev({ kind: 'net', device: 'D-4', ts: T0 + 2000, src: '10.0.0.4', dst: '10.0.0.10', dport: 8883, proto: 'tcp', bytes: 1800, packets: 10 });
    const { alerts, scores } = await titles([net(0, '203.0.113.1'), flood, city]);
    expect(alerts.sort()).toEqual(['D-1 mirai_scan', 'D-3 ddos']);
    expect(scores).toEqual([100, 100, 0]);
  });

  it('an injected reading, a replayed run of readings and a clone between the beats raise their categories', async () => {
    const events = fleet(20);
    const t = T0 + 200_000;
    const sent = events.filter((e) => e.vigil.entity.id === 'D-101').slice(5, 8);
    events.push(ev({ kind: 'telemetry', device: 'D-100', ts: t, metrics: { temperature: 49.1, humidity: 80 } }));
    sent.forEach((e, i) => events.push(ev({ kind: 'telemetry', device: 'D-101', ts: t + 300 + i * 10_000, metrics: e.vigil.metrics as Record<string, number> })));
    events.push(ev({ kind: 'telemetry', device: 'D-102', ts: t + 600 + 4_500, metrics: { temperature: 28.1, humidity: 80.2 } }));
    events.sort((a, b) => a.vigil.ts - b.vigil.ts);
    const { alerts } = await titles(events);
    expect(alerts.sort()).toEqual(['D-100 sensor_injection', 'D-101 replay', 'D-102 impersonation']);
  });

  it('a clone on the beat whose readings carry more decimals than the kind reports is impersonation; the fleet raises nothing', async () => {
    const events = fleet(20).map((e) => ev({ kind: 'telemetry', device: e.vigil.entity.id, ts: e.vigil.ts, metrics: { ...(e.vigil.metrics as Record<string, number>), fps: 25 } }));
    expect((await titles(events)).alerts).toEqual([]);
    events.push(ev({ kind: 'telemetry', device: 'D-103', ts: T0 + 200_000 + 900, metrics: { temperature: 28.2, humidity: 80.1, fps: 26.5 } }));
    expect((await titles(events)).alerts).toEqual(['D-103 impersonation']);
  });
});
