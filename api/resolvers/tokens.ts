/** Who is asking, and API tokens (admin only): the secret is shown once and never enters the ledger or the store. */
import type { TokenRecord } from '../../store/index.js';
import { createToken, parseLifetime, requirePermission, revokeToken } from '../auth.js';
import { ApiError } from '../errors.js';
import type { Resolvers } from '../generated/schema-types.js';
import type { Kit } from './context.js';

export function tokenResolvers(kit: Kit): Resolvers {
  const { store, tokens, now } = kit;
  return {
    Query: {
      me: (_, __, ctx) => ctx.principal,
      tokens: (_, __, ctx) => {
        requirePermission(ctx.principal, 'tokens');
        return tokens.listTokens();
      },
    },

    Mutation: {
      createToken: (_, a, ctx) => {
        requirePermission(ctx.principal, 'tokens');
        return kit.serialised('tokens', async () => {
          const lifetime = a.expires === undefined || a.expires === null ? {} : { lifetimeMs: parseLifetime(a.expires) };
          const { token, record } = createToken(tokens, { name: a.name, role: a.role, createdBy: ctx.principal.name, ...lifetime }, now);
          // The secret never enters the ledger or the store; only who got which role.
          const rec = await kit.recordToLedger(ctx, 'token.create', { type: 'token', id: record.id }, null, record);
          await store.recordAction(rec);
          return { token, info: record, action: rec };
        });
      },
      revokeToken: (_, a, ctx) => {
        requirePermission(ctx.principal, 'tokens');
        return kit.serialised('tokens', async () => {
          const id = a.id;
          const before = tokens.listTokens().find((t) => t.id === id);
          if (!before) throw new ApiError('NOT_FOUND', `no token ${id}`);
          const after: TokenRecord = { ...before, revokedAt: before.revokedAt ?? now() };
          const rec = await kit.recordToLedger(ctx, 'token.revoke', { type: 'token', id }, before, after);
          const info = revokeToken(tokens, id, now);
          await store.recordAction(rec);
          return { info, action: rec };
        });
      },
    },
  };
}
