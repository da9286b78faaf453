import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { DetectorError } from '../errors.js';
import type { RuleBook } from './book.js';

/** The starter pack shipped with Vigil (this folder's *.yml). */
export const STARTER_PACK_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Adds every `*.yml`/`*.yaml` file of `dir` (sorted by name, so correlations follow their rules). */
export async function loadRuleDir(book: RuleBook, dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const ids: string[] = [];
  for (const f of files) {
    const text = await readFile(join(dir, f), 'utf8');
    try {
      ids.push(...book.add(text));
    } catch (err) {
      if (err instanceof DetectorError) throw new DetectorError(err.code, `${f}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  return ids;
}

/** What happened to one rule file of an import. */
export interface FileResult {
  file: string;
  ids: string[];
  error?: { code: string; message: string };
}

/**
 * Adds rule files and folders (searched recursively for `*.yml` / `*.yaml`), each file on
 * its own: one bad file is reported and the others still load. A file that refers to a
 * rule of a later file (a correlation beside its rules) is retried once all others are in.
 */
export async function loadRuleFiles(book: RuleBook, paths: readonly string[]): Promise<FileResult[]> {
  const files: string[] = [];
  for (const p of paths) files.push(...(await ruleFiles(p)));
  const results = new Map<string, FileResult>();
  let pending = files;
  for (let round = 0; round < 3 && pending.length > 0; round++) {
    const again: string[] = [];
    for (const file of pending) {
      const r = await addFile(book, file);
      results.set(file, r);
      if (r.error?.code === 'RULE_NOT_FOUND') again.push(file);
    }
    if (again.length === pending.length) break;
    pending = again;
  }
  return files.map((f) => results.get(f)!);
}

async function addFile(book: RuleBook, file: string): Promise<FileResult> {
  try {
    return { file, ids: book.add(await readFile(file, 'utf8')) };
  } catch (err) {
    if (err instanceof DetectorError) return { file, ids: [], error: { code: err.code, message: err.message } };
    const e = err as NodeJS.ErrnoException;
    return { file, ids: [], error: { code: e.code ?? 'READ_FAILED', message: e.message } };
  }
}

async function ruleFiles(path: string): Promise<string[]> {
  const s = await stat(path);
  if (!s.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await ruleFiles(full)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** The rules folder of a data directory: `vigil rules import` writes there, the detector reads it at start. */
export function rulesFolder(dataDir: string): string {
  return join(dataDir, 'rules');
}

/**
 * Loads the detector's rule sources: `starter` (Vigil's pack, where any error is a bug and
 * stops the start) and folders of the operator's rules, where a file that does not load is
 * reported through `warn` and skipped, and an absent folder is nothing to load.
 */
export async function loadRuleSources(book: RuleBook, sources: readonly string[], warn: (msg: string) => void): Promise<void> {
  for (const src of sources) {
    if (src === 'starter') {
      await loadRuleDir(book, STARTER_PACK_DIR);
      continue;
    }
    if (!existsSync(src)) continue;
    const results = await loadRuleFiles(book, [src]);
    for (const r of results) if (r.error) warn(`rules: ${r.file} not loaded: ${r.error.message}`);
    const ids = new Set(results.flatMap((r) => r.ids));
    const silent = book.list().filter((r) => ids.has(r.id) && !r.status.canFire).length;
    if (silent > 0) warn(`rules: ${silent} of ${ids.size} rules from ${src} cannot fire here (no source for their logsource or fields; see vigil rules list)`);
  }
}
