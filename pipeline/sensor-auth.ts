/**
 * The collectors' `SensorAuthenticator` port over the node's sensor-key table
 * (store/sensor-keys.ts). A presented secret is hashed and looked up by its hash: no secret
 * is compared in JS, and a revoked key stops working at the next request or poll.
 */
import type { SensorAuthenticator, SensorPrincipal } from '../collectors/index.js';
import { SENSOR_KEY_PREFIX, hashSensorKey, type SensorKeyStore } from '../store/index.js';

export function sensorAuthenticator(keys: SensorKeyStore): SensorAuthenticator {
  return {
    authenticate(secret: string): SensorPrincipal | undefined {
      if (!secret.startsWith(SENSOR_KEY_PREFIX) || secret.length > 256) return undefined;
      const rec = keys.keyByHash(hashSensorKey(secret));
      return rec && { keyId: rec.id, name: rec.name, entities: rec.entities, rsus: rec.rsus, subscribe: rec.subscribe };
    },
    isLive: (keyId) => keys.isLive(keyId),
  };
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** A collector that authenticates nobody, and where it listens. */
export interface OpenListener {
  what: string;
  host: string;
}

/** The collectors of this configuration that take input from anyone. */
export function openListeners(config: {
  api: { host: string };
  ingest: { requireKeys: boolean };
  mqtt: { broker: { enabled: boolean; host: string; username?: string | undefined } };
  syslog: { enabled: boolean; host: string; udp: boolean; tcp: boolean };
}): OpenListener[] {
  const open: OpenListener[] = [];
  if (!config.ingest.requireKeys) open.push({ what: 'HTTP ingest (POST /ingest)', host: config.api.host });
  const b = config.mqtt.broker;
  if (b.enabled && !config.ingest.requireKeys && b.username === undefined) open.push({ what: 'the MQTT broker', host: b.host });
  const s = config.syslog;
  if (s.enabled && s.udp) open.push({ what: 'syslog UDP', host: s.host });
  if (s.enabled && s.tcp) open.push({ what: 'syslog TCP', host: s.host });
  return open;
}
