/** Traffic for the case-bundle and triage tests. */

/** Safety messages jumping between two points 17 km apart every half second. */
export function teleports(vehicle: string, n: number, now = Date.now()): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ kind: 'bsm', vehicle, ts: now - 20_000 + i * 500, lat: i % 2 ? 1.3 : 1.4, lon: i % 2 ? 103.8 : 103.92, speed: 12, heading: 90, seq: i })).join('\n');
}

