/**
 * Per-device IoT features, one module per check family: telemetry against baselines (the
 * device's own and its peers', metric.ts, telemetry.ts), the rhythm of its reports
 * (rhythm.ts), replayed readings (replay.ts), network flows (network.ts) and logins
 * (auth.ts). The feature lists, and the slots every module writes through, are names.ts.
 */
import type { VigilEvent } from '../../../events/index.js';
import { AuthFeatures } from './auth.js';
import { DEFAULT_DEVICE_WINDOWS, type DeviceWindows } from './names.js';
import { NetFeatures } from './network.js';
import { TelemetryFeatures } from './telemetry.js';

export { AUTH_FEATURES, DEFAULT_DEVICE_WINDOWS, NET_FEATURES, TELEMETRY_FEATURES } from './names.js';
export type { DeviceWindows } from './names.js';

export class DeviceFeatures {
  private readonly telemetry = new TelemetryFeatures();
  private readonly net: NetFeatures;
  private readonly auth: AuthFeatures;

  constructor(windows: DeviceWindows = DEFAULT_DEVICE_WINDOWS) {
    this.net = new NetFeatures(windows.netWindowMs);
    this.auth = new AuthFeatures(windows.authWindowMs);
  }

  /** Devices seen, by any of the three event kinds. */
  get entities(): number {
    return new Set([...this.telemetry.entities, ...this.net.entities, ...this.auth.entities]).size;
  }

  /** Forgets the state of devices last heard before `before` (epoch ms); returns how many device states went. */
  evictIdle(before: number): number {
    return this.telemetry.evictIdle(before) + this.net.evictIdle(before) + this.auth.evictIdle(before);
  }

  extractTelemetry(event: VigilEvent, out: Float32Array, offset: number): void {
    this.telemetry.extract(event, out, offset);
  }

  extractNet(event: VigilEvent, out: Float32Array, offset: number): void {
    this.net.extract(event, out, offset);
  }

  extractAuth(event: VigilEvent, out: Float32Array, offset: number): void {
    this.auth.extract(event, out, offset);
  }
}
