import { readdir, readFile } from 'node:fs/promises';
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
