/**
 * Per-vehicle kinematic plausibility features (after BITS and the VeReMi plausibility
 * checks), computed over each vehicle's own recent track rather than one message alone.
 *
 * Every message a vehicle sends is a claim; these features measure how far the claims
 * disagree with each other (position against speed, speed against acceleration, heading
 * against the direction actually travelled), with physics (acceleration and lateral
 * acceleration bounds), with the radio (the receiving roadside unit's range, two distant
 * units hearing one identity at once), with the road network, and with other vehicles
 * (replayed payloads, identities that occupy the same place at the same time: Sybil).
 */
import type { VigilEvent } from '../../events/index.js';
import { angleDiffDeg, bearingDeg, distanceM } from '../geo.js';
import { beyondRange, RoadIndex, type CityMap } from './city.js';

export const VEHICLE_FEATURES = [
  /** log1p of seconds since this vehicle's previous message (at most 5 s). */
  'dt_log',
  /** |speed implied by positions ~1 s apart − mean reported speed|, m/s. */
  'speed_err',
  /** |acceleration implied by reported speeds − reported accel|, m/s². */
  'accel_err',
  /** Implied longitudinal acceleration beyond the physical bound, m/s². */
  'accel_excess',
  /** Lateral acceleration (turn rate × speed) beyond the bound, m/s². */
  'lateral_excess',
  /** log1p of metres the position moved beyond what the reported speeds allow. */
  'jump_log',
  /** Degrees between reported heading and the direction actually travelled. */
  'heading_err',
  /** Messages from this identity in the last second (saturates at 33: the last 32 are kept). */
  'rate_1s',
  /** log1p of the sequence gap that lost messages (at most 10 Hz over the elapsed time) cannot explain; a counter going back counts too. */
  'seq_gap_log',
  /** 1 when the exact payload was sent before (by anyone) and not as this vehicle's last message. */
  'replay',
  /** log1p of metres beyond the receiving roadside unit's range. */
  'rsu_beyond_log',
  /** log1p of metres by which two units hearing this identity within a second are too far apart. */
  'rsu_conflict_log',
  /** log1p of metres to the nearest road. */
  'road_dist_log',
  /** Other identities at (nearly) the same place, speed and heading within the same second. */
  'colocated',
  /** 1 while the vehicle reports standing still after an implausibly abrupt stop. */
  'stop_abrupt',
  /** log1p of how many consecutive messages repeat exactly the same non-zero speed (at most 30). */
  'speed_const_log',
  /** Reported braking the speeds do not show: max(0, implied accel − reported accel) when braking hard. */
  'brake_mismatch',
  /** Reported speed, m/s. */
  'speed',
  /**
   * |reported speed − the speed the track predicts|, m/s: the displacement over the last
   * 3–8 s (which beats GPS noise), corrected by the trusted speeds of that stretch and the
   * reported acceleration since the previous message. 0 without such a stretch.
   */
  'speed_err_long',
  /** 1 when another identity reported exactly this speed and heading within 3 m in the last 10 s (a neighbour's replayed state). */
  'replay_near',
  /** 1 when this message follows the identity's previous one by less than 80 ms (BSMs are at most 10 Hz): a flood. */
  'fast_gap',
  /**
   * log1p of seconds this identity has, since it first appeared, kept a fixed place (±2 m)
   * 4–50 m from another identity with its speed (±0.5 m/s) and heading (±1°): a Sybil ghost
   * in formation with its sender. Only a newly appeared identity counts, so the sender, which
   * was there before, is not the one flagged.
   */
  'formation_log',
  /**
   * m/s by which the positions show a speed held exactly unchanged false (0: they do not).
   * Two tests, the larger counts: (1) the mean speed of the run's path (1 s chords since the
   * run began) against the held speed, beyond a few per cent plus GPS noise over the run;
   * (2) the smaller of two errors over 2.5 m/s at least 3 s apart, each against positions
   * 0.8–2.5 s back, kept for the rest of the run. A speed stuck at a value shown false stays
   * suspect when the truth later passes near it. Only positions since the track was last
   * steady count (a frozen or offset position disagrees with a true speed: that lie is the
   * position's). For rules only: the model does not read it.
   */
  'speed_held_err',
  /**
   * m/s by which the step from an accepted speed to the one held exactly since exceeds what
   * the reported acceleration explains (beyond 3 m/s²), until the held speed's own path
   * confirms it (0: no such step, or confirmed). A forged constant speed starts with a step
   * its reported acceleration does not show; the path takes seconds to tell a value near the
   * truth false. For rules only.
   */
  'speed_step_held',
] as const;

/**
 * The vehicle model reads the features before this one; the rest are for rules only
 * (features/index.ts, MODEL_FEATURES).
 */
export const VEHICLE_MODEL_WIDTH = VEHICLE_FEATURES.indexOf('speed_held_err');

export interface VehicleBounds {
  /** Largest plausible longitudinal acceleration magnitude, m/s². @default 9 */
  maxAccel: number;
  /** Largest plausible lateral acceleration, m/s². @default 9 */
  maxLateral: number;
  /** Window over which a payload counts as replayed, milliseconds. @default 300000 */
  replayWindowMs: number;
  /** Distance under which two identities count as one place, metres. @default 2 */
  colocatedM: number;
}

export const DEFAULT_VEHICLE_BOUNDS: VehicleBounds = { maxAccel: 9, maxLateral: 9, replayWindowMs: 300_000, colocatedM: 2 };

const RING = 32;
/** Caps of dt_log (seconds) and speed_const_log (repeats). */
const DT_CAP_S = 5;
const SAME_SPEED_CAP = 30;
/** BSMs are sent at most 10 times a second (SAE J2735); closer messages are a flood. */
const MIN_INTERVAL_S = 0.08;
const MAX_HZ = 10;
/** Long-baseline reference: at least this old (position noise / 3 s ≈ 0.2 m/s) … */
const LONG_MIN_MS = 3_000;
/** … at most this old, and no hole in the track longer than LONG_GAP_MS in between. */
const LONG_MAX_MS = 8_000;
const LONG_GAP_MS = 1_500;
/**
 * A message whose speed disagrees with the positions by more than these (m/s; short
 * baseline, long baseline) is not trusted as a reference: later messages are compared with
 * the speed the positions implied instead, so one forged stretch does not make the
 * truthful messages after it look forged.
 */
const TRUST_SPEED_SHORT = 4;
const TRUST_SPEED_LONG = 2;
/**
 * A held speed counts as shown false beyond this many m/s (the honest 0.999 quantile of the
 * position-shown error is 0.93 m/s on the validation run; at 2 m/s one honest cruise of
 * minutes was flagged throughout).
 */
