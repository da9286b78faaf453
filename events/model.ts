/**
 * Vigil's one normalised event. Field names follow the Elastic Common Schema where ECS has
 * one (`@timestamp`, `event.*`, `source.ip`, `destination.port`, `network.*`, `user.name`,
 * `observer.name`, `device.id`, `host.name`, `log.syslog.*`, `message`); what ECS lacks
 * lives under `vigil.*`:
 *
 * | field | meaning |
 * |---|---|
 * | `vigil.kind` | the input format: `bsm`, `telemetry`, `net`, `auth`, `log`, `can` |
 * | `vigil.ts` | `@timestamp` as epoch milliseconds (what the detector computes with) |
 * | `vigil.entity.id`, `vigil.entity.type` | who the event is about: a `vehicle`, a `device`, or a `host` (syslog) |
 * | `vigil.vehicle.{lat,lon,speed,heading,accel,seq,pos_accuracy,heading_accuracy}` | a basic safety message: degrees WGS-84, m/s, degrees from north, m/s², the sender's counter, 1-sigma position (m) and heading (°) accuracy after SAE J2735 |
 * | `vigil.metrics.<name>` | a device's telemetry reading (number, boolean or short string) |
 * | `vigil.can.{id,pgn,priority,sa,da,dlc,data,iface}` | a CAN frame, with its J1939 fields decoded from the 29-bit id |
 *
 * Ingest metadata (which collector, when it arrived) is deliberately not part of the event:
 * the event's id and its ledger hash cover what the sender said, and the same message
 * arriving twice (an MQTT redelivery, a retried HTTP post) is the same event.
 *
 * `agent` (ECS `agent.*`: who delivered the event — the sensor key, MQTT credential or TLS
 * client certificate) is kept on the stored event but is not covered by its id, like `id`
 * itself: a sender that retries an unacknowledged batch after its key was rotated, or
 * through another authorised path, is still sending the same message, and two ids for it
 * would show the detector a replay that never happened. The credential is proved all the
 * same: the event's ledger leaf names it beside the id (pipeline/analysis.ts).
 */

export const INPUT_KINDS = ['bsm', 'telemetry', 'net', 'auth', 'log', 'can'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];
export type EntityType = 'vehicle' | 'device' | 'host';
export type MetricValue = number | boolean | string;

export interface VehicleKinematics {
  /** Latitude, degrees WGS-84. */
  lat: number;
  /** Longitude, degrees WGS-84. */
  lon: number;
  /** Speed, m/s. */
  speed: number;
  /** Heading, degrees clockwise from north, [0, 360). */
  heading: number;
  /** Longitudinal acceleration, m/s². */
  accel?: number;
  /** The sender's per-vehicle message counter. */
  seq?: number;
  /** SAE J2735 PositionalAccuracy: semi-major axis of the 1-sigma position error ellipse, metres, (0, 1000]. */
  pos_accuracy?: number;
  /** SAE J2735 HeadingConfidence: heading error, 1 sigma, degrees, (0, 180]. */
  heading_accuracy?: number;
}

export interface CanFrame {
  /** The 29-bit (or 11-bit) arbitration id, upper-case hex without 0x. */
  id: string;
  /** J1939 parameter group number (decoded from a 29-bit id). */
  pgn?: number;
  /** J1939 priority, 0–7. */
  priority?: number;
  /** J1939 source address. */
  sa?: number;
  /** J1939 destination address (PDU1 formats only). */
  da?: number;
  dlc: number;
  /** Payload bytes, upper-case hex. */
  data: string;
  iface?: string;
}

export interface VigilEvent {
  /** Stable id: hex SHA-256 of the RFC 8785 canonical encoding of the rest of the event. */
  id: string;
  '@timestamp': string;
  event: {
    kind: 'event';
    category: string[];
    type: string[];
    action: string;
    dataset: string;
    outcome?: 'success' | 'failure' | 'unknown';
    /** Ordinal among otherwise identical inputs with the same timestamp (input field `seq` of can, auth, log). */
    sequence?: number;
    /**
     * ECS event.original: the input as received, when its source keeps originals (config
     * `ingest.preserveOriginal`; events/original.ts). Not covered by `id`, like `agent`; its
     * SHA-256 is in the event's ledger leaf.
     */
    original?: string;
  };
  vigil: {
    kind: InputKind;
    ts: number;
    entity: { id: string; type: EntityType };
    vehicle?: VehicleKinematics;
    metrics?: Record<string, MetricValue>;
    can?: CanFrame;
  };
  source?: { ip?: string; port?: number };
  destination?: { ip?: string; port?: number };
  network?: { transport?: string; bytes?: number; packets?: number; protocol?: string };
  user?: { name: string };
  /**
   * The credential that delivered the event (ECS agent.*): `type` is `sensor-key`,
   * `mqtt-user` or `tls-client`; `id` the key id or the certificate's SHA-256 fingerprint.
   * Absent on an open (unauthenticated) collector. Not covered by `id` (see above).
   */
  agent?: { id: string; name?: string; type: string };
  /** The roadside unit (or gateway) that received the message. */
  observer?: { name: string; type?: string };
  device?: { id: string };
  host?: { name: string };
  process?: { name?: string; pid?: number };
  log?: {
    level?: string;
    /** ECS log.source.address: the address the log line was received from (a syslog sender). */
    source?: { address: string };
    syslog?: {
      facility?: { code: number };
      severity?: { code: number };
      version?: number;
      msgid?: string;
      structured_data?: Record<string, Record<string, string>>;
    };
  };
  message?: string;
}

/** An event as it was received: the verbatim input alongside the normalised event. */
export interface IngestRecord {
  event: VigilEvent;
  /** Collector that received it (`http`, `mqtt`, `syslog-udp`, `file`, `simulator`, …). */
  source: string;
  /** Epoch milliseconds when Vigil received it. */
  receivedAt: number;
}

export function entityOf(event: VigilEvent): string {
  return event.vigil.entity.id;
}
