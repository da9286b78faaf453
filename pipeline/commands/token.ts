/**
 * `vigil token create|list|revoke`: API tokens, kept (hashed) in the node's database. This
 * works while the node runs (SQLite WAL lets both write), so an operator can bootstrap the
 * first admin token from the machine itself; later tokens can also be made through the
 * API's `createToken` mutation, which the ledger records.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createToken, listTokens, revokeToken } from '../../api/index.js';
import { ROLES, SqliteStore, type Role } from '../../store/index.js';
import { DEFAULT_DATA_DIR } from '../config.js';
import { userInfo } from 'node:os';

function roleOption(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`--role: expected one of ${ROLES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as Role;
}

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
    .option('--data-dir <dir>', 'the node data directory', DEFAULT_DATA_DIR)
    .option('--json', 'print {"token", "id", "name", "role"} as JSON')
    .action((opts: { role: Role; name: string; dataDir: string; json?: boolean }) => {
      const { token: secret, record } = withStore(opts.dataDir, (store) =>
        createToken(store, { name: opts.name, role: opts.role, createdBy: `cli:${safeUser()}` }),
      );
      if (opts.json) process.stdout.write(`${JSON.stringify({ token: secret, id: record.id, name: record.name, role: record.role })}\n`);
      else {
        process.stdout.write(`${secret}\n`);
        process.stderr.write(`token ${record.id} for ${record.name} (${record.role}) created; it is shown only now — use it as "Authorization: Bearer <token>"\n`);
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
        const state = t.revokedAt !== null ? `revoked ${new Date(t.revokedAt).toISOString()}` : t.lastUsedAt !== null ? `last used ${new Date(t.lastUsedAt).toISOString()}` : 'never used';
        process.stdout.write(`${t.id}  ${t.role.padEnd(9)}  ${t.name}  (${state})\n`);
      }
    });

  token
    .command('revoke')
    .description('revoke a token by id')
    .argument('<id>', 'the token id (from `vigil token list`)')
    .option('--data-dir <dir>', 'the node data directory', DEFAULT_DATA_DIR)
    .action((id: string, opts: { dataDir: string }) => {
      const rec = withStore(opts.dataDir, (store) => revokeToken(store, id));
      process.stderr.write(`token ${rec.id} (${rec.name}) revoked\n`);
    });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
