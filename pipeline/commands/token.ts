/**
 * `vigil token create|list|revoke`: API tokens, kept (hashed) in the node's database. This
 * works while the node runs (SQLite WAL lets both write), so an operator can bootstrap the
 * first admin token from the machine itself; later tokens can also be made through the
 * API's `createToken` mutation. Every token made or revoked here is an action in the
 * history, which the node appends to the ledger (within seconds while it runs, else at its
 * next start: pipeline/token-actions.ts).
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ApiError, createToken, DEFAULT_TOKEN_LIFETIME_MS, listTokens, parseLifetime, revokeToken, tokenAction } from '../../api/index.js';
import { ROLES, SqliteStore, type Role } from '../../store/index.js';
import { DEFAULT_DATA_DIR } from '../config.js';
import { userInfo } from 'node:os';

function roleOption(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`--role: expected one of ${ROLES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as Role;
}

function lifetimeOption(value: string): number | null {
  try {
    return parseLifetime(value);
  } catch (err) {
    throw new InvalidArgumentError(`--expires: ${err instanceof ApiError ? err.message.replace(/^expires: /, '') : String(err)}`);
  }
}

const LEDGER_NOTE = 'recorded as a ledger action (appended by the node: now if it runs, else at its next start)';

function withStore<T>(dataDir: string, fn: (store: SqliteStore) => T): T {
  const store = SqliteStore.open({ dataDir: resolve(dataDir) });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export function register(program: Command): void {
  const token = program.command('token').description('manage API tokens (stored as SHA-256 hashes)');

  token
    .command('create')
    .description('create a token and print it once')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, roleOption)
    .requiredOption('--name <name>', 'who the token is for (shown as the actor in the audit trail)')
    .option('--expires <duration>', `lifetime: 30d, 12h, 90m, 2w, or never (default ${DEFAULT_TOKEN_LIFETIME_MS / 86_400_000}d)`, lifetimeOption)
    .option('--data-dir <dir>', 'the node data directory', DEFAULT_DATA_DIR)
    .option('--json', 'print {"token", "id", "name", "role", "expiresAt"} as JSON')
    .action((opts: { role: Role; name: string; expires?: number | null; dataDir: string; json?: boolean }) => {
      const actor = `cli:${safeUser()}`;
      const { token: secret, record } = withStore(opts.dataDir, (store) => {
        const made = createToken(store, { name: opts.name, role: opts.role, createdBy: actor, ...(opts.expires !== undefined ? { lifetimeMs: opts.expires } : {}) });
        store.recordAction(tokenAction('token.create', null, made.record, actor));
        return made;
      });
      const expires = record.expiresAt === null ? 'never expires' : `expires ${new Date(record.expiresAt).toISOString()}`;
      if (opts.json) process.stdout.write(`${JSON.stringify({ token: secret, id: record.id, name: record.name, role: record.role, expiresAt: record.expiresAt })}\n`);
      else {
        process.stdout.write(`${secret}\n`);
        process.stderr.write(`token ${record.id} for ${record.name} (${record.role}) created, ${expires}; ${LEDGER_NOTE}; it is shown only now — use it as "Authorization: Bearer <token>"\n`);
      }
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--data-dir <dir>', 'the node data directory', DEFAULT_DATA_DIR)
    .option('--json', 'print JSON')
    .action((opts: { dataDir: string; json?: boolean }) => {
      const tokens = withStore(opts.dataDir, (store) => listTokens(store));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(tokens)}\n`);
        return;
      }
      if (tokens.length === 0) process.stderr.write('no tokens\n');
      for (const t of tokens) {
        const used = t.lastUsedAt !== null ? `last used ${new Date(t.lastUsedAt).toISOString()}` : 'never used';
        const expiry = t.expiresAt === null ? 'no expiry' : `${t.expiresAt <= Date.now() ? 'expired' : 'expires'} ${new Date(t.expiresAt).toISOString()}`;
        const state = t.revokedAt !== null ? `revoked ${new Date(t.revokedAt).toISOString()}` : `${used}, ${expiry}`;
        process.stdout.write(`${t.id}  ${t.role.padEnd(9)}  ${t.name}  (${state})\n`);
      }
    });

  token
    .command('revoke')
    .description('revoke a token by id')
    .argument('<id>', 'the token id (from `vigil token list`)')
    .option('--data-dir <dir>', 'the node data directory', DEFAULT_DATA_DIR)
    .action((id: string, opts: { dataDir: string }) => {
      const rec = withStore(opts.dataDir, (store) => {
        const before = store.listTokens().find((t) => t.id === id);
        const after = revokeToken(store, id);
        // Revoking twice changes nothing, so it is recorded once.
        if (before && before.revokedAt === null) store.recordAction(tokenAction('token.revoke', before, after, `cli:${safeUser()}`));
        return after;
      });
      process.stderr.write(`token ${rec.id} (${rec.name}) revoked; ${LEDGER_NOTE}\n`);
    });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
