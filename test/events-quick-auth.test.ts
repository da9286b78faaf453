import { describe, expect, it } from 'vitest';
import { canonicalJson, eventJson, hasValidId, resolveValidationOptions, validateInput } from '../events/index.js';
import { validateBySchema } from '../events/validate.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const options = resolveValidationOptions({ now: () => NOW });
const TS = NOW - 60_000;
const valid: Record<string, unknown> = {
  kind: 'auth',
  device: 'gw-17',
  ts: TS,
  user: 'root',
  outcome: 'failure',
  src: '203.0.113.9',
  sport: 50122,
  method: 'ssh',
  app: 'sshd',
  pid: 4242,
  message: 'Failed password for root from 203.0.113.9 port 50122 ssh2',
  seq: 3,
};

describe('the hand-checked path for authentication outcomes', () => {
  // Values at, just inside and just outside every bound, of every JSON type, and strings that need escaping or cannot be encoded.
  const choices: Record<string, unknown[]> = {
    device: ['D-17', 'a', 'x'.repeat(128), 'x'.repeat(129), '-D', 'D 1', '', 7, null],
    ts: [TS, TS + 0.4, TS + 0.5, NOW + 600_000, NOW + 600_001, Date.UTC(2000, 0, 1), Date.UTC(2000, 0, 1) - 1, new Date(TS).toISOString(), Infinity, NaN, -0, null],
    user: ['admin', '', 'u'.repeat(256), 'u'.repeat(257), 'a"b', 'tab\there', 'back\\slash', '\u0001', '\ud800', 'é😀', 5, null],
    outcome: ['success', 'failure', 'FAILURE', '', null, 1],
    src: [undefined, '10.0.0.1', '::1', 'fe80::1%eth0', '10.0.0.256', 'x'.repeat(46), '', 3, null],
    sport: [undefined, 0, -0, 65_535, 65_536, -1, 1.5, '22', null],
    method: [undefined, 'ssh', 'telnet', '', 'm'.repeat(32), 'm'.repeat(33), 'p"w', '\ud83d', 4],
    app: [undefined, 'sshd', '', 'a'.repeat(48), 'a'.repeat(49), 'a\nb', null],
    pid: [undefined, 0, -0, 4242, 2 ** 53 - 1, 2 ** 53, -1, 2.5, '1'],
    message: [undefined, '', 'Failed password for root', 'quote " and \\ and \u001f', 'm'.repeat(65_536), 'm'.repeat(65_537), '\udc00 lone', 'ünï😀', 1, null],
    seq: [undefined, 0, -0, 118, 2 ** 53 - 1, 2 ** 53, 1.5, -1, '1', null],
  };
  const extras: Array<Record<string, unknown>> = [{}, {}, {}, {}, { extra: 1 }, JSON.parse('{"__proto__": 1}') as Record<string, unknown>, { kind: 'AUTH' }];

  it('accepts and rejects exactly what the schema does, and makes the same event', () => {
    let seed = 29;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let accepted = 0;
    for (let i = 0; i < 6000; i++) {
      const input: Record<string, unknown> = { kind: 'auth' };
      for (const key of Object.keys(choices)) {
        const value = rand() < 0.8 ? valid[key] : choices[key]![Math.floor(rand() * choices[key]!.length)];
        if (value !== undefined || rand() < 0.5) input[key] = value;
      }
      if (rand() < 0.1) delete input[Object.keys(choices)[Math.floor(rand() * 4)]!];
      Object.assign(input, extras[Math.floor(rand() * extras.length)]);
      const fast = validateInput(input, options);
      const reference = validateBySchema(input, options);
      expect(fast, JSON.stringify(input)).toEqual(reference);
      if (fast.ok && reference.ok) {
        accepted++;
        expect(fast.event.id).toBe(reference.event.id);
        expect(hasValidId(fast.event)).toBe(true);
        // The text stored is the one hashed: the schema path's canonical encoding of the same content.
        const { id, ...content } = reference.event;
        expect(eventJson(fast.event)).toBe(`{"id":"${id}",${canonicalJson(content).slice(1)}`);
      }
    }
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(5500);
  });

  it('gives an sshd failure the same id on both paths, with and without its optional fields', () => {
    for (const drop of [[], ['src'], ['sport'], ['method'], ['app', 'pid'], ['pid'], ['app'], ['message'], ['seq'], ['src', 'sport', 'method', 'app', 'pid', 'message', 'seq']]) {
      const input = Object.fromEntries(Object.entries(valid).filter(([k]) => !drop.includes(k)));
      const fast = validateInput(input, options);
      const reference = validateBySchema(input, options);
      if (!fast.ok || !reference.ok) throw new Error(`expected valid without ${drop.join(', ')}`);
      expect(fast.event).toEqual(reference.event);
      expect(fast.event.id).toBe(reference.event.id);
    }
  });
});
