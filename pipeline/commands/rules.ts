/**
 * `vigil rules list | import | test`: Sigma rules as files. The detector reads Vigil's
 * starter pack and the data directory's `rules/` folder at start; `import` checks files
 * against both and copies those that load into that folder; `test` runs one rule over a file
 * of events and says which match and why the others do not.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { syslogToItem } from '../../collectors/index.js';
import { DetectorError, loadRuleFiles, loadRuleSources, RuleBook, rulesFolder, type FileResult, type RuleHit, type RuleListing } from '../../detector/index.js';
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../../events/index.js';
import { DEFAULT_DATA_DIR } from '../config.js';

interface Common {
  dataDir: string;
  rules?: string[];
  json?: boolean;
}

/** Starter pack, the data directory's rules and any `--rules` folders, as the detector would load them. */
async function openBook(o: Common): Promise<RuleBook> {
  const book = new RuleBook();
  const warn = (msg: string): void => {
    if (!o.json) process.stderr.write(`${msg}\n`);
  };
  await loadRuleSources(book, ['starter', rulesFolder(o.dataDir), ...(o.rules ?? [])], warn);
  return book;
}

const statusText = (r: RuleListing): string => (r.status.canFire ? 'can fire' : `cannot fire: ${r.status.reason ?? ''}`);

export function register(program: Command): void {
  const rules = program.command('rules').description('Sigma rules: list them with their status, import files, test one on events');
  const common = (c: Command): Command =>
    c
      .option('--data-dir <dir>', 'the data directory whose rules/ folder the detector reads', DEFAULT_DATA_DIR)
      .option('--rules <DIR>', 'another folder of rules to load (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--json', 'print JSON');

  common(rules.command('list').description('every rule the detector would load, with whether it can fire here and, if not, what is missing')).action(async (o: Common) => {
    const book = await openBook(o);
    const list = book.list();
    if (o.json) {
      process.stdout.write(`${JSON.stringify(list.map((r) => ({ id: r.id, title: r.title, kind: r.kind, type: r.type, level: r.level, enabled: r.enabled, status: r.status })))}\n`);
      return;
    }
    for (const r of list) process.stdout.write(`${r.id}\t${r.kind}${r.type ? `/${r.type}` : ''}\t${r.level}\t${r.enabled ? 'enabled' : 'disabled'}\t${statusText(r)}\t${r.title}\n`);
    const firing = list.filter((r) => r.status.canFire).length;
    process.stderr.write(`${list.length} rules, ${firing} can fire, ${list.length - firing} cannot\n`);
  });

  common(
    rules
      .command('import')
      .description('check Sigma rule files and folders (searched recursively) and copy those that load into <data-dir>/rules')
      .argument('<paths...>', 'rule files (.yml) or folders of them, e.g. a SigmaHQ checkout'),
  ).action(async (paths: string[], o: Common) => {
    for (const p of paths) if (!existsSync(p)) throw new DetectorError('RULE_NOT_FOUND', `${p} does not exist`);
    const book = await openBook(o);
    const results = await loadRuleFiles(book, paths);
    const dir = rulesFolder(o.dataDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const listing = new Map(book.list().map((r) => [r.id, r]));
    const copied = await copyLoaded(results, dir);
    const report = results.map((r) => ({ file: r.file, ids: r.ids, error: r.error, canFire: r.ids.map((id) => listing.get(id)!.status.canFire), to: copied.get(r.file) }));
    if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      for (const r of report) {
        const what = r.error ? `not imported: ${r.error.message}` : `imported as ${r.to}${r.canFire.every(Boolean) ? '' : ` (${r.canFire.filter((c) => !c).length} cannot fire here)`}`;
        process.stdout.write(`${r.file}\t${what}\n`);
      }
    }
    const ok = report.filter((r) => !r.error);
    const fire = ok.filter((r) => r.canFire.every(Boolean)).length;
    process.stderr.write(`${ok.length} of ${report.length} files imported into ${dir} (${fire} can fire here); restart the node or add them through the API to run them\n`);
    if (ok.length < report.length) process.exitCode = 1;
  });

  common(
    rules
      .command('test')
      .description('run one rule over a file of events: which match, and why the others do not')
      .argument('<RULE>', 'a rule file (.yml), or the id or name of a loaded rule')
      .requiredOption('--events <FILE>', 'events: NDJSON input records (one JSON object a line) or syslog lines'),
  ).action(async (rule: string, o: Common & { events: string }) => {
    const book = await openBook(o);
    let id = book.list().find((r) => r.id === rule || r.name === rule)?.id;
    if (!id) {
      if (!existsSync(rule)) throw new DetectorError('RULE_NOT_FOUND', `${rule} is neither a rule file nor a loaded rule's id or name`);
      id = book.add(await readFile(rule, 'utf8'))[0];
    }
    const target = book.list().find((r) => r.id === id)!;
    const events = await readEvents(o.events);
    const report = testRule(book, target, events);
    if (o.json) process.stdout.write(`${JSON.stringify({ rule: { id: target.id, title: target.title, status: target.status }, events: report })}\n`);
    else {
      process.stdout.write(`rule ${target.id} (${target.title}): ${statusText(target)}\n`);
      for (const r of report) process.stdout.write(`#${r.line}\t${r.matched ? 'MATCH' : 'no match'}\t${r.reasons.join('; ')}\n`);
      process.stderr.write(`${report.filter((r) => r.matched).length} of ${report.length} events match\n`);
    }
  });
}

