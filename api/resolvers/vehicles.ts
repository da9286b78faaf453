/** Vehicles and devices: reputation, the detector's and the authority's flags, and each one's history. */
import type { EntityType } from '../../events/index.js';
import { MAX_PAGE, type EntityFlag } from '../../store/index.js';
import { requirePermission } from '../auth.js';
import { ApiError } from '../errors.js';
import type { DeviceResolvers, Resolvers } from '../generated/schema-types.js';
import { pageSize } from '../limits.js';
import { connection, entityConnection, entityFilter, pageRequest, range } from './args.js';
import { text, type ApiContext, type EntityParent, type Kit } from './context.js';

/** Positions in one `vehiclePositions` page, at most (the store's own page cap). */
const MAX_POSITIONS = MAX_PAGE;

export function vehicleResolvers(kit: Kit): Resolvers {
  const { store, limits, now } = kit;

  async function entity(id: string, type: EntityType): Promise<EntityParent> {
    return { id, type, summary: await store.getEntity(id, type) };
  }

  async function entityFlag(ctx: ApiContext, id: string, flagged: boolean, reason: string) {
    requirePermission(ctx.principal, 'vehicles');
    return kit.serialised(`vehicle:${id}`, async () => {
      const before = (await store.getEntity(id, 'vehicle'))?.flag ?? null;
      const flag: EntityFlag = { flagged, reason, by: ctx.principal.name, at: now() };
      const rec = await kit.recordToLedger(ctx, flagged ? 'vehicle.flag' : 'vehicle.clear', { type: 'vehicle', id }, before, flag);
      const summary = await store.setEntityFlag(id, 'vehicle', flag, rec);
      return { vehicle: { id, type: 'vehicle', summary } satisfies EntityParent, action: rec };
    });
  }

  // Vehicle and Device have the same fields (the SDL keeps them apart for the clients).
  const entityFields: DeviceResolvers = {
    reputation: (p) => p.summary?.reputation ?? null,
    detectorFlagged: (p) => p.summary?.detectorFlagged ?? false,
    flag: (p) => p.summary?.flag ?? null,
    flagged: (p) => (p.summary?.detectorFlagged ?? false) || (p.summary?.flag?.flagged ?? false),
    lastSeen: (p) => p.summary?.lastSeen ?? null,
    alertCount: (p) => p.summary?.alertCount ?? 0,
    reputationHistory: (p, a) => {
      const limit = a.limit ?? 500;
      if (!Number.isInteger(limit) || limit < 0 || limit > 10_000) throw new ApiError('BAD_INPUT', 'limit: expected 0 to 10000');
      return store.reputationHistory(p.id, range(a.time), limit);
    },
    recentAlerts: async (p, a) => (await store.searchAlerts({ entity: p.id, entityType: p.type }, { first: pageSize(a.first, limits, 10) })).edges.map((e) => e.node),
    recentEvents: async (p, a) => (await store.searchEvents({ entity: p.id }, { first: pageSize(a.first, limits, 10) })).edges.map((e) => e.node),
    history: (p) => store.actionsFor({ type: p.type === 'vehicle' ? 'vehicle' : 'device', id: p.id }),
  };

  return {
    Query: {
      vehicle: (_, a) => entity(a.id, 'vehicle'),
      device: (_, a) => entity(a.id, 'device'),
      vehicles: async (_, a) => entityConnection(await store.searchEntities({ type: 'vehicle', ...entityFilter(a.filter), ...reputationBelow(a.reputationBelow) }, pageRequest(a, limits))),
      vehiclePositions: async (_, a) => {
        // Its own bound, not the API's page size: a position is a handful of scalars (no nested
        // lists to fan out), and the map's first screen wants the city's vehicles in one page.
        const first = a.first ?? MAX_POSITIONS;
        if (!Number.isInteger(first) || first < 0 || first > MAX_POSITIONS) throw new ApiError('PAGE_TOO_LARGE', `first: expected 0 to ${MAX_POSITIONS} positions, got ${first}`);
        const page = await store.vehiclePositions(entityFilter(a.filter), { first, ...(a.after ? { after: a.after } : {}) });
        return connection(page, () => 0);
      },
      devices: async (_, a) => entityConnection(await store.searchEntities({ type: 'device', ...entityFilter(a.filter), ...reputationBelow(a.reputationBelow) }, pageRequest(a, limits))),
    },
    Mutation: {
      flagVehicle: (_, a, ctx) => entityFlag(ctx, text('id', a.id), true, text('reason', a.reason, 1000)),
      clearVehicle: (_, a, ctx) => entityFlag(ctx, text('id', a.id), false, text('reason', a.reason, 1000)),
    },
    Vehicle: entityFields,
    Device: entityFields,
    ReputationPoint: { timestamp: (p) => p.ts },
    VehiclePosition: {
      id: (p) => p.vehicle.id,
      reputation: (p) => p.vehicle.reputation,
      detectorFlagged: (p) => p.vehicle.detectorFlagged,
      flagged: (p) => p.vehicle.detectorFlagged || (p.vehicle.flag?.flagged ?? false),
      timestamp: (p) => p.ts,
    },
  };
}

/** `reputationBelow`: a trust value in [0, 1], filtered in the store so pages stay full. */
function reputationBelow(v: number | null | undefined): { reputationBelow?: number } {
  if (v === undefined || v === null) return {};
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new ApiError('BAD_INPUT', `reputationBelow: expected a number from 0 to 1, got ${v}`);
  return { reputationBelow: v };
}
