import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configFromFlags, loadConfig, resolveConfig } from '../pipeline/config.js';
import { tempDir } from './helpers.js';

describe('configuration layers', () => {
  it('takes the file, then VIGIL_* variables, then flags, each overriding the one before', () => {
    const tmp = tempDir();
    writeFileSync(join(tmp.dir, 'vigil.config.yaml'), 'api:\n  port: 4100\n  host: 0.0.0.0\nmqtt:\n  broker:\n    port: 1999\nsyslog:\n  port: 6000\n');
    const config = loadConfig({ cwd: tmp.dir, env: { VIGIL_API_PORT: '4200', VIGIL_MQTT_PORT: '2000' }, flags: { mqtt: { broker: { port: 2001 } } } });
    expect(config.api).toMatchObject({ port: 4200, host: '0.0.0.0' });
    expect(config.mqtt.broker.port).toBe(2001);
    expect(config.syslog.port).toBe(6000);
    expect(config.sources).toEqual([join(tmp.dir, 'vigil.config.yaml'), 'environment']);
    tmp.cleanup();
  });

  it('runs the broker and syslog for vigil start unless a layer turns them off', () => {
    const tmp = tempDir();
    const on = loadConfig({ cwd: tmp.dir, env: {} });
    expect([on.mqtt.broker.enabled, on.syslog.enabled, on.mqtt.broker.port, on.syslog.port]).toEqual([true, true, 1883, 5514]);
    const off = loadConfig({ cwd: tmp.dir, env: { VIGIL_SYSLOG: 'false' }, flags: configFromFlags({ mqttBroker: false }, () => true) });
    expect([off.mqtt.broker.enabled, off.syslog.enabled]).toEqual([false, false]);
    // A node built in code runs no listeners it was not asked for.
    expect(resolveConfig({}).mqtt.broker.enabled).toBe(false);
    tmp.cleanup();
  });

  it('reads --config FILE in JSON and lists from the environment', () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'custom.json');
    writeFileSync(file, JSON.stringify({ kafka: { brokers: ['k1:9092'] }, bus: { type: 'kafka' } }));
    const config = loadConfig({ file, cwd: tmp.dir, env: { VIGIL_KAFKA_TOPICS: 'city.bsm, city.iot' } });
    expect(config.kafka.topics).toEqual(['city.bsm', 'city.iot']);
    expect(config.bus.type).toBe('kafka');
    tmp.cleanup();
  });

  it('uses only the flags the user gave, not their displayed defaults', () => {
    const flags = configFromFlags({ port: 4000, mqttPort: 1883, syslogPort: 7000, kafkaBrokers: 'a:1,b:2' }, (o) => o === 'syslogPort' || o === 'kafkaBrokers');
    expect(flags).toEqual({ syslog: { port: 7000 }, kafka: { brokers: ['a:1', 'b:2'] } });
  });

  it('takes extra rule folders from --rules and from VIGIL_RULES, none by default', () => {
    const tmp = tempDir();
    expect(loadConfig({ cwd: tmp.dir, env: {} }).detector.rules).toEqual([]);
    expect(loadConfig({ cwd: tmp.dir, env: { VIGIL_RULES: 'sigma/linux, sigma/network' } }).detector.rules).toEqual(['sigma/linux', 'sigma/network']);
    const flags = configFromFlags({ rules: ['/srv/rules'] }, (o) => o === 'rules');
    expect(loadConfig({ cwd: tmp.dir, env: { VIGIL_RULES: 'ignored' }, flags }).detector.rules).toEqual(['/srv/rules']);
    tmp.cleanup();
  });
});

describe('a wrong option fails at start, naming its key', () => {
  const fails = (f: () => unknown): ConfigError => {
    try {
      f();
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  it.each([
    ['an unknown key in the file', { mqtt: { broker: { prot: 1 } } }, 'mqtt.broker.prot', /unknown key/],
    ['a port out of range', { syslog: { port: 70_000 } }, 'syslog.port', /65535/],
    ['a bus type that does not exist', { bus: { type: 'rabbit' } }, 'bus.type', /memory|kafka/],
    ['a Kafka bus without brokers', { bus: { type: 'kafka' } }, 'kafka.brokers', /broker/],
    ['a username without a password', { mqtt: { broker: { username: 'u' } } }, 'mqtt.broker.password', /both/],
    ['a broker URL that is not MQTT', { mqtt: { client: { url: 'http://x' } } }, 'mqtt.client.url', /mqtt:\/\//],
  ])('%s', (_what, input, key, message) => {
    const err = fails(() => resolveConfig(input));
    expect(err.key).toBe(key);
    expect(err.message).toContain(key);
    expect(err.message).toMatch(message);
  });

  it('names the environment variable of a bad value', () => {
    const tmp = tempDir();
    const err = fails(() => loadConfig({ cwd: tmp.dir, env: { VIGIL_MQTT_PORT: '18x3' } }));
    expect(err.key).toBe('mqtt.broker.port');
    expect(err.message).toMatch(/VIGIL_MQTT_PORT/);
    tmp.cleanup();
  });

  it('names the file that is not valid YAML', () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'vigil.config.yaml');
    writeFileSync(file, 'api: [unclosed\n');
    const err = fails(() => loadConfig({ cwd: tmp.dir, env: {} }));
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/YAML/);
    tmp.cleanup();
  });

  it('refuses a --config file that does not exist', () => {
    const tmp = tempDir();
    expect(() => loadConfig({ cwd: tmp.dir, file: 'nope.json', env: {} })).toThrow(/nope\.json: cannot read it \(ENOENT\)/);
    tmp.cleanup();
  });
});
