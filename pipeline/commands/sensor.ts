/**
 * `vigil sensor create|list|revoke`: the collectors' sensor keys, kept (hashed) in the node's
 * database. Like `vigil token`, this works on the node's machine while the node runs (SQLite
 * WAL); each change is queued with its ledger action in one transaction, and the node
 * ledgers it within a second (or when it next starts). A new key works only from then on;
 * a revocation takes effect at once. Through the API: `createSensorKey`, `revokeSensorKey`.
 */
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { sensorKeyName, sensorKeyScope } from '../../api/index.js';
import { SensorKeyStore, SqliteStore } from '../../store/index.js';

function withKeys<T>(dataDir: string, fn: (keys: SensorKeyStore) => T): T {
  const store = SqliteStore.open({ dataDir: resolve(dataDir) });
  try {
    return fn(new SensorKeyStore(store.db));
  } finally {
    store.close();
  }
}

const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== ''),
];

export function register(program: Command): void {
  const sensor = program.command('sensor').description('manage sensor keys: who may send events to HTTP ingest and the MQTT broker');

  sensor
    .command('create')
    .description('create a sensor key and print it once')
    .requiredOption('--name <name>', 'what the key is for (recorded as the agent of its events)')
    .option('--entities <list>', 'vehicle, device or host ids it may report, comma-separated; * wildcards (V-00*)', list)
    .option('--rsus <list>', 'roadside units whose relayed BSMs it may deliver', list)
    .option('--subscribe <list>', 'MQTT topic filters it may subscribe to (city/v2x/V-0001/#)', list)
    .option('--data-dir <dir>', 'the node data directory', './data')
    .option('--json', 'print {"key", "id", "name", "entities", "rsus", "subscribe"} as JSON')
    .action((opts: { name: string; entities?: string[]; rsus?: string[]; subscribe?: string[]; dataDir: string; json?: boolean }) => {
      const name = sensorKeyName(opts.name);
      const scope = sensorKeyScope(opts);
      const { secret, record } = withKeys(opts.dataDir, (keys) => keys.create({ name, scope, actor: `cli:${safeUser()}`, role: 'admin' }, Date.now()));
      if (opts.json) process.stdout.write(`${JSON.stringify({ key: secret, id: record.id, name: record.name, ...scope })}\n`);
      else {
        process.stdout.write(`${secret}\n`);
        process.stderr.write(
          `sensor key ${record.id} for ${record.name} created; it is shown only now. It works once the node has recorded it in the ledger (within a second while it runs, else at its next start). HTTP: "Authorization: Bearer <key>"; MQTT: the key as the CONNECT password\n`,
        );
      }
    });

  sensor
    .command('list')
    .description('list sensor keys (never their secrets)')
    .option('--data-dir <dir>', 'the node data directory', './data')
    .option('--json', 'print JSON')
    .action((opts: { dataDir: string; json?: boolean }) => {
      const keys = withKeys(opts.dataDir, (k) => k.list());
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(keys)}\n`);
        return;
      }
      if (keys.length === 0) process.stderr.write('no sensor keys\n');
      for (const k of keys) {
        const state = k.revokedAt !== null ? `revoked ${new Date(k.revokedAt).toISOString()}` : k.activeAt !== null ? 'active' : 'waiting for the ledger';
        process.stdout.write(`${k.id}  ${k.name}  entities=${k.entities.join(',') || '-'} rsus=${k.rsus.join(',') || '-'} subscribe=${k.subscribe.join(',') || '-'}  (${state})\n`);
      }
    });

  sensor
    .command('revoke')
    .description('revoke a sensor key by id (at once; MQTT sessions using it end within a second)')
    .argument('<id>', 'the key id (from `vigil sensor list`)')
    .option('--data-dir <dir>', 'the node data directory', './data')
    .action((id: string, opts: { dataDir: string }) => {
      const { record } = withKeys(opts.dataDir, (keys) => keys.revoke(id, { actor: `cli:${safeUser()}`, role: 'admin' }, Date.now()));
      process.stderr.write(`sensor key ${record.id} (${record.name}) revoked\n`);
    });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