const HELD_SHOWN_M = 2.5;
/** …on two messages at least this far apart, ms (longer than the 2.5 s baseline). */
const HELD_APART_MS = 3_000;
/**
 * A held speed's run is a lie when the mean speed its path shows differs by more than
 * HELD_BIAS_M + HELD_BIAS_SHARE × the speed (a speedometer's calibration error is a few per
 * cent) + HELD_NOISE_M / the run's seconds (GPS noise at both ends of the path: 1.5 m is
 * 3.5 σ of the difference of two fixes 0.3 m off per axis).
 */
const HELD_NOISE_M = 1.5;
/** A held speed that began with an unexplained step is confirmed when its path fits it over at least this many seconds. */
const HELD_CONFIRM_S = 2;
/** m/s² by which a speed step may exceed what the reported acceleration explains (honest 0.999 quantile of accel_err: 2.2). */
const STEP_ACCEL_TOL = 3;
const HELD_BIAS_M = 0.3;
const HELD_BIAS_SHARE = 0.03;
/** Replayed kinematic state: same speed and heading as another identity, this close (m), this recent (ms). */
const REPLAY_NEAR_M = 3;
/** How long the position before a rejected jump is remembered (attack episodes last at most ~30 s), ms. */
const JUMP_MEMORY_MS = 60_000;
/** A track followed this long (ms) replaces the remembered position before an older jump. */
const STEADY_MS = 3_000;
/** Highest plausible speed, m/s (90 km/h in a city): how far a track may have got since an old reference. */
const MAX_SPEED = 25;
const REPLAY_NEAR_MS = 10_000;
/** Formation (Sybil): messages compared within this window (ms), in cells this wide (m); a new identity is one heard for at most FORMATION_START_MS. */
const FORMATION_MS = 1_000;
const FORMATION_CELL_M = 50;
const FORMATION_START_MS = 2_000;
const REPLAY_NEAR_MIN_AGE_MS = 300;

class Track {
  ts = new Float64Array(RING);
  lat = new Float64Array(RING);
  lon = new Float64Array(RING);
  speed = new Float64Array(RING);
  /** The speed later messages are compared with: the reported one if plausible, else what the positions implied. */
  trusted = new Float64Array(RING);
  accel = new Float64Array(RING);
  headings = new Float64Array(RING);
  /** 1 when the position was plausible against the track (a usable reference). */
  ok = new Uint8Array(RING);
  /** 1 when the position jumped (from its reference, or from its predecessor). */
  jmp = new Uint8Array(RING);
  n = 0;
  heading = 0;
  seq = -1;
  sameSpeed = 0;
  /** In the current run of one repeated speed: when the positions first showed it more than HELD_SHOWN_M off, and by how much (−1: not yet). */
  heldFirstTs = -1;
  heldFirstErr = 0;
  /** The run's speed_held_err: shown false twice, at least HELD_APART_MS apart. */
  heldShown = 0;
  /** When the held-speed evidence was last measured. */
  heldCheckTs = -Infinity;
  /** The run's path check: when it began, its last 1 s checkpoint, the path since, and the bias it shows (0: none yet). */
  runStartTs = -1;
  runCkTs = -1;
  runCkLat = 0;
  runCkLon = 0;
  runCkHeading = 0;
  runPath = 0;
  runBias = 0;
  /** speed_step_held of the current run (0: none, or the path confirmed the speed). */
  stepHeld = 0;
  /** Metres per degree of longitude where the track began (a city's extent changes it by < 0.1 %). */
  kx = 0;
  /** 1 from a position break until the track is steady again (three plausible positions in a row). */
  unsettled = 0;
  stopAbrupt = 0;
  /** The newest plausible position, kept when it leaves the ring (a long forged stretch). */
  anchorTs = -1;
  anchorLat = 0;
  anchorLon = 0;
  anchorSpeed = 0;
  /** The plausible reference the last rejected jump was measured from (−1: none pending). */
  jumpTs = -1;
  jumpLat = 0;
  jumpLon = 0;
  jumpSpeed = 0;
  /** When the first message of that jump arrived. */
  jumpAt = -1;
  /**
   * Dead reckoning from the last steady position (drLat/drLon at drAnchorTs): metres east
   * and north the reported speeds and headings since add up to, and the last message
   * integrated (drTs < 0: not available — none yet, or a gap broke it).
   */
  drLat = 0;
  drLon = 0;
  drEast = 0;
  drNorth = 0;
  drTs = -1;
  drAnchorTs = -1;
  drSpeed = 0;
  drHeading = 0;
  /** 1 when the newest message jumped from its predecessor, which was no reference either. */
  unfit = 0;
  /** A run of rejected messages that fit each other: where and when it began (−1: none). */
  runTs = -1;
  runLat = 0;
  runLon = 0;
  /** Metres the run's reported speeds claim since it began. */
  runDist = 0;
  /** Since when messages have continued the track on short baselines (−1: not now). */
  steadySince = -1;
  /** When this identity was first heard. */
  firstTs = -1;
  /** The identities it has kept formation with and at what distance (empty: none). */
  partners: string[] = [];
  partnerDists: number[] = [];
  observer = '';
  observerTs = -Infinity;
  observerLat = 0;
  observerLon = 0;
}

interface SpotEntry {
  id: string;
  ts: number;
  lat: number;
  lon: number;
  speed: number;
  heading: number;
}

interface State extends SpotEntry {
  key: number;
}

interface Payload extends State {
  /** Another payload with the same hash. */
  next: Payload | undefined;
}

const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);
/** A 32-bit hash step over the bits of a double (exact values, no string building). */
function mix(h: number, x: number): number {
  F64[0] = x;
  h = Math.imul(h ^ I32[0]!, 0x9e3779b1);
  h = Math.imul(h ^ I32[1]!, 0x85ebca77);
  return h ^ (h >>> 15);
}

const RAD = Math.PI / 180;
/** Metres per degree of latitude (the sphere `distanceM` uses). */
const M_PER_DEG = 6_371_008.8 * RAD;
/** A longer gap between two messages breaks dead reckoning, s. */
const DR_GAP_S = 2.5;
/**
 * A jumped position this close (m) to where dead reckoning puts the vehicle is the truth.
 * The truth resuming after a forged stretch lands within 1 m (0.9 quantile); a position
 * offset uniformly by ±70 m lands this close one time in a thousand.
 */
const DR_FIT_M = 2.5;

