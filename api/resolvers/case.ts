/** The auditor's case bundle: one file for an incident (api/case-bundle.ts). */
import { buildCaseBundle, storeCaseSources } from '../case-bundle.js';
import { heavy } from '../heavy.js';
import type { Resolvers } from '../generated/schema-types.js';
import type { Kit } from './context.js';

export function caseResolvers(kit: Kit): Resolvers {
  return {
    Query: {
      caseBundle: (_, a, ctx) =>
        heavy(ctx, async () => (await buildCaseBundle(a.incidentId, storeCaseSources(kit.store, (id) => kit.ledger().proveById(id)), { now: kit.now })) ?? null),
    },
    Incident: {
      severityReasons: (p) => p.incident.severityBasis?.reasons ?? [],
    },
  };
}
