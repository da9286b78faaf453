/**
 * A real Kafka broker for the live tests: .ci/kafka/broker.sh (Apache Kafka in KRaft mode,
 * jars from Maven Central) as a child process on free loopback ports, which a test can stop,
 * SIGKILL and start again on the same data folder. `KAFKA_BROKERS`, when set, names a broker
 * the tests use instead (and never restart).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, repoRoot, tempDir } from './helpers.js';

const script = join(repoRoot, '.ci', 'kafka', 'broker.sh');
const jars = join(repoRoot, '.ci', 'kafka', 'target', 'dependency');

/** Why no broker can be started here, or undefined when one can. */
export function kafkaUnavailable(): string | undefined {
  if (process.env.KAFKA_BROKERS) return undefined;
  if (spawnSync('java', ['-version']).status !== 0) return 'java is not installed';
  if (!existsSync(jars) && spawnSync('mvn', ['-v']).status !== 0) return 'the Kafka jars are not resolved (.ci/kafka: mvn dependency:copy-dependencies) and mvn is not installed';
  return undefined;
}

export interface TestBroker {
  brokers: string[];
  /** Whether this broker is ours to stop and restart (not one named by KAFKA_BROKERS). */
  owned: boolean;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startBroker(): Promise<TestBroker> {
  const external = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
  if (external && external.length > 0) {
    return { brokers: external, owned: false, stop: async () => {}, start: async () => {}, close: async () => {} };
  }
  const port = await freePort();
  const cport = await freePort();
  const tmp = tempDir('vigil-kafka-');
  let child: ChildProcess | undefined;
  let log = '';
  const brokers = [`127.0.0.1:${port}`];
  const start = async () => {
    log = '';
    const c = spawn('bash', [script, '--port', String(port), '--controller-port', String(cport), '--dir', tmp.dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8_000)));
    child = c;
    await ready(brokers, c, () => log);
  };
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    brokers,
    owned: true,
    stop,
    start,
    close: async () => {
      await stop();
      tmp.cleanup();
    },
  };
}

/** Waits until the broker answers metadata requests (first start resolves jars: minutes). */
async function ready(brokers: string[], child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 240_000;
  const admin = new Kafka({ clientId: 'vigil-test-ready', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Kafka broker exited with ${child.exitCode}:\n${log()}`);
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      return;
    } catch {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`the Kafka broker did not come up in 240 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