/** Adds one dead-reckoning step to the track: the mean of two messages' velocity vectors over the time between them. */
function drStep(t: Track, ts: number, speed: number, heading: number): void {
  const dt = (ts - t.drTs) / 1000;
  if (dt > DR_GAP_S) {
    t.drTs = -1;
    return;
  }
  const a = t.drHeading * RAD;
  const b = heading * RAD;
  t.drEast += ((t.drSpeed * Math.sin(a) + speed * Math.sin(b)) / 2) * dt;
  t.drNorth += ((t.drSpeed * Math.cos(a) + speed * Math.cos(b)) / 2) * dt;
  t.drTs = ts;
  t.drSpeed = speed;
  t.drHeading = heading;
}

/** `x` limited to `centre` ± `radius`. */
function clamp(x: number, centre: number, radius: number): number {
  return x < centre - radius ? centre - radius : x > centre + radius ? centre + radius : x;
}

export class VehicleFeatures {
  readonly names = VEHICLE_FEATURES;
  private readonly tracks = new Map<string, Track>();
  /** Payloads sent in the replay window, by hash of (lat, lon, speed, heading); colliding ones chained. */
  private readonly payloads = new Map<number, Payload>();
  /** Payload records in time order, and the time each was recorded (a record is refreshed in place). */
  private readonly payloadQueue: Payload[] = [];
  private readonly payloadQueueTs: number[] = [];
  private payloadHead = 0;
  /** Kinematic states of the last REPLAY_NEAR_MS, by hash of (speed, heading), oldest first. */
  private readonly states = new Map<number, State[]>();
  private readonly stateQueue: State[] = [];
  private stateHead = 0;
  private readonly spots = new Map<number, SpotEntry[]>();
  private spotsBucket = -1;
  private readonly formationCells = new Map<number, SpotEntry[]>();
  private formationBucket = -1;
  private readonly roads: RoadIndex | undefined;

  constructor(
    private readonly city: CityMap = {},
    private readonly bounds: VehicleBounds = DEFAULT_VEHICLE_BOUNDS,
  ) {
    this.roads = city.roads && city.roads.length > 0 ? new RoadIndex(city.roads) : undefined;
  }

  get entities(): number {
    return this.tracks.size;
  }

