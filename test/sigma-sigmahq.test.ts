/**
 * SigmaHQ's rules (a pinned copy of rules/linux, network, web and application in
 * ../shared/sigma, Detection Rule License 1.1, read in place and never copied here) as a
 * new user would bring them: each must load, say whether Vigil has a source for what it
 * reads, and — when it has — fire on a sample line written from the rule's own detection.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { syslogToItem } from '../collectors/index.js';
import { defaultSigmaMapping, loadRuleFiles, RuleBook, type RuleHit } from '../detector/index.js';
import { resolveLogsource } from '../detector/rules/index.js';
import { resolveValidationOptions, validateInput, type VigilEvent } from '../events/index.js';
import { samplesFor, type Sample } from './sigma-samples.js';

const SIGMA = join(import.meta.dirname, '..', '..', 'shared', 'sigma');
const RULES = join(SIGMA, 'rules');
const present = existsSync(RULES);
const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const validation = resolveValidationOptions({ now: () => T0 });

async function ruleFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await ruleFiles(p)));
    else if (e.name.endsWith('.yml')) out.push(p);
  }
  return out.sort();
}

/** Vigil field → value, from a sample in the rule's field names, through the mapping. */
function toVigilFields(sample: Sample, logsource: unknown): { fields: Map<string, unknown>; message: string } | undefined {
  const ls = resolveLogsource(defaultSigmaMapping(), logsource);
  if (!ls) return undefined;
  const fields = new Map<string, unknown>();
  for (const [name, v] of sample.fields) {
    if (Object.hasOwn(ls.constants, name)) continue; // the source fixes it
    const t = ls.field(name);
    const value = t.values && v !== undefined ? t.values[String(v).toLowerCase()] : v;
    fields.set(t.field, value);
  }
  for (const [k, v] of Object.entries(ls.conditions ?? {})) fields.set(k.split('|')[0]!, Array.isArray(v) ? v[0] : v);
  for (const [k, v] of fields) {
    // fieldref: both fields hold one value
    if (v && typeof v === 'object' && 'ref' in v) {
      const other = ls.field(String((v as { ref: string }).ref)).field;
      const same = fields.get(other) ?? 'same-value';
      fields.set(other, same);
      fields.set(k, same);
    }
  }
  const message = [fields.get('message'), ...sample.keywords].filter((x) => x !== undefined && x !== '').join(' ');
  fields.delete('message');
  return { fields, message };
}

/** The input line (a syslog datagram or a net record) carrying `fields`, or why none can. */
function writeEvent(kinds: string[], fields: Map<string, unknown>, message: string): VigilEvent | string {
  if (kinds.includes('log') || kinds.includes('auth')) {
    const known = new Set(['process.name', 'process.pid', 'host.name', 'vigil.entity.id']);
    const extra = [...fields.keys()].filter((k) => !known.has(k));
    if (extra.length === 0) {
      const host = String(fields.get('host.name') ?? fields.get('vigil.entity.id') ?? 'gw-01');
      const app = String(fields.get('process.name') ?? 'app');
      const pid = String(fields.get('process.pid') ?? 4242);
      const line = `<86>1 ${new Date(T0).toISOString()} ${host} ${app} ${pid} - - ${message || 'sample'}`;
      const item = syslogToItem(Buffer.from(line), { address: '10.20.0.5' }, validation);
      return item.event ?? `syslog line rejected: ${item.rejection?.message}`;
    }
    if (!kinds.includes('net')) return `a syslog line carries no ${extra.join(', ')}`;
  }
  if (kinds.includes('net')) {
    const rec: Record<string, unknown> = { kind: 'net', device: 'gw-01', ts: T0, src: '10.0.0.7', dst: '10.0.0.9', dport: 443, proto: 'tcp', bytes: 100, packets: 1 };
    const at: Record<string, string> = { 'source.ip': 'src', 'destination.ip': 'dst', 'destination.port': 'dport', 'source.port': 'sport', 'network.transport': 'proto', 'network.bytes': 'bytes', 'network.packets': 'packets', 'vigil.entity.id': 'device', 'device.id': 'device' };
    for (const [k, v] of fields) {
      if (!at[k]) return `a net record carries no ${k}`;
      rec[at[k]] = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    }
    const r = validateInput(rec, validation);
    return r.ok ? r.event : `net record rejected: ${r.rejection.message}`;
  }
  return `no input line for kinds ${kinds.join('/')}`;
}

