/**
 * Resolvers, one module per domain in `resolvers/`, typed from the SDL by GraphQL Code
 * Generator (`npm run codegen` writes `generated/schema-types.ts`; a test fails when the
 * two drift). Reads are open to every role; each mutation first checks the caller's
 * permission, then writes an `action` entry to the ledger (who, what, when, before, after)
 * and only then changes the store, so no change is ever visible without its trace.
 */
import type { Resolvers } from './generated/schema-types.js';
import { createKit, type ResolverDeps } from './resolvers/context.js';
import { authorityResolvers } from './resolvers/authority.js';
import { caseResolvers } from './resolvers/case.js';
import { eventResolvers } from './resolvers/events.js';
import { incidentResolvers } from './resolvers/incidents.js';
import { ledgerResolvers } from './resolvers/ledger.js';
import { ruleResolvers } from './resolvers/rules.js';
import { tokenResolvers } from './resolvers/tokens.js';
import { vehicleResolvers } from './resolvers/vehicles.js';
import { ENUM_VALUES } from './resolvers/enums.js';
import { JsonScalar, TimestampScalar } from './scalars.js';

export type { ApiContext, PubSubTopics, ResolverDeps } from './resolvers/context.js';


/** The typed resolvers, plus the scalars and enums graphql-tools builds from plain configs. */
export type ApiResolvers = Omit<Resolvers, 'Timestamp' | 'JSON'> & { Timestamp: typeof TimestampScalar; JSON: typeof JsonScalar } & typeof ENUM_VALUES;

export function createResolvers(deps: ResolverDeps): ApiResolvers {
  const kit = createKit(deps);
  const parts = [eventResolvers(kit), incidentResolvers(kit), vehicleResolvers(kit), ledgerResolvers(kit), ruleResolvers(kit), tokenResolvers(kit), caseResolvers(kit), authorityResolvers(kit)];
  const merged: Resolvers = { ApiToken: {} };
  for (const part of parts) {
    for (const [type, fields] of Object.entries(part) as Array<[keyof Resolvers, object]>) {
      // A type's fields may come from several domains (Query, Mutation, Subscription); no field twice.
      const into = (merged[type] ?? {}) as Record<string, unknown>;
      for (const name of Object.keys(fields)) {
        if (name in into) throw new Error(`resolver ${String(type)}.${name} is defined twice`);
      }
      (merged as Record<string, unknown>)[type] = { ...into, ...fields };
    }
  }
  return { ...merged, Timestamp: TimestampScalar, JSON: JsonScalar, ...ENUM_VALUES };
}