  /** Writes the features of one BSM into `out` at `offset` and advances the vehicle's state. */
  extract(event: VigilEvent, out: Float32Array, offset: number): void {
    const v = event.vigil.vehicle;
    for (let i = 0; i < VEHICLE_FEATURES.length; i++) out[offset + i] = 0;
    if (!v) return;
    const id = event.vigil.entity.id;
    const ts = event.vigil.ts;
    let t = this.tracks.get(id);
    if (!t) {
      t = new Track();
      this.tracks.set(id, t);
    }
    const b = this.bounds;
    const n = t.n;
    const last = (n - 1 + RING) % RING;
    const accelNow = v.accel === undefined ? 0 : Math.max(-b.maxAccel, Math.min(b.maxAccel, v.accel));
    out[offset + 17] = v.speed;
    let posOk = true;
    /** This message resumed the track from before a jump: the stretch since was a lie. */
    let switched = false;
    /** This message jumped from the previous one (not a reference either). */
    let unfit = 0;
    let jumped = false;
    /** The position broke from the one before (a jump, or the track switched back): no speed baseline spans it. */
    let broke = false;
    let trusted = v.speed;

    if (n > 0) {
      const dt = Math.max(0, (ts - t.ts[last]!) / 1000);
      // capped: a long silence is a dead zone as often as anything else (no vehicle attack is silence)
      out[offset] = Math.log1p(Math.min(dt, DT_CAP_S));
      if (dt < MIN_INTERVAL_S) out[offset + 20] = 1;
      const lastSpeed = t.trusted[last]!;
      /** The reference this message was judged against (its time, and trusted speed). */
      let refTs = -1;
      let refSpeed = 0;
      // References are plausible positions only: after a forged stretch the truthful
      // messages are compared with where the vehicle last plausibly was, not with the lie.
      // Short baseline: the newest plausible point at least ~1 s back (over 0.1 s, metre-level
      // noise swamps any speed check). Long baseline: one 3–8 s back with no hole in between.
      const avail = Math.min(n, RING);
      let recent = 1; // messages in the last second, this one included
      let ref = -1;
      let young = -1;
      let long = -1;
      let unbroken = true;
      let after = ts;
      for (let k = 0; k < avail; k++) {
        const j = (n - 1 - k) % RING;
        const age = ts - t.ts[j]!;
        if (age < 1000) recent++;
        if (after - t.ts[j]! > LONG_GAP_MS) unbroken = false;
        after = t.ts[j]!;
        if (t.ok[j] === 1) {
          if (age < 1000) young = j;
          else if (ref < 0) ref = j;
          if (long < 0 && unbroken && age >= LONG_MIN_MS && age <= LONG_MAX_MS) long = j;
        }
        if (ref >= 0 && (long >= 0 || !unbroken || age > LONG_MAX_MS)) break;
      }
      // A reference older than 2.5 s allows any jump a car could make since; a plausible
      // message within the last second checks more tightly (jumps only: over < 0.5 s the
      // position noise swamps the speed).
      const r = ref >= 0 && (young < 0 || ts - t.ts[ref]! <= 2_500) ? ref : young;
      const rTs = r >= 0 ? t.ts[r]! : t.anchorTs;
      refTs = rTs;
      refSpeed = r >= 0 ? t.trusted[r]! : t.anchorSpeed;
      if (rTs >= 0) {
        let judged = this.judge(v, ts, rTs, r >= 0 ? t.lat[r]! : t.anchorLat, r >= 0 ? t.lon[r]! : t.anchorLon, r >= 0 ? t.trusted[r]! : t.anchorSpeed);
        broke = judged.jump > 0;
        if (t.drTs >= 0 && (t.jumpTs < 0 || t.drAnchorTs <= t.jumpTs) && (judged.jump > 0 || (t.ok[last] === 0 && this.judge(v, ts, t.ts[last]!, t.lat[last]!, t.lon[last]!, t.speed[last]!, true).jump > 0))) {
          // The position jumped (from the reference, or from a previous message that was no
          // reference). If it is where the reported speeds and headings since the last
          // steady position put the vehicle, the stretch since then was the lie (a position
          // forged while speed and heading stayed true): the truth resumes here.
          const e = this.drErr(t, ts, v);
          if (e >= 0 && e <= DR_FIT_M) {
            judged = { jump: 0, speedErr: 0, headingErr: 0, speedBad: false, implied: 0 };
            switched = true;
            for (let k = 0; k < avail; k++) {
              const j = (n - 1 - k) % RING;
              if (t.ts[j]! <= t.drAnchorTs) break;
              t.ok[j] = 0;
            }
            // (the jump memory stays: a forged track that happens to continue the dead
            // reckoning, a replay of the vehicle ahead, must not erase the way back)
          }
        }
        if (judged.jump > 0 && t.jumpTs >= 0 && t.jumpTs < rTs) {
          // Which side of a jump lied? If this message fits where the vehicle was before the
          // last jump, the stretch since then was forged: drop it as a reference.
          const before = this.judge(v, ts, t.jumpTs, t.jumpLat, t.jumpLon, t.jumpSpeed, true);
          // (and moves at its reported speed from there, when close enough in time to tell)
          if (before.jump === 0 && !before.speedBad) {
            judged = before;
            switched = true;
            for (let k = 0; k < avail; k++) {
              const j = (n - 1 - k) % RING;
              if (t.ts[j]! <= t.jumpTs) break;
              t.ok[j] = 0;
            }
            t.jumpTs = -1;
          }
        }
        if (judged.jump > 0 && !switched && (t.jumpTs < 0 || (t.steadySince >= 0 && ts - t.steadySince >= STEADY_MS))) {
          // a new jump away from a track followed for a while: remember where it was
          t.jumpTs = rTs;
          t.jumpAt = ts;
          t.jumpLat = r >= 0 ? t.lat[r]! : t.anchorLat;
          t.jumpLon = r >= 0 ? t.lon[r]! : t.anchorLon;
          t.jumpSpeed = r >= 0 ? t.trusted[r]! : t.anchorSpeed;
        } else if (judged.jump === 0 && t.jumpTs >= 0 && rTs < t.jumpAt) {
          // The track continues from before the jump (the jumped stretch was never a
          // reference): the jump is settled. A memory kept past this would later let an
          // unrelated forged point "fit" a position from long ago and erase the truthful track
          // since. Over an old reference the loose allowance proves nothing: check strictly.
          const span = (ts - rTs) / 1000;
          if (span <= 2.5 || this.judge(v, ts, rTs, r >= 0 ? t.lat[r]! : t.anchorLat, r >= 0 ? t.lon[r]! : t.anchorLon, r >= 0 ? t.trusted[r]! : t.anchorSpeed, true).jump === 0) t.jumpTs = -1;
        }
        if (judged.jump === 0 && ts - rTs <= 2_500) {
          if (t.steadySince < 0) t.steadySince = ts;
        } else t.steadySince = -1;
        if (t.jumpTs >= 0 && ts - t.jumpTs > JUMP_MEMORY_MS) t.jumpTs = -1;
        if (ts - rTs > 2_500 && judged.jump === 0 && !switched) {
          // Every reference is old (a rejected stretch): the loose check says nothing about
          // the speed, and a sustained speed lie would become the reference. Check the speed
          // against the positions of the last 0.8–2.5 s whatever their status: a speed lie
          // leaves the positions true.
          const err = this.ownSpeedErr(t, n, avail, ts, v, accelNow);
          if (err >= 0) {
            judged.speedErr = err;
            if (err > TRUST_SPEED_SHORT) {
              judged.speedBad = true;
              judged.implied = this.ownImplied;
            }
          }
        }
        if (judged.jump > 0 || judged.speedBad) posOk = false;
        jumped = judged.jump > 0;
        let adopted = false;
        if (posOk && !switched && t.ok[last] === 0 && last !== r) {
          // After a message that was no reference, this one becomes one only if it also fits
          // that message: among randomly offset positions one in twenty fits the old
          // reference by chance, and a forged reference makes the truth after it look forged.
          const prev = this.judge(v, ts, t.ts[last]!, t.lat[last]!, t.lon[last]!, t.speed[last]!, true);
          if (prev.jump > 0) {
            posOk = false;
            // Deep in a rejected stretch (every reference older than 2.5 s) the loose allowance
            // hides a position jittering by tens of metres from message to message: report
            // the jump from the previous message instead when that one had jumped from its
            // own predecessor too (jitter; the truth resuming after a forged stretch jumps
            // once and then fits).
            unfit = 1;
            if (ts - rTs > 2_500 && t.unfit === 1) judged.jump = prev.jump;
          }
        }
        if (judged.jump > 0 && !switched) {
          // A run of rejected messages that agree with each other (each fits the one before,
          // and their positions move at their reported speeds) for STEADY_MS is a track of its
          // own: when the truth resumes after a forged stretch with no usable reference before
          // it (or one that has left the ring), it is adopted instead of being judged against
          // the lie for as long as the loose old-reference allowance needs to catch up. The
          // jump memory still switches back to the truth if a forged stretch was adopted.
          const fits = t.ok[last] === 0 && this.judge(v, ts, t.ts[last]!, t.lat[last]!, t.lon[last]!, t.speed[last]!, true).jump === 0;
          const step = ((t.speed[last]! + v.speed) / 2) * dt;
          if (!fits || t.runTs < 0) {
            t.runTs = fits ? t.ts[last]! : ts;
            t.runLat = fits ? t.lat[last]! : v.lat;
            t.runLon = fits ? t.lon[last]! : v.lon;
            t.runDist = fits ? step : 0;
          } else {
            t.runDist += step;
            const span = (ts - t.runTs) / 1000;
            // over ≥ 3 s the positions must show the distance the reported speeds claim (±2 m/s)
            if (span >= STEADY_MS / 1000 && Math.abs(distanceM(t.runLat, t.runLon, v.lat, v.lon) - t.runDist) / span <= TRUST_SPEED_LONG) {
              adopted = true;
              posOk = true;
              t.runTs = -1;
            }
          }
        } else t.runTs = -1;
        // A position that jumped says nothing about the speed: keep the reported one, within
        // what the vehicle could have reached since the last trusted speed.
        if (judged.jump > 0) trusted = clamp(v.speed, lastSpeed, b.maxAccel * dt + 1);
        else if (judged.speedBad) trusted = clamp(judged.implied, lastSpeed, b.maxAccel * dt + 1);
        out[offset + 1] = judged.speedErr;
        out[offset + 5] = adopted ? 0 : Math.log1p(judged.jump);
        out[offset + 6] = judged.headingErr;
      }
      // (not when the track was just switched back: the 3–8 s reference lay in the lie)
      if (long >= 0 && !jumped && t.ok[long] === 1) {
        const fit = this.longFit(t, long, last, ts, dt, v, lastSpeed, accelNow);
        if (t.trusted[last] !== t.speed[last]) {
          // The previous speed was rejected: the prediction leans on position-derived speeds
          // that lag by up to a second's acceleration, and the truth resuming after a speed
          // lie would miss it by 1–2 m/s. Its own speed against the last second's positions
          // (corrected by its reported acceleration) may answer instead.
          const own = this.ownSpeedErr(t, n, avail, ts, v, accelNow);
          if (own >= 0 && own < 1 && own < fit.err) fit.err = own;
        }
        out[offset + 18] = fit.err;
        // Not the prediction itself: the mean speed the positions show, which does not feed back on earlier estimates.
        trusted = fit.err > TRUST_SPEED_LONG ? clamp(fit.implied, lastSpeed, b.maxAccel * dt + 1) : v.speed;
      }
      if (dt >= 0.05) {
        // Against the previous message's trusted speed and against its reported one, the
        // smaller: a pair of speeds that breaks physics says that one of the two lies, not
        // which. After a speed lie the trusted (position-derived) speed explains the truth;
        // after a position lie (whose trusted speed is derived from forged positions) the
        // reported one does. A lie's own messages stay caught by the position checks.
        const implied = (v.speed - lastSpeed) / dt;
        const impliedReported = (v.speed - t.speed[last]!) / dt;
        // A vehicle that claimed an abrupt stop and stood (never a reference) and now moves:
        // the stand may have been the lie (a frozen position), so the change is also measured
        // from the reference before it.
        const impliedRef = t.stopAbrupt === 1 && refTs >= 0 && ts - refTs >= 1000 ? (v.speed - refSpeed) / ((ts - refTs) / 1000) : impliedReported;
        if (v.accel !== undefined) out[offset + 2] = Math.min(50, Math.abs(implied - v.accel), Math.abs(impliedReported - v.accel), Math.abs(impliedRef - v.accel));
        out[offset + 3] = Math.max(0, Math.min(Math.abs(implied), Math.abs(impliedReported), Math.abs(impliedRef)) - b.maxAccel);
        const turn = (angleDiffDeg(v.heading, t.heading) * Math.PI) / 180 / dt;
        out[offset + 4] = Math.max(0, turn * v.speed - b.maxLateral);
        if (lastSpeed > 3 && v.speed < 0.1 && -implied > b.maxAccel) t.stopAbrupt = 1;
        // not at the final halt: a stop line's last step legitimately reports more braking than the 0.1–1 s average shows
        if (v.accel !== undefined && v.accel < -3 && v.speed > 0) out[offset + 16] = Math.max(0, implied - v.accel);
      }
      if (v.speed > 0.5) t.stopAbrupt = 0;
      out[offset + 14] = t.stopAbrupt;
      if (t.stopAbrupt === 1) posOk = false;
      t.sameSpeed = v.speed > 0 && v.speed === t.speed[last]! ? t.sameSpeed + 1 : 0;
      this.heldSpeed(t, n, last, avail, ts, dt, v, accelNow, broke || jumped || switched || unfit === 1, out, offset);
      // capped: honest cruise control holds one speed for minutes; only a short repeat says anything
      out[offset + 15] = Math.log1p(Math.min(t.sameSpeed, SAME_SPEED_CAP));
      out[offset + 7] = recent;
      if (v.seq !== undefined && t.seq >= 0) {
        // Lost messages (a dead zone) explain a gap: at most MAX_HZ were sent per second.
        const gap = v.seq - t.seq;
        const unexplained = gap <= 0 ? 1 - gap : Math.max(0, gap - Math.max(1, Math.round(dt * MAX_HZ)));
        out[offset + 8] = Math.log1p(unexplained);
      }
    } else out[offset + 7] = 1;
    if (v.seq !== undefined) t.seq = v.seq;

    out[offset + 9] = this.replayed(id, ts, v, n > 0 ? t.ts[last]! : -1);
    out[offset + 19] = this.replayedState(id, ts, v);

    const observer = event.observer?.name;
    if (observer !== undefined) {
      const rsus = this.city.rsus;
      const rsu = rsus?.[observer];
      out[offset + 10] = Math.log1p(beyondRange(rsu, v.lat, v.lon));
      if (t.observer !== '' && t.observer !== observer && ts - t.observerTs < 1000) {
        const other = rsus?.[t.observer];
        let excess: number;
        if (rsu && other) excess = distanceM(rsu.lat, rsu.lon, other.lat, other.lon) - rsu.rangeM - other.rangeM;
        else excess = distanceM(t.observerLat, t.observerLon, v.lat, v.lon) - v.speed * ((ts - t.observerTs) / 1000) - 100;
        out[offset + 11] = Math.log1p(Math.max(0, excess));
      }
      t.observer = observer;
      t.observerTs = ts;
      t.observerLat = v.lat;
      t.observerLon = v.lon;
    }
    if (this.roads) out[offset + 12] = Math.log1p(this.roads.distance(v.lat, v.lon));
    out[offset + 13] = this.colocated(id, ts, v);
    if (t.firstTs < 0) t.firstTs = ts;
    out[offset + 21] = this.formation(t, id, ts, v);

    const slot = n % RING;
    t.ts[slot] = ts;
    t.lat[slot] = v.lat;
    t.lon[slot] = v.lon;
    t.speed[slot] = v.speed;
    t.trusted[slot] = trusted;
    t.accel[slot] = accelNow;
    t.headings[slot] = v.heading;
    t.ok[slot] = posOk ? 1 : 0;
    t.jmp[slot] = broke || jumped || switched || unfit === 1 ? 1 : 0;
    if (posOk) {
      t.anchorTs = ts;
      t.anchorLat = v.lat;
      t.anchorLon = v.lon;
      t.anchorSpeed = trusted;
    }
    if (posOk && n >= 2 && t.ok[last] === 1 && t.ok[(n - 2) % RING] === 1) {
      // a third plausible position in a row: where dead reckoning starts from
      t.unsettled = 0;
      t.drLat = v.lat;
      t.drLon = v.lon;
      t.drEast = t.drNorth = 0;
      t.drTs = ts;
      t.drAnchorTs = ts;
      t.drSpeed = v.speed;
      t.drHeading = v.heading;
    } else if (t.drTs >= 0 && t.drTs < ts) drStep(t, ts, v.speed, v.heading);
    t.heading = v.heading;
    t.unfit = unfit;
    t.n = n + 1;
  }

