/**
 * What vehicles send, tick by tick: honest BSMs through each one's own receiver, and, while
 * a vehicle is attacking, its episode's messages (vehicle-attacks.ts says what each claims;
 * this module sends them under the right identity, rate and delay).
 */
import { DOS_RATE_HZ, FLOOD_ATTACKS } from './attacks.js';
import type { Episode } from './episodes.js';
import type { RoadNetwork } from './network.js';
import type { NoiseProfile } from './noise.js';
import type { Radio } from './radio.js';
import type { Random } from '../../events/index.js';
import { falsify, isSybil, neighbourMessage, randomState, replayed, type VehicleEpisode } from './vehicle-attacks.js';
import { TICK_MS, type Kinematics, type Vehicle } from './vehicles.js';

export interface TrafficHost {
  push(ts: number, record: Record<string, unknown>, ep: Episode | undefined, at: number, truth?: Kinematics): void;
  freshVehicleId(rng: Random): string;
}

export class VehicleTraffic {
  constructor(
    private readonly network: RoadNetwork,
    private readonly vehicles: readonly Vehicle[],
    private readonly radio: Radio,
    private readonly noise: NoiseProfile,
    private readonly host: TrafficHost,
  ) {}

  /** Move `v` one tick and send what it sends in it: honest BSMs, or its episode's. */
  step(v: Vehicle, t0: number, tick: number, ep: VehicleEpisode | undefined): void {
    const now = t0 + v.phaseMs;
    v.step(now);
    if (ep && FLOOD_ATTACKS.has(ep.type)) {
      this.flood(v, ep, now);
      // A flood under its own id replaces its messages; a Sybil flood comes on top of them.
      if (!isSybil(ep.type)) return;
    }
    if ((tick - v.sendOffset) % v.period !== 0) return;
    const truth = v.snapshot(now);
    if (!ep || isSybil(ep.type)) {
      this.sendOwn(v, now, truth, undefined, false);
      if (ep?.type === 'sybil') this.sendGhosts(v, ep, now, truth);
      if (ep?.type === 'data_replay_sybil') this.sendUnderPseudonym(v, ep, now, replayed(ep, now));
      return;
    }
    switch (ep.type) {
      case 'delayed_messages':
        this.sendDelayed(v, ep, now, truth);
        return;
      case 'data_replay':
        this.sendOwn(v, now, replayed(ep, now) ?? truth, ep, replayed(ep, now) !== undefined);
        return;
      case 'disruptive': {
        const copy = neighbourMessage(ep, this.vehicles, now);
        this.sendOwn(v, now, copy ?? truth, ep, copy !== undefined);
        return;
      }
      default:
        this.sendOwn(v, now, falsify(ep, now, truth, this.network), ep, false);
    }
  }

  /**
   * A message under the vehicle's own id and next seq. `copied`: the claim is someone's
   * sent message (already noisy); otherwise it goes through the vehicle's own sensor error.
   */
  private sendOwn(v: Vehicle, ts: number, claim: Kinematics, ep: VehicleEpisode | undefined, copied: boolean, remember = true): void {
    const t = this.radio.transmitter(v);
    const reported = copied ? claim : this.radio.read(t.error, ts, claim);
    v.seq++;
    if (!remember) {
      this.transmit(v, ts, ts, v.id, v.seq, reported, ep);
      return;
    }
    v.remember({ ts, ...reported });
    this.transmit(v, ts, ts, v.id, v.seq, reported, ep, v.snapshot(ts));
  }

  /** `truth`: the sender's true state at `ts`, kept beside the output for tests and evaluation. */
  private transmit(v: Vehicle, ts: number, sendTime: number, id: string, seq: number, reported: Kinematics, ep: VehicleEpisode | undefined, truth?: Kinematics): void {
    const delivery = this.radio.deliver(v, sendTime);
    if (!delivery) return;
    const record = this.radio.record(id, ts, reported, seq, delivery.rsu, this.radio.transmitter(v).accuracy);
    this.host.push(ts, record, ep, delivery.at, truth);
  }

