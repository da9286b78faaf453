/** Rule administration: the rule book validates and changes first, the ledger records, then the store mirrors the action. */
import { requirePermission } from '../auth.js';
import { ApiError } from '../errors.js';
import type { Resolvers } from '../generated/schema-types.js';
import type { RuleAdmin, RuleItem, RuleItemKind } from '../ports.js';
import { text, type ApiContext, type Kit } from './context.js';

export function ruleResolvers(kit: Kit): Resolvers {
  const { store } = kit;

  function rules(ctx: ApiContext): RuleAdmin {
    requirePermission(ctx.principal, 'rules');
    if (!kit.rules) throw new ApiError('UNAVAILABLE', 'no rule book is configured on this node');
    return kit.rules;
  }

  async function ruleChange(ctx: ApiContext, kind: RuleItemKind, action: string, fn: (r: RuleAdmin) => Promise<{ before: RuleItem | null; after: RuleItem }>) {
    const admin = rules(ctx);
    return kit.serialised(`rules`, async () => {
      // The rule book assigns ids and validates the rule, so it changes first; the action
      // is in the ledger before the mutation reports success.
      const { before, after } = await fn(admin);
      const rec = await kit.recordToLedger(ctx, action, { type: 'rule', id: `${kind}:${after.id}` }, before, after);
      await store.recordAction(rec);
      return { item: after, action: rec };
    });
  }

  async function disable(ctx: ApiContext, kind: RuleItemKind, a: { id: string; reason: string }) {
    const id = text('id', a.id);
    const reason = text('reason', a.reason, 1000);
    const result = await ruleChange(ctx, kind, `${kind}.disable`, async (r) => r.disable(kind, id, ctx.principal.name));
    if (reason) result.action.comment = reason;
    return result;
  }

  return {
    Query: {
      rules: (_, a) => {
        if (!kit.rules) throw new ApiError('UNAVAILABLE', 'no rule book is configured on this node');
        return kit.rules.list(a.kind ?? undefined);
      },
    },

    Mutation: {
      addRule: (_, a, ctx) => {
        const source = a.source;
        if (source.trim() === '' || source.length > 200_000) throw new ApiError('BAD_INPUT', 'source: expected a Sigma rule of at most 200000 characters');
        const admin = rules(ctx);
        return kit.serialised('rules', async () => {
          // Parsed, validated and in the ledger before it runs: a rule that ever fired has its
          // `rule.add` entry, even if the node stops between the two steps.
          const checked = await admin.checkRule(source);
          const rec = await kit.recordToLedger(ctx, 'rule.add', { type: 'rule', id: `rule:${checked.id}` }, null, checked);
          const item = await admin.addRule(source, ctx.principal.name);
          await store.recordAction(rec);
          return { item, action: rec };
        });
      },
      addException: (_, a, ctx) => {
        const i = a.input;
        const selection: unknown = i.selection;
        if (selection !== undefined && selection !== null && (typeof selection !== 'object' || Array.isArray(selection))) {
          throw new ApiError('BAD_INPUT', 'selection: expected a JSON object (a Sigma selection)');
        }
        const spec = {
          rule: text('rule', i.rule),
          reason: text('reason', i.reason, 1000),
          ...(i.entity ? { entity: i.entity } : {}),
          ...(i.field ? { field: i.field } : {}),
          ...(i.value !== undefined && i.value !== null ? { value: i.value } : {}),
          ...(selection ? { selection: selection as Record<string, unknown> } : {}),
        };
        return ruleChange(ctx, 'exception', 'exception.add', async (r) => ({ before: null, after: await r.addException(spec, ctx.principal.name) }));
      },
      addSuppression: (_, a, ctx) => {
        const i = a.input;
        const seconds = i.timespanSeconds;
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > 30 * 86_400) throw new ApiError('BAD_INPUT', 'timespanSeconds: expected 0 to 2592000 (30 days)');
        const groupBy = i.groupBy;
        const spec = {
          rule: text('rule', i.rule),
          timespanMs: seconds * 1000,
          reason: text('reason', i.reason, 1000),
          ...(groupBy ? { groupBy } : {}),
        };
        return ruleChange(ctx, 'suppression', 'suppression.add', async (r) => {
          const before = (await r.list('suppression')).find((s) => s.id === spec.rule && s.enabled) ?? null;
          return { before, after: await r.addSuppression(spec, ctx.principal.name) };
        });
      },
      disableRule: (_, a, ctx) => disable(ctx, 'rule', a),
      disableException: (_, a, ctx) => disable(ctx, 'exception', a),
      disableSuppression: (_, a, ctx) => disable(ctx, 'suppression', a),
    },
  };
}
