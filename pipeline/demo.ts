/**
 * What `vigil start --demo` adds so a person can look at once: a sign-in token per role,
 * made on first start. Tokens are stored hashed like any other; their plaintext is shown
 * once, in a file only the owner can read, as `vigil token create` would print it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createToken, listTokens } from '../api/index.js';
import type { SqliteStore } from '../store/index.js';

export const DEMO_ROLES = ['analyst', 'authority', 'auditor', 'admin'] as const;

/** Make the demo tokens if the node has no token yet; returns the file that holds them. */
export function ensureDemoTokens(store: SqliteStore, dataDir: string, now: () => number): { path: string; created: boolean } {
  const path = join(dataDir, 'demo-tokens.json');
  if (listTokens(store).length > 0) return { path, created: false };
  const tokens: Record<string, string> = {};
  for (const role of DEMO_ROLES) tokens[role] = createToken(store, { name: `demo ${role}`, role, createdBy: 'vigil start --demo' }, now).token;
  writeFileSync(path, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  return { path, created: true };
}

export function demoTokensExist(dataDir: string): boolean {
  return existsSync(join(dataDir, 'demo-tokens.json'));
}
