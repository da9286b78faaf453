/**
 * What `vigil start --demo` adds so a person can look at once: a sign-in token per role,
 * made on first start. Tokens are stored hashed like any other; their plaintext is shown
 * once, in a file only the owner can read, as `vigil token create` would print it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createToken, listTokens, tokenAction } from '../api/index.js';
import type { SqliteStore } from '../store/index.js';
import { describeNetwork, roadNetwork, simulate } from '../collectors/index.js';
import { trainDemoModel, type CityMap, type ModelBundle } from '../detector/index.js';
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../events/index.js';

export const DEMO_ROLES = ['analyst', 'authority', 'auditor', 'admin'] as const;

/** Make the demo tokens if the node has no token yet; returns the file that holds them. */
export function ensureDemoTokens(store: SqliteStore, dataDir: string, now: () => number): { path: string; created: boolean } {
  const path = join(dataDir, 'demo-tokens.json');
  if (listTokens(store).length > 0) return { path, created: false };
  const tokens: Record<string, string> = {};
  for (const role of DEMO_ROLES) {
    // The demo's tokens live as long as the node's data (a person is looking at it); a
    // deployment makes its own, which expire (api/auth.ts DEFAULT_TOKEN_LIFETIME_MS).
    const { token, record } = createToken(store, { name: `demo ${role}`, role, createdBy: 'vigil start --demo', lifetimeMs: null }, now);
    store.recordAction(tokenAction('token.create', null, record, 'vigil start --demo', now));
    tokens[role] = token;
  }
  writeFileSync(path, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  return { path, created: true };
}

export function demoTokensExist(dataDir: string): boolean {
  return existsSync(join(dataDir, 'demo-tokens.json'));
}


export interface DemoTrainingOptions {
  /** Simulator seed of the training traffic. @default 1 */
  seed?: number;
  /** @default 100 */
  vehicles?: number;
  /** @default 50 */
  devices?: number;
  /** Simulated seconds of normal traffic to learn from. @default 60 */
  durationS?: number;
  /** @default 2026-01-01T00:00:00Z */
  start?: number;
  onProgress?: (message: string) => void;
}

/**
 * Trains the demo's model from the simulator's normal traffic (attack rate 0, labels never
 * read) with the simulator's own road network and RSUs as the city, so the range and
 * off-road features mean what they will mean live. About 10 s with the defaults on two
 * cores. Returns the model and the city the detector scoring live traffic should use.
 */
export async function trainDemoModelFromSimulator(options: DemoTrainingOptions = {}): Promise<{ bundle: ModelBundle; city: CityMap }> {
  const city = cityFromDescription(describeNetwork(roadNetwork()));
  const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
  const run = simulate({ seed: options.seed ?? 1, vehicles: options.vehicles ?? 100, devices: options.devices ?? 50, duration: options.durationS ?? 60, attackRate: 0, ...(options.start !== undefined ? { start: options.start } : {}) });
  function* batches(): Generator<VigilEvent[]> {
    for (const chunk of run) {
      const events: VigilEvent[] = [];
      for (const line of chunk.events) {
        const r = parseJsonRecord(line, opts);
        if (r.ok) events.push(r.event);
      }
      if (events.length > 0) yield events;
    }
  }
  const bundle = await trainDemoModel(batches(), { features: { city }, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  return { bundle, city };
}

/** The detector's city from `vigil simulate --network` JSON (or `describeNetwork`). */
export function cityFromDescription(raw: {
  rsus?: Array<{ id: string; lat: number; lon: number; range: number }>;
  roads?: Array<{ from: { lat: number; lon: number }; to: { lat: number; lon: number } }>;
}): CityMap {
  const city: CityMap = {};
  if (raw.rsus) city.rsus = Object.fromEntries(raw.rsus.map((r) => [r.id, { lat: r.lat, lon: r.lon, rangeM: r.range }]));
  if (raw.roads) city.roads = raw.roads.map((r) => [[r.from.lat, r.from.lon], [r.to.lat, r.to.lon]] as const);
  return city;
}