/** Ordinary events of each source: what no SigmaHQ rule should fire on. */
const NEUTRAL: VigilEvent[] = [
  writeEvent(['log'], new Map([['process.name', 'sshd']]), 'Connection closed by 10.0.0.3 port 51122 [preauth]'),
  writeEvent(['log'], new Map([['process.name', 'cron']]), '(root) CMD (run-parts /etc/cron.hourly)'),
  writeEvent(['net'], new Map(), ''),
].map((e) => {
  if (typeof e === 'string') throw new Error(e);
  return e;
});

/** Whether the rule in `text` fires on one of the samples written from its detection. */
function fireOnSample(text: string): { fired: boolean; why: string } {
  const doc = parseAllDocuments(text)[0]!.toJSON() as Record<string, unknown>;
  const ls = resolveLogsource(defaultSigmaMapping(), doc.logsource)!;
  const reasons: string[] = [];
  for (const sample of samplesFor(doc.detection as Record<string, unknown>)) {
    const mapped = toVigilFields(sample, doc.logsource)!;
    const event = writeEvent(ls.kinds, mapped.fields, mapped.message);
    if (typeof event === 'string') {
      reasons.push(event);
      continue;
    }
    const book = new RuleBook();
    const [id] = book.add(text);
    const hits: RuleHit[] = [];
    book.evaluate({ event }, 0, hits);
    if (hits.some((h) => h.rule.id === id)) {
      // and not on an ordinary line of the same source: a rule that fires on anything proves nothing
      const plain: RuleHit[] = [];
      for (const e of NEUTRAL) book.evaluate({ event: e }, 0, plain);
      if (plain.length > 0) return { fired: false, why: `also fires on an ordinary line (${plain.length})` };
      return { fired: true, why: event.message ?? '' };
    }
    reasons.push(`no match on ${JSON.stringify(event.message ?? event.destination ?? {})}`);
  }
  return { fired: false, why: reasons.slice(0, 2).join('; ') || 'no sample' };
}

describe.skipIf(!present)(present ? 'SigmaHQ rules from ../shared/sigma' : `SigmaHQ rules (skipped: ${RULES} is absent)`, () => {
  it('load (at least 95 %), say what they lack, and every rule Vigil has the fields for fires on a sample line written from its detection', async () => {
    const files = await ruleFiles(RULES);
    expect(files.length).toBe(407);
    const book = new RuleBook();
    const results = await loadRuleFiles(book, files);
    const listing = new Map(book.list().map((r) => [r.id, r]));
    const rows: string[] = [];
    let loaded = 0;
    let canFire = 0;
    let fired = 0;
    const silent: string[] = [];
    for (const r of results) {
      const name = relative(RULES, r.file);
      if (r.error) {
        rows.push(`${name}\tnot loaded\t${r.error.code}: ${r.error.message}`);
        continue;
      }
      loaded++;
      const status = listing.get(r.ids[0]!)!.status;
      if (!status.canFire) {
        rows.push(`${name}\tloaded\tcannot fire: ${status.reason}`);
        continue;
      }
      canFire++;
      const f = fireOnSample(readFileSync(r.file, 'utf8'));
      if (f.fired) fired++;
      else silent.push(`${name}: ${f.why}`);
      rows.push(`${name}\tloaded\tcan fire\t${f.fired ? 'fired' : `DID NOT FIRE: ${f.why}`}`);
    }
    console.log(`${rows.join('\n')}\n\nSigmaHQ rules: ${files.length}; loaded ${loaded} (${((100 * loaded) / files.length).toFixed(1)} %); can fire ${canFire}; fired on their sample ${fired} of ${canFire}`);
    expect(loaded / files.length).toBeGreaterThanOrEqual(0.95);
    expect(canFire).toBeGreaterThan(0);
    expect(silent).toEqual([]);
  }, 120_000);
});
