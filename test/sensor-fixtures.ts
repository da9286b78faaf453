/** Sensor keys for tests: made in a running node's store and ledgered, as `vigil sensor create` would. */
import type { VigilNode } from '../pipeline/node.js';
import type { SensorKeyScope } from '../store/index.js';

export async function sensorKey(node: VigilNode, scope: Partial<SensorKeyScope>, name = 'test sensor'): Promise<{ secret: string; id: string }> {
  const { secret, record } = node.sensorKeys.create({ name, scope: { entities: [], rsus: [], subscribe: [], ...scope }, actor: 'test', role: 'admin' }, Date.now());
  // A key works once its creation is in the ledger; the node's timer would do this within a second.
  await node.analysis!.api.sensorKeyActions!.flush();
  return { secret, id: record.id };
}