  /**
   * speed_held_err and speed_step_held (slots 22, 23) of a message, after t.sameSpeed has
   * counted it; `broken`: its position broke from the one before (jump, switch, unfit).
   */
  private heldSpeed(t: Track, n: number, last: number, avail: number, ts: number, dt: number, v: NonNullable<VigilEvent['vigil']['vehicle']>, accelNow: number, broken: boolean, out: Float32Array, offset: number): void {
    if (t.sameSpeed === 0) {
      t.heldFirstTs = -1;
      t.heldShown = 0;
      // A step the reported acceleration does not explain, away from a moving speed the
      // positions accepted three times in a row, each change explained by the reported
      // acceleration (not random values that fit by chance), and not itself a held speed
      // under suspicion (the truth returning after one); not with a position break either
      // (the truth returning after a frozen or forged position).
      let settled = n >= 3 && t.stepHeld === 0 && !broken && t.speed[last]! > 0;
      for (let k = 0; settled && k < 3; k++) {
        const j = (n - 1 - k + RING) % RING;
        settled = t.ok[j] === 1 && t.trusted[j] === t.speed[j];
        if (settled && k < 2) {
          const i = (j - 1 + RING) % RING;
          const span = (t.ts[j]! - t.ts[i]!) / 1000;
          settled = span > 0 && Math.abs(t.speed[j]! - t.speed[i]! - ((t.accel[j]! + t.accel[i]!) / 2) * span) <= STEP_ACCEL_TOL * span + 0.01;
        }
      }
      const step = dt >= 0.05 && dt <= 1.5 && v.speed > 0 && settled ? Math.abs(v.speed - t.speed[last]! - ((t.accel[last]! + accelNow) / 2) * dt) - STEP_ACCEL_TOL * dt : 0;
      t.stepHeld = step > 0 ? step : 0;
    }
    if (broken) t.unsettled = 1;
    // (not after a break until the track is steady again: a frozen or offset position
    // disagrees with a true speed, and that lie is the position's)
    // (at most every 400 ms: the evidence wanted is a lie that persists for seconds)
    if (v.speed > 0 && t.unsettled === 0 && ts - t.heldCheckTs >= 400) {
      t.heldCheckTs = ts;
      const e = this.positionSpeedErr(t, n, avail, ts, v, accelNow);
      if (e > HELD_SHOWN_M) {
        // Twice, far enough apart that no baseline spans both: one change of position
        // source (the truth resuming under a held speed) shows for at most a baseline.
        if (t.heldFirstTs < 0) {
          t.heldFirstTs = ts;
          t.heldFirstErr = e;
        } else if (ts - t.heldFirstTs >= HELD_APART_MS) t.heldShown = Math.max(t.heldShown, Math.min(e, t.heldFirstErr));
      }
    }
    // Over a run of one held speed, the path the positions show (1 s chords, arc-corrected)
    // against the distance the speed claims: GPS noise averages out, so a bias far below
    // the per-message noise shows after a few seconds.
    // (restarted after a gap too: a dead zone can hide the position source changing)
    if (t.sameSpeed === 0 || t.unsettled === 1 || t.runCkTs < 0 || dt > DR_GAP_S) {
      t.runStartTs = t.runCkTs = ts;
      t.runCkLat = v.lat;
      t.runCkLon = v.lon;
      t.runCkHeading = v.heading;
      t.runPath = 0;
      t.runBias = 0;
    } else if (ts - t.runCkTs >= 1000) {
      const turn = (angleDiffDeg(t.runCkHeading, v.heading) * Math.PI) / 360;
      t.runPath += distanceM(t.runCkLat, t.runCkLon, v.lat, v.lon) / (turn > 1e-3 ? Math.sin(turn) / turn : 1);
      t.runCkTs = ts;
      t.runCkLat = v.lat;
      t.runCkLon = v.lon;
      t.runCkHeading = v.heading;
      const span = (ts - t.runStartTs) / 1000;
      const bias = Math.abs(t.runPath / span - v.speed);
      const allowed = HELD_BIAS_M + HELD_BIAS_SHARE * v.speed + HELD_NOISE_M / span;
      t.runBias = bias > allowed ? bias : 0;
      // (tightly: a value near the truth must not pass as confirmed within the noise allowance)
      if (span >= HELD_CONFIRM_S && bias <= HELD_BIAS_M + HELD_BIAS_SHARE * v.speed) t.stepHeld = 0;
    }
    out[offset + 22] = Math.max(t.heldShown, t.runBias);
    out[offset + 23] = t.stepHeld;
  }

