/** The signed log as investigators and auditors see it: evidence bundles, their verification, the log's state, each action's proof. */
import { ApiError } from '../errors.js';
import { heavy } from '../heavy.js';
import type { Resolvers } from '../generated/schema-types.js';
import { orNull } from './args.js';
import type { Kit } from './context.js';

export function ledgerResolvers(kit: Kit): Resolvers {
  return {
    Query: {
      evidence: (_, a, ctx) => heavy(ctx, () => orNull(kit.ledger().proveById(a.id))),
      verifyEvidence: (_, a, ctx) => heavy(ctx, () => {
        let bundle: unknown = a.bundle;
        if (typeof bundle === 'string') {
          try {
            bundle = JSON.parse(bundle) as unknown;
          } catch {
            throw new ApiError('BAD_INPUT', 'bundle: expected an evidence bundle as JSON');
          }
        }
        return kit.ledger().verify(bundle);
      }),
      ledgerStatus: () => {
        const s = kit.ledger().status();
        return { origin: s.origin, size: s.size, publicKey: s.publicKeyPem, latestCheckpoint: s.latestCheckpoint ?? null, latestPublished: s.latestPublished ?? null };
      },
    },

    Action: {
      timestamp: (p) => p.ts,
      comment: (p) => p.comment ?? null,
      ledgerIndex: (p) => p.ledgerIndex ?? null,
      evidence: (p, _, ctx) => heavy(ctx, () => orNull(kit.ledger().proveById(p.id))),
    },

    Checkpoint: { timestamp: (p) => p.ts },
    EvidenceBundle: { json: (p) => p },
  };
}