/** Copies each file that loaded into `dir` (through a temporary name, so a half-written rule is never read). */
async function copyLoaded(results: readonly FileResult[], dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of results) {
    if (r.error) continue;
    const name = `${r.ids[0]!.replace(/[^A-Za-z0-9._-]/g, '_')}-${basename(r.file)}`;
    const to = join(dir, name);
    await copyFile(r.file, `${to}.tmp`);
    await rename(`${to}.tmp`, to);
    out.set(r.file, to);
  }
  return out;
}

interface Line {
  line: number;
  event?: VigilEvent;
  error?: string;
}

/** NDJSON input records or syslog lines, each validated as a collector would. */
async function readEvents(file: string): Promise<Line[]> {
  const validation = resolveValidationOptions({ now: () => Date.now() });
  const lines = (await readFile(file, 'utf8')).split('\n');
  const out: Line[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    if (text.trimStart().startsWith('{')) {
      const r = parseJsonRecord(text, validation);
      out.push(r.ok ? { line: i + 1, event: r.event } : { line: i + 1, error: rejectionText(r) });
      return;
    }
    const item = syslogToItem(Buffer.from(text), { address: '127.0.0.1' }, validation);
    out.push(item.event ? { line: i + 1, event: item.event } : { line: i + 1, error: rejectionText(item) });
  });
  return out;
}

function rejectionText(item: unknown): string {
  const r = (item as { rejection?: { code: string; message: string } }).rejection;
  return r ? `not an event: ${r.code}: ${r.message}` : 'not an event';
}

/** For a detection rule, each event's explanation; for a correlation, where it fired. */
function testRule(book: RuleBook, rule: RuleListing, events: Line[]): Array<{ line: number; matched: boolean; reasons: string[] }> {
  return events.map((l, i) => {
    if (!l.event) return { line: l.line, matched: false, reasons: [l.error ?? 'not an event'] };
    if (rule.kind === 'detection') {
      const x = book.explain(rule.id, { event: l.event });
      return { line: l.line, matched: x.matched, reasons: x.matched ? [] : x.reasons };
    }
    const hits: RuleHit[] = [];
    book.evaluate({ event: l.event }, i, hits);
    const mine = hits.filter((h) => h.rule.id === rule.id);
    const fired = mine.find((h) => !h.continuing);
    return { line: l.line, matched: fired !== undefined, reasons: fired ? [fired.detail ?? 'fired'] : mine.length > 0 ? ['part of the finding it already raised'] : ['the correlation does not fire on this event'] };
  });
}