  /**
   * The reported speed against the speed the track predicts from the reference `from`
   * (3–8 s back): the last trusted speed, corrected by how far the positions moved against
   * what the trusted speeds claim (a chord is shorter than its arc by sinc of half the
   * turn), plus the reported acceleration. `implied` is the mean speed the positions show.
   */
  private longFit(t: Track, from: number, last: number, ts: number, dt: number, v: NonNullable<VigilEvent['vigil']['vehicle']>, lastSpeed: number, accelNow: number): { err: number; implied: number } {
    let travelled = 0;
    let j = from;
    while (j !== last) {
      const k = (j + 1) % RING;
      travelled += ((t.trusted[j]! + t.trusted[k]!) / 2) * ((t.ts[k]! - t.ts[j]!) / 1000);
      j = k;
    }
    travelled += lastSpeed * dt;
    const spanL = (ts - t.ts[from]!) / 1000;
    const turn = (angleDiffDeg(t.headings[from]!, v.heading) * Math.PI) / 360;
    const chord = turn > 1e-3 ? Math.sin(turn) / turn : 1;
    const implied = distanceM(t.lat[from]!, t.lon[from]!, v.lat, v.lon) / spanL;
    const predicted = Math.max(0, lastSpeed + implied - (travelled / spanL) * chord + ((t.accel[last]! + accelNow) / 2) * dt);
    return { err: Math.abs(v.speed - predicted), implied };
  }

  /**
   * Metres between this message's position and where the jump memory's position plus the
   * reported speeds and headings since (dead reckoning, this message's step included) put
   * the vehicle; −1 when that is not available.
   */
  private drErr(t: Track, ts: number, v: NonNullable<VigilEvent['vigil']['vehicle']>): number {
    if (t.drTs < 0) return -1;
    const dt = (ts - t.drTs) / 1000;
    if (dt > DR_GAP_S) return -1;
    const a = t.drHeading * RAD;
    const b = v.heading * RAD;
    const east = t.drEast + ((t.drSpeed * Math.sin(a) + v.speed * Math.sin(b)) / 2) * dt;
    const north = t.drNorth + ((t.drSpeed * Math.cos(a) + v.speed * Math.cos(b)) / 2) * dt;
    const lat = t.drLat + north / M_PER_DEG;
    const lon = t.drLon + east / (M_PER_DEG * Math.cos(t.drLat * RAD));
    return distanceM(lat, lon, v.lat, v.lon);
  }

  /** Mean speed over the baseline `ownSpeedErr` last used, m/s. */
  private ownImplied = 0;

  /**
   * |reported speed, taken back half the baseline at the reported acceleration − the mean
   * speed the positions 0.8–2.5 s back show|, whatever those positions' status (a speed lie
   * leaves them true); −1 without such a position, or when it lies farther than either speed
   * allows (a frozen or forged stretch ending: a position question the jump memory answers).
   */
  private ownSpeedErr(t: Track, n: number, avail: number, ts: number, v: NonNullable<VigilEvent['vigil']['vehicle']>, accelNow: number): number {
    for (let k = 0; k < avail; k++) {
      const j = (n - 1 - k) % RING;
      const span = (ts - t.ts[j]!) / 1000;
      if (span > 2.5) return -1;
      if (span < 0.8) continue;
      const implied = distanceM(t.lat[j]!, t.lon[j]!, v.lat, v.lon) / span;
      if (implied > Math.max(v.speed, t.trusted[j]!) * 1.2 + 5 / span) return -1;
      this.ownImplied = implied;
      return Math.abs(implied - (v.speed - (accelNow * span) / 2));
    }
    return -1;
  }

