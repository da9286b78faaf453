/** The live Kafka tests' common frame: one broker per describe block, an admin client on it. */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { startBroker, type TestBroker } from './kafka-broker.js';

export interface LiveKafka {
  broker: TestBroker;
  kafka: Kafka;
  admin: Admin;
}

/**
 * Starts a broker before the enclosing describe block's tests (it can take minutes on a
 * loaded machine) and stops it after them; the fields are set once `beforeAll` has run.
 */
export function useLiveKafka(clientId: string): LiveKafka {
  const live = {} as LiveKafka;
  beforeAll(async () => {
    live.broker = await startBroker();
    live.kafka = new Kafka({ clientId, brokers: live.broker.brokers, logLevel: logLevel.NOTHING });
    live.admin = live.kafka.admin();
    await live.admin.connect();
  }, 300_000);
  afterAll(async () => {
    await live.admin?.disconnect().catch(() => {});
    await live.broker?.close();
  });
  return live;
}
