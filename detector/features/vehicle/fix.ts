/**
 * One BSM's claim as the vehicle checks read it: a `Fix`. The repeated
 * ts / lat / lon / speed / heading groups of the checks are this one type.
 */
import type { VigilEvent } from '../../../events/index.js';

export interface Fix {
  /** Epoch ms. */
  ts: number;
  lat: number;
  lon: number;
  /** Metres east and north of the vehicle's own tangent-plane origin. */
  x: number;
  y: number;
  /** m/s. */
  speed: number;
  /** Degrees from north. */
  heading: number;
  /** m/s², when sent. */
  accel: number | undefined;
  seq: number | undefined;
  /** 1-σ position accuracy the message states (J2735 PositionalAccuracy), metres. */
  posAccuracy: number | undefined;
  /** 1-σ heading accuracy the message states, degrees. */
  headingAccuracy: number | undefined;
  /** Receiving roadside unit (`observer.name`), '' when unknown. */
  rsu: string;
}

export const RAD = Math.PI / 180;
/** Metres per degree of latitude on the sphere `geo.distanceM` uses. */
export const M_PER_DEG = 6_371_008.8 * RAD;

/** A local tangent plane (equirectangular about its origin: exact to < 0.1 % over a city). */
export class Plane {
  readonly kx: number;
  constructor(
    readonly lat0: number,
    readonly lon0: number,
  ) {
    this.kx = M_PER_DEG * Math.cos(lat0 * RAD);
  }
  x(lon: number): number {
    let d = lon - this.lon0;
    if (d > 180) d -= 360;
    else if (d < -180) d += 360;
    return d * this.kx;
  }
  y(lat: number): number {
    return (lat - this.lat0) * M_PER_DEG;
  }
}

export function fixOf(event: VigilEvent, plane: Plane): Fix | undefined {
  const v = event.vigil.vehicle;
  if (!v) return undefined;
  return {
    ts: event.vigil.ts,
    lat: v.lat,
    lon: v.lon,
    x: plane.x(v.lon),
    y: plane.y(v.lat),
    speed: v.speed,
    heading: v.heading,
    accel: v.accel,
    seq: v.seq,
    posAccuracy: (v as { pos_accuracy?: number }).pos_accuracy,
    headingAccuracy: (v as { heading_accuracy?: number }).heading_accuracy,
    rsu: event.observer?.name ?? '',
  };
}

export { angleDiffDeg as angleDiff } from '../../geo.js';
