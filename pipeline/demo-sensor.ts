/**
 * The demo's sensor key: the demo's collectors run open on loopback, but a person trying
 * `--require-keys` or an MQTT subscription to city traffic needs a key, so `vigil start
 * --demo` makes one (every entity, subscribe `city/#`) on first start, in a file only the
 * owner can read, as `vigil sensor create` would print it. The node ledgers it at start.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SensorKeyStore } from '../store/index.js';

const NAME = 'demo sensor';

export function ensureDemoSensorKey(keys: SensorKeyStore, dataDir: string, now: () => number): { path: string; created: boolean } {
  const path = join(dataDir, 'demo-sensor-key.json');
  if (keys.list().some((k) => k.name === NAME && k.revokedAt === null)) return { path, created: false };
  const { secret, record } = keys.create({ name: NAME, scope: { entities: ['*'], rsus: ['*'], subscribe: ['city/#'] }, actor: 'vigil start --demo', role: 'admin' }, now());
  writeFileSync(path, `${JSON.stringify({ key: secret, id: record.id, entities: record.entities, subscribe: record.subscribe }, null, 2)}\n`, { mode: 0o600 });
  return { path, created: true };
}