  /**
   * |reported speed, taken back half the baseline at the reported acceleration − the mean
   * speed the positions 0.8–2.5 s back show|, when no position since then jumped (a position
   * lie says nothing about the speed); −1 otherwise.
   */
  private positionSpeedErr(t: Track, n: number, avail: number, ts: number, v: NonNullable<VigilEvent['vigil']['vehicle']>, accelNow: number): number {
    for (let k = 0; k < avail; k++) {
      const j = (n - 1 - k) % RING;
      if (t.jmp[j] === 1) return -1;
      const span = (ts - t.ts[j]!) / 1000;
      if (span > 2.5) return -1;
      if (span < 0.8) continue;
      // the chord of a turn is shorter than its arc by sinc of half the turn; metres on the
      // local plane (the track's own scale of longitude: this runs for every message)
      const turn = (angleDiffDeg(t.headings[j]!, v.heading) * Math.PI) / 360;
      if (t.kx === 0) t.kx = M_PER_DEG * Math.cos(v.lat * RAD);
      const dx = (v.lon - t.lon[j]!) * t.kx;
      const dy = (v.lat - t.lat[j]!) * M_PER_DEG;
      const implied = Math.sqrt(dx * dx + dy * dy) / span / (turn > 1e-3 ? Math.sin(turn) / turn : 1);
      // farther than either speed allows: a position question, not a speed one
      if (implied > Math.max(v.speed, t.speed[j]!) * 1.2 + 5 / span) return -1;
      return Math.abs(implied - (v.speed - (accelNow * span) / 2));
    }
    return -1;
  }

  /** The short-baseline checks of a message against one reference position. */
  private judge(v: NonNullable<VigilEvent['vigil']['vehicle']>, ts: number, rTs: number, rLat: number, rLon: number, rSpeed: number, strict = false) {
    const res = { jump: 0, speedErr: 0, headingErr: 0, speedBad: false, implied: 0 };
    const span = (ts - rTs) / 1000;
    if (span < 0.05) return res;
    const dist = distanceM(rLat, rLon, v.lat, v.lon);
    let allowed: number;
    if (span <= 2.5) {
      const meanSpeed = (rSpeed + v.speed) / 2;
      // over < 0.5 s, 0.3 m of position noise alone is > 1 m/s: no speed comparison
      if (span >= 0.5) res.speedErr = Math.abs(dist / span - meanSpeed);
      allowed = Math.max(rSpeed, v.speed) * span * 1.2 + 5;
      if (dist > 3 && v.speed > 1) res.headingErr = angleDiffDeg(v.heading, bearingDeg(rLat, rLon, v.lat, v.lon));
      if (span >= 0.8 && res.speedErr > TRUST_SPEED_SHORT) {
        res.speedBad = true;
        res.implied = dist / span;
      }
    } else if (strict) allowed = Math.max(rSpeed, v.speed) * span * 1.2 + 5;
    else allowed = MAX_SPEED * span + 10; // an old reference: only how far the vehicle could have got
    res.jump = Math.max(0, dist - allowed);
    return res;
  }

  /**
   * A neighbour's recorded state sent again under another identity (data replay): exactly
   * the speed and heading another identity reported, within metres of where it was, seconds
   * ago. Positions are compared with a tolerance because the replayer may not copy the
   * neighbour's GPS noise; exact speed and heading (0.01 m/s, 0.1°) rarely coincide otherwise.
   */
  private replayedState(id: string, ts: number, v: NonNullable<VigilEvent['vigil']['vehicle']>): number {
    const q = this.stateQueue;
    while (this.stateHead < q.length && q[this.stateHead]!.ts < ts - REPLAY_NEAR_MS) {
      const old = q[this.stateHead++]!;
      const list = this.states.get(old.key);
      if (list) {
        list.shift(); // lists are in time order, like the queue
        if (list.length === 0) this.states.delete(old.key);
      }
    }
    if (this.stateHead > 65_536 && this.stateHead * 2 > q.length) {
      q.splice(0, this.stateHead);
      this.stateHead = 0;
    }
    if (v.speed < 0.5) return 0; // standing vehicles share speed 0 and a street's heading
    const key = mix(mix(0x2545f491, v.speed), v.heading);
    let list = this.states.get(key);
    let replay = 0;
    if (list) {
      const cosLat = Math.cos((v.lat * Math.PI) / 180);
      for (const e of list) {
        if (e.id === id || ts - e.ts < REPLAY_NEAR_MIN_AGE_MS || e.speed !== v.speed || e.heading !== v.heading) continue;
        const dy = (e.lat - v.lat) * 111_195;
        const dx = (e.lon - v.lon) * 111_195 * cosLat;
        if (dx * dx + dy * dy <= REPLAY_NEAR_M * REPLAY_NEAR_M) {
          replay = 1;
          break;
        }
      }
    } else this.states.set(key, (list = []));
    const entry: State = { key, id, ts, lat: v.lat, lon: v.lon, speed: v.speed, heading: v.heading };
    list.push(entry);
    q.push(entry);
    return replay;
  }

  private replayed(id: string, ts: number, v: NonNullable<VigilEvent['vigil']['vehicle']>, lastTs: number): number {
    if (v.speed < 0.5) return 0; // a standing vehicle legitimately repeats itself
    const window = this.bounds.replayWindowMs;
    const q = this.payloadQueue;
    const qt = this.payloadQueueTs;
    while (this.payloadHead < q.length && qt[this.payloadHead]! < ts - window) {
      const old = q[this.payloadHead]!;
      // only if not refreshed since (a refreshed record is queued again with its new time)
      if (old.ts === qt[this.payloadHead]!) this.dropPayload(old);
      this.payloadHead++;
    }
    if (this.payloadHead > 65_536 && this.payloadHead * 2 > q.length) {
      q.splice(0, this.payloadHead);
      qt.splice(0, this.payloadHead);
      this.payloadHead = 0;
    }
    const key = mix(mix(mix(mix(0x61c88647, v.lat), v.lon), v.speed), v.heading);
    let seen = this.payloads.get(key);
    while (seen && !(seen.lat === v.lat && seen.lon === v.lon && seen.speed === v.speed && seen.heading === v.heading)) seen = seen.next;
    let replay = 0;
    if (seen && ts - seen.ts <= window && !(seen.id === id && seen.ts === lastTs)) replay = 1;
    if (!seen) {
      seen = { key, id, ts, lat: v.lat, lon: v.lon, speed: v.speed, heading: v.heading, next: this.payloads.get(key) };
      this.payloads.set(key, seen);
      q.push(seen);
      qt.push(ts);
    } else if (replay === 0) {
      seen.id = id;
      seen.ts = ts;
      q.push(seen);
      qt.push(ts);
    }
    return replay;
  }