  /** delayed_messages: a share of its own messages held back and sent late, with their own ts and seq. */
  private sendDelayed(v: Vehicle, ep: VehicleEpisode, now: number, truth: Kinematics): void {
    const t = this.radio.transmitter(v);
    const reported = this.radio.read(t.error, now, truth);
    v.seq++;
    v.remember({ ts: now, ...reported });
    // When a held message falls due, this one goes on time first, so the late one arrives after a newer one.
    const due = (ep.held[0]?.ts ?? Infinity) <= now - ep.replayDelayMs;
    if (!due && ep.rng.chance(ep.value)) ep.held.push({ ...reported, ts: now, seq: v.seq });
    else this.transmit(v, now, now, v.id, v.seq, reported, undefined, truth);
    while (ep.held.length > 0 && (ep.held[0]?.ts ?? now) <= now - ep.replayDelayMs) {
      const h = ep.held.shift() as VehicleEpisode['held'][number];
      const delivery = this.radio.deliver(v, now);
      if (delivery) this.host.push(h.ts, this.radio.record(v.id, h.ts, h, h.seq, delivery.rsu, t.accuracy), ep, delivery.at);
    }
  }

  /** The floods: DOS_RATE_HZ messages a second, under its own id or a new pseudonym each. */
  private flood(v: Vehicle, ep: VehicleEpisode, now: number): void {
    const gap = 1000 / DOS_RATE_HZ;
    for (let dt = 0; dt < TICK_MS; dt += gap) {
      const ts = now + dt;
      let claim: Kinematics | undefined;
      let copied = true;
      if (ep.type === 'dos') {
        // True kinematics, extrapolated within the tick.
        const ahead = (v.speed * dt) / 1000;
        const rad = (v.heading * Math.PI) / 180;
        claim = { ...v.snapshot(ts), x: v.x + ahead * Math.sin(rad), y: v.y + ahead * Math.cos(rad) };
        copied = false;
      } else if (ep.type === 'dos_random' || ep.type === 'dos_random_sybil') claim = randomState(ep, this.network);
      else claim = neighbourMessage(ep, this.vehicles, ts);
      if (!claim) continue;
      if (isSybil(ep.type)) this.sendUnderPseudonym(v, ep, ts, claim);
      else this.sendOwn(v, ts, claim, ep, copied, false);
    }
  }

  /** A message under a pseudonym: a new one every `burst` messages (every message for the floods). */
  private sendUnderPseudonym(v: Vehicle, ep: VehicleEpisode, ts: number, claim: Kinematics | undefined): void {
    if (!claim) return;
    if (ep.burstLeft <= 0 || ep.identities.length === 0) {
      ep.identities.push({ id: this.host.freshVehicleId(ep.rng), seq: ep.rng.int(0, 4000), along: 0, across: 0 });
      ep.burstLeft = ep.burst;
    }
    ep.burstLeft--;
    const pseudonym = ep.identities[ep.identities.length - 1] as VehicleEpisode['identities'][number];
    pseudonym.seq++;
    this.transmit(v, ts, ts, pseudonym.id, pseudonym.seq, claim, ep);
  }

  /** Sybil: each ghost copies the attacker's track at a fixed place in a formation around it, through a receiver of its own. */
  private sendGhosts(v: Vehicle, ep: VehicleEpisode, now: number, truth: Kinematics): void {
    const rad = (truth.heading * Math.PI) / 180;
    const own = this.radio.transmitter(v);
    ep.identities.forEach((g, j) => {
      const ts = now + 2 * j + 1;
      const x = truth.x + g.along * Math.sin(rad) + g.across * Math.cos(rad);
      const y = truth.y + g.along * Math.cos(rad) - g.across * Math.sin(rad);
      const speed = Math.max(0, truth.speed + ep.rng.normal(0, 0.15));
      const error = (g.error ??= own.error.clone(ep.rng.fork(g.id), this.noise));
      g.seq++;
      this.transmit(v, ts, ts, g.id, g.seq, this.radio.read(error, ts, { ...truth, x, y, speed }), ep);
    });
  }
}
