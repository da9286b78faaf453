/**
 * The device families' feature lists, each declared once: the model's inputs in this
 * order, and the named slots (`slots.ts`) every extractor writes through. Three event
 * kinds, three families, each with its own model: a telemetry reading, a network flow and
 * a login have nothing in common.
 */
import { slots } from '../slots.js';

export const TELEMETRY_FEATURES = [
  /** log1p of the largest robust z of any numeric metric against the device's baseline. */
  'metric_z_max_log',
  /** log1p of the mean robust z over the numeric metrics. */
  'metric_z_mean_log',
  /** log1p of the largest step (change since the last clean report) against the usual step. */
  'step_z_max_log',
  /** |log(interval / usual interval)|: the reporting rhythm. */
  'rhythm',
  /**
   * An earlier reading sent again (not simply the last one repeated): the improbability of
   * the repeat in bits (each metric's usual step over its resolution), summed over a run of
   * repeats in their original order; 0 when the reading is new.
   */
  'replay_bits',
  /** log1p of the rarity (−log frequency) of the device's string/boolean states. */
  'state_rarity',
  /** 1 when the set of metric names differs from the previous report. */
  'schema_change',
  /** log1p of the largest robust z of any metric against devices of the same kind (same metric names) now. */
  'peer_z_max_log',
  /** log1p of the largest, over metrics, of the smaller of the own and the peer z: off both baselines at once. */
  'both_z_max_log',
  /** Distance, in reporting periods (0–0.5), of the reading from the nearest beat of the device's rhythm (0 on the beat): a second sender. */
  'offbeat',
  /** 1 when a metric that only ever grew (a cumulative counter) went back by more than two of its usual steps. */
  'counter_back',
  /** 1 when a metric shows more decimals than its learnt resolution (a sender that formats its readings differently). */
  'finer_resolution',
  /**
   * log1p of the RMS, over metrics compared with peers, of the change in the device's offset
   * from its peers' centre against its usual offset (in the peers' spread; the uncertainty of
   * a usual offset learnt from few readings allowed for): the device moved among its peers.
   */
  'peer_shift_log',
] as const;

export const NET_FEATURES = [
  /** log1p of distinct destination addresses in the window. */
  'dst_distinct_log',
  /** log1p of distinct destination ports in the window. */
  'port_distinct_log',
  /** log1p of flows to telnet (23, 2323) in the window. */
  'telnet_log',
  /** log1p of flows per second in the window. */
  'flow_rate_log',
  /** log1p of bytes per second in the window. */
  'byte_rate_log',
  /** log1p of packets per second in the window. */
  'packet_rate_log',
  /** log1p of bytes per packet of this flow. */
  'bytes_per_packet_log',
  /** 1 when the destination is new for this device (after its first 50 flows). */
  'new_dst',
  /** 1 when the source address differs from the one this device usually uses. */
  'src_change',
  /** log1p of the flow rate against the device's own usual rate. */
  'flow_rate_z_log',
  /** 1 when the destination is a public address (outside RFC 1918/6598, loopback, link-local). */
  'dst_public',
  /** 1 when the device id already came from another address and this one's /24 is used by fewer than 3 devices (after 10 were seen). */
  'src_foreign',
  /** log1p of the packet rate in the window against the device's own usual packet rate. */
  'packet_rate_z_log',
  /** log1p of the byte rate in the window against the device's own usual byte rate. */
  'byte_rate_z_log',
] as const;

export const AUTH_FEATURES = [
  /** log1p of failed logins in the window. */
  'fail_log',
  /** Failed / all logins in the window. */
  'fail_ratio',
  /** log1p of distinct user names tried in the window. */
  'users_log',
  /** 1 for a failure. */
  'failure',
  /** 1 when the source address is new for this device. */
  'new_src',
  /** 1 when the source is a public address: a login from beyond the city network's edge. */
  'src_public',
  /** log1p of failed logins from this source address on any device in the window. */
  'src_fails_log',
  /** 1 when no device has seen a login from this source before (after the fleet's first 20 logins). */
  'src_new_fleet',
] as const;

export interface DeviceWindows {
  /** Network window, milliseconds. @default 10000 */
  netWindowMs: number;
  /** Authentication window, milliseconds. @default 60000 */
  authWindowMs: number;
}
export const DEFAULT_DEVICE_WINDOWS: DeviceWindows = { netWindowMs: 10_000, authWindowMs: 60_000 };

export const TELEMETRY = slots(TELEMETRY_FEATURES);
export const NET = slots(NET_FEATURES);
export const AUTH = slots(AUTH_FEATURES);
