/**
 * From a vehicle's claim to a received BSM: the sender's sensor error, the input line
 * (DESIGN.md "Input formats", with TRANSFER-SPEC §2's accuracy fields when the vehicle
 * sends them), and the roadside unit that hears it — the nearest one in range of where the
 * sender really is, which may still lose it, and delivers it after its own latency and
 * jitter. One radio delivers in order (a link does not reorder a sender's frames); a
 * delayed_messages attacker reorders on purpose by sending old messages late.
 */
import { toLatLon, receivingRsu, type RoadNetwork } from './network.js';
import { accuracyReport, SensorError, type AccuracyProfile, type NoiseProfile } from './noise.js';
import type { Random } from '../../events/index.js';
import type { Kinematics, Vehicle } from './vehicles.js';

export interface Transmitter {
  error: SensorError;
  accuracy: { pos: number; heading: number } | undefined;
  /** Arrival time of its last received message, epoch ms. */
  lastArrival: number;
}

export interface Delivery {
  rsu: string;
  /** Epoch milliseconds at which the message reaches the pipeline. */
  at: number;
}

export class Radio {
  lostOutOfRange = 0;
  lostPacketLoss = 0;
  private readonly transmitters = new Map<Vehicle, Transmitter>();

  constructor(
    private readonly net: RoadNetwork,
    private readonly noise: NoiseProfile,
    private readonly accuracy: AccuracyProfile,
    /** Whether the events part accepts the accuracy fields yet (TRANSFER-SPEC §2). */
    private readonly sendAccuracy: boolean,
    private readonly channel: Random,
  ) {}

  /** Give a vehicle its receiver; draws from `rng` whatever the profile, so streams stay aligned. */
  attach(v: Vehicle, rng: Random): void {
    const error = new SensorError(rng, this.noise);
    this.transmitters.set(v, { error, accuracy: accuracyReport(rng, this.accuracy, error), lastArrival: -Infinity });
  }

  transmitter(v: Vehicle): Transmitter {
    const t = this.transmitters.get(v);
    if (!t) throw new RangeError(`vehicle ${v.id} has no radio`);
    return t;
  }

  /** What the sender's sensors report for the claim `k` at `ts`. */
  read(error: SensorError, ts: number, k: Kinematics): Kinematics {
    const { dx, dy } = error.position(ts);
    return { x: k.x + dx, y: k.y + dy, speed: error.speed(k.speed), heading: error.heading(k.heading), accel: error.accel(k.accel) };
  }

  /** The RSU that receives a message `v` sends at `sendTime`, or undefined when none does. */
  deliver(v: Vehicle, sendTime: number): Delivery | undefined {
    const rsu = receivingRsu(this.net, v.x, v.y);
    if (!rsu) {
      this.lostOutOfRange++;
      return undefined;
    }
    if (rsu.loss > 0 && this.channel.chance(rsu.loss)) {
      this.lostPacketLoss++;
      return undefined;
    }
    const t = this.transmitter(v);
    let at = sendTime + rsu.latencyMs + (rsu.jitterMs > 0 ? this.channel.exponential(rsu.jitterMs) : 0);
    if (at < t.lastArrival) at = t.lastArrival;
    t.lastArrival = at;
    return { rsu: rsu.id, at };
  }

  /** The BSM input line's fields, rounded as a receiver would send them. */
  record(id: string, ts: number, k: Kinematics, seq: number, rsu: string, accuracy: Transmitter['accuracy']): Record<string, unknown> {
    const { lat, lon } = toLatLon(this.net, k.x, k.y);
    let heading = Math.round((((k.heading % 360) + 360) % 360) * 10) / 10;
    if (heading >= 360) heading -= 360;
    const out: Record<string, unknown> = {
      kind: 'bsm',
      vehicle: id,
      ts,
      lat: Math.round(lat * 1e7) / 1e7,
      lon: Math.round(lon * 1e7) / 1e7,
      speed: Math.round(Math.max(0, k.speed) * 100) / 100,
      heading,
      accel: Math.round(Math.max(-99, Math.min(99, k.accel)) * 100) / 100 || 0,
      seq,
      rsu,
    };
    if (accuracy && this.sendAccuracy) {
      out.pos_accuracy = accuracy.pos;
      out.heading_accuracy = accuracy.heading;
    }
    return out;
  }
}