  private dropPayload(p: Payload): void {
    let cur = this.payloads.get(p.key);
    if (cur === p) {
      if (p.next) this.payloads.set(p.key, p.next);
      else this.payloads.delete(p.key);
      return;
    }
    while (cur && cur.next !== p) cur = cur.next;
    if (cur) cur.next = p.next;
  }

  /**
   * Seconds (log1p) this identity has held a fixed place in formation with another one since
   * it appeared (within FORMATION_START_MS of its first message); 0 otherwise. Recent
   * moving messages are kept in FORMATION_CELL_M cells for FORMATION_MS.
   */
  private formation(t: Track, id: string, ts: number, v: NonNullable<VigilEvent['vigil']['vehicle']>): number {
    const bucket = Math.floor(ts / FORMATION_MS);
    if (bucket !== this.formationBucket) {
      // keep this window and the previous one
      for (const [k, list] of this.formationCells) {
        let w = 0;
        for (let i = 0; i < list.length; i++) if (list[i]!.ts >= (bucket - 1) * FORMATION_MS) list[w++] = list[i]!;
        if (w === 0) this.formationCells.delete(k);
        else list.length = w;
      }
      this.formationBucket = bucket;
    }
    const cosLat = Math.cos((v.lat * Math.PI) / 180);
    const cy = Math.floor((v.lat * 111_195) / FORMATION_CELL_M);
    const cx = Math.floor((v.lon * 111_195 * cosLat) / FORMATION_CELL_M);
    const young = ts - t.firstTs <= FORMATION_START_MS;
    const ps = t.partners;
    let heldMask = 0;
    const found: Array<{ id: string; d: number }> = [];
    if (young || ps.length > 0) {
      for (let x = cx - 1; x <= cx + 1; x++)
        for (let y = cy - 1; y <= cy + 1; y++) {
          const list = this.formationCells.get(x * 1_000_003 + y);
          if (!list) continue;
          for (const e of list) {
            if (e.id === id || ts - e.ts > FORMATION_MS || Math.abs(e.speed - v.speed) > 0.5 || angleDiffDeg(e.heading, v.heading) > 1) continue;
            const dy = (e.lat - v.lat) * 111_195;
            const dx = (e.lon - v.lon) * 111_195 * cosLat;
            const d = Math.sqrt(dx * dx + dy * dy);
            if (d < 4 || d > 50) continue;
            for (let k = 0; k < ps.length; k++) if (ps[k] === e.id && Math.abs(d - t.partnerDists[k]!) <= 2) heldMask |= 1 << k;
            if (young && v.speed >= 1 && found.length < 8) found.push({ id: e.id, d });
          }
        }
    }
    const key = cx * 1_000_003 + cy;
    const list = this.formationCells.get(key);
    const entry = { id, ts, lat: v.lat, lon: v.lon, speed: v.speed, heading: v.heading };
    if (list) list.push(entry);
    else this.formationCells.set(key, [entry]);
    if (heldMask !== 0) {
      // partners that left their place are dropped; the formation lasts while any keeps it
      let w = 0;
      for (let k = 0; k < ps.length; k++)
        if (heldMask & (1 << k)) {
          ps[w] = ps[k]!;
          t.partnerDists[w++] = t.partnerDists[k]!;
        }
      ps.length = w;
      t.partnerDists.length = w;
      return Math.log1p((ts - t.firstTs) / 1000);
    }
    ps.length = 0;
    t.partnerDists.length = 0;
    // partners only for a moving identity that has just appeared (standing traffic queues in
    // line at speed 0); a formation already held survives a stop
    for (const f of found)
      if (!ps.includes(f.id)) {
        ps.push(f.id);
        t.partnerDists.push(f.d);
      }
    return 0;
  }

  /** Identities sharing a place, speed and heading in one second: physically impossible for distinct vehicles. */
  private colocated(id: string, ts: number, v: NonNullable<VigilEvent['vigil']['vehicle']>): number {
    const bucket = Math.floor(ts / 1000);
    if (bucket !== this.spotsBucket) {
      // keep this second and the previous one
      for (const [k, list] of this.spots) {
        let w = 0;
        for (let i = 0; i < list.length; i++) if (list[i]!.ts >= (bucket - 1) * 1000) list[w++] = list[i]!;
        if (w === 0) this.spots.delete(k);
        else list.length = w;
      }
      this.spotsBucket = bucket;
    }
    const cellDeg = 5e-5; // ~5 m
    const cx = Math.floor(v.lat / cellDeg);
    const cy = Math.floor(v.lon / cellDeg);
    let seen: Set<string> | undefined;
    const limitM = this.bounds.colocatedM;
    const cosLat = Math.cos((v.lat * Math.PI) / 180);
    for (let x = cx - 1; x <= cx + 1; x++)
      for (let y = cy - 1; y <= cy + 1; y++) {
        const list = this.spots.get(x * 10_000_000 + y);
        if (!list) continue;
        for (const e of list) {
          if (e.id === id || Math.abs(e.ts - ts) > 1000 || Math.abs(e.speed - v.speed) >= 1) continue;
          const dt = Math.abs(e.ts - ts) / 1000;
          // equirectangular distance: exact enough over a few metres, no trigonometry per pair
          const dy = (e.lat - v.lat) * 111_195;
          const dx = (e.lon - v.lon) * 111_195 * cosLat;
          if (dx * dx + dy * dy > (limitM + v.speed * dt * 0.2) ** 2 || angleDiffDeg(e.heading, v.heading) >= 10) continue;
          (seen ??= new Set()).add(e.id);
        }
      }
    const k = cx * 10_000_000 + cy;
    const list = this.spots.get(k);
    // one entry per identity and cell: its latest report
    const mine = list?.find((e) => e.id === id);
    if (mine) {
      mine.ts = ts;
      mine.lat = v.lat;
      mine.lon = v.lon;
      mine.speed = v.speed;
      mine.heading = v.heading;
    } else {
      const entry = { id, ts, lat: v.lat, lon: v.lon, speed: v.speed, heading: v.heading };
      if (list) list.push(entry);
      else this.spots.set(k, [entry]);
    }
    return seen?.size ?? 0;
  }
}
