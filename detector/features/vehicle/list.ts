/**
 * The vehicle family's features, listed once. The model reads the leading ones, up to
 * VEHICLE_MODEL_WIDTH; each is normalised by the noise learnt from the deployment's traffic
 * (a z-score, a NIS, a surprise in nats, a ratio to the vehicle's own rate), so a model
 * trained in one city reads the same scale in another. The rest are for rules only.
 */
import { slots } from '../slots.js';

export const VEHICLE_FEATURES = [
  /** log of the seconds since this vehicle's previous message over its own learnt interval (±3); 0 for the first. */
  'dt_rel',
  /** log1p of the position's NIS against the track's prediction (chi-square, 2 dof, under the noise model). */
  'pos_nis_log',
  /** log1p of the NIS against the track remembered from before a jump (0: none): a constant offset stays visible. */
  'offset_nis_log',
  /** |reported speed − track speed| / its σ (track velocity variance and learnt speed noise). */
  'speed_z',
  /** |smoothed signed speed z| (5 s time constant) / its learnt scale: a small sustained speed offset. */
  'drift_z',
  /** |reported heading − track course| / its σ (course variance at the track's speed and learnt heading noise). */
  'heading_z',
  /** |reported acceleration − the speed change it explains| / learnt speed-step noise (0 without accel). */
  'accel_z',
  /** Speed change beyond 1 g over the interval / speed-step noise. */
  'accel_excess_z',
  /** Cornering (speed × heading change) beyond 1 g over the interval / its noise. */
  'lateral_excess_z',
  /** Reported hard braking (beyond 0.3 g) that the speeds do not show / speed-step noise. */
  'brake_z',
  /** The z of an abrupt stop, held while the vehicle stands (a frozen "eventual stop" begins with one). */
  'stop_z',
  /** Messages in the last second over the number the vehicle's own learnt interval gives. */
  'rate_rel',
  /** log1p of the sequence gap that lost messages (at most 10 Hz) cannot explain; a counter going back counts too. */
  'seq_gap_log',
  /** 1 when the exact kinematic state was sent before (by anyone) and not as this vehicle's last message. */
  'replay',
  /** 1 when another identity sent exactly this speed and heading within 3 σ of this place 0.3–10 s ago. */
  'replay_near',
  /** Other identities within the noise of this place, speed and heading in the same second. */
  'colocated',
  /** log1p of metres beyond the receiving unit's range, in units of the position σ. */
  'rsu_beyond_z',
  /** log1p of metres by which two units hearing this identity within a second are too far apart. */
  'rsu_conflict_log',
  /** log1p of metres beyond the nearest road's carriageway, in units of the position σ. */
  'road_z',
  /** log1p of seconds a new identity has kept formation (fixed place, speed, heading within noise) beside another. */
  'formation_log',
  /** log1p of the surprise (nats) of the current run of exactly repeated non-zero speed under the vehicle's speed noise. */
  'speed_repeat_s',
  /** log1p of the surprise (nats) of the current run of exactly repeated position under the vehicle's position noise. */
  'pos_repeat_s',
  /** log1p of how far this message's ts lies behind the vehicle's newest, in its own intervals. */
  'behind_log',
  /** log1p of how far it lies behind the newest ts its roadside unit received, in the vehicle's intervals. */
  'late_log',
  /** Reported speed, m/s. Rule only. */
  'speed',
  /** m/s beyond the highest plausible road speed (bounds.ts). Rule only. */
  'speed_excess',
  /** Metres the position moved since the previous message beyond the fastest road vehicle plus two worst-case GNSS errors (bounds.ts). Rule only. */
  'teleport_m',
  /** Metres outside the service area / position σ (0 inside, or with no area). Rule only. */
  'area_out_z',
  /** Messages from this identity in the last second (saturates at 33). Rule only. */
  'rate_1s',
  /** The position's NIS against the track (chi-square, 2 dof). Rule only. */
  'pos_nis',
  /** NIS against the remembered pre-jump track. Rule only. */
  'offset_nis',
  /**
   * Metres the position lies farther from the vehicle's last trusted fix than its reported
   * speeds carried it since (a straight line is never longer than the path), in σ of that
   * difference (two fixes' position noise and the speeds' noise over the interval). Rule only.
   */
  'reach_z',
  /** Identities first heard in the last second by this message's roadside unit, for an identity itself new (0 otherwise). Rule only. */
  'arrivals_1s',
  /**
   * Metres between the position and where the reported speeds and headings carried the
   * vehicle from its last trusted fix (a vector), in σ of that difference (two fixes'
   * position noise, the speeds' noise over the interval, the headings' over the distance);
   * the smaller of this message's and the previous one's. Rule only.
   */
  'dead_reckoning_z',
  /**
   * Metres between where the vehicle's trusted fixes went over a horizon of seconds and where
   * its reported speeds carried it (too short beyond the straight line, or too long along the
   * reported headings), in σ of two fixes' position noise and the speeds' noise over the
   * horizon (odometer.ts): a lie about speed alone. Counted only while the message's own speed
   * is off the track's on the same side, the smaller of this message's and the previous one's. Rule only.
   */
  'speed_audit_z',
] as const;

/** The model reads the features before this one. */
export const VEHICLE_MODEL_WIDTH = VEHICLE_FEATURES.indexOf('speed');

export const S = slots(VEHICLE_FEATURES);
