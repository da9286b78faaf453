/**
 * The `RuleAdmin` port over the detector's rule book. The API may not import detector/, so
 * the book is described here by the methods it has (structurally); pipeline passes its
 * `RuleBook` to `ruleBookAdmin` and the result to `createApi`.
 */
import { RuleAdminError, type ExceptionSpec, type RuleAdmin, type RuleItem, type RuleItemKind, type SuppressionSpec } from './ports.js';

/** What `detector`'s `RuleBook` offers for administration. */
export interface RuleBookPort {
  add(yamlText: string): string[];
  /** What `list` would show for the text's rules once added; validates without changing the book. */
  preview(yamlText: string): Array<{ id: string; title: string; enabled: boolean }>;
  disable(id: string): void;
  addException(ruleId: string, selection: Record<string, unknown>, note?: string): string;
  removeException(exceptionId: string): boolean;
  addSuppression(ruleId: string, suppression: { timespanMs: number; groupBy?: string[] }): void;
  list(): Array<{ id: string; title: string; enabled: boolean; kind: string; level: string; hash: string; status?: { canFire: boolean; missing: string[]; reason?: string } }>;
}

export function ruleBookAdmin(book: RuleBookPort): RuleAdmin {
  // The book keeps exceptions and suppressions for matching only; what an admin set (and
  // why) is kept here so it can be listed and shown before/after in the audit trail.
  const exceptions = new Map<string, RuleItem>();
  const suppressions = new Map<string, RuleItem>();

  const rules = (): RuleItem[] =>
    book.list().map((r) => ({ kind: 'rule', id: r.id, title: r.title, enabled: r.enabled, spec: { ...r } }));
  const rule = (id: string): RuleItem => {
    const r = rules().find((x) => x.id === id);
    if (!r) throw new RuleAdminError('NOT_FOUND', `no rule ${id}`);
    return r;
  };

  return {
    list(kind?: RuleItemKind) {
      const all = [...rules(), ...exceptions.values(), ...suppressions.values()];
      return kind === undefined ? all : all.filter((i) => i.kind === kind);
    },
    checkRule(source) {
      const listed = translate(() => book.preview(source));
      const first = listed[0];
      if (!first) throw new RuleAdminError('INVALID_RULE', 'source: no rule in the YAML');
      return { kind: 'rule', id: first.id, title: first.title, enabled: first.enabled, spec: { ...first } };
    },
    addRule(source) {
      // The book adds all of a text's documents or none (it compiles and resolves every one
      // before committing), so a chain of correlations never lands half-added.
      const ids = translate(() => book.add(source));
      if (ids.length === 0) throw new RuleAdminError('INVALID_RULE', 'source: no rule in the YAML');
      return rule(ids[0]!);
    },
    addException(spec: ExceptionSpec, actor) {
      const selection: Record<string, unknown> = { ...spec.selection };
      if (spec.entity !== undefined) selection['vigil.entity.id'] = spec.entity;
      if (spec.field !== undefined) selection[spec.field] = spec.value ?? null;
      if (Object.keys(selection).length === 0) throw new RuleAdminError('INVALID_RULE', 'exception: give an entity, a field and value, or a selection');
      const id = translate(() => book.addException(spec.rule, selection, spec.reason));
      const item: RuleItem = { kind: 'exception', id, title: `${spec.rule}: ${spec.reason}`, enabled: true, spec: { ...spec, selection, by: actor } };
      exceptions.set(id, item);
      return item;
    },
    addSuppression(spec: SuppressionSpec, actor) {
      translate(() => book.addSuppression(spec.rule, { timespanMs: spec.timespanMs, ...(spec.groupBy ? { groupBy: spec.groupBy } : {}) }));
      const item: RuleItem = { kind: 'suppression', id: spec.rule, title: `${spec.rule}: ${spec.reason}`, enabled: true, spec: { ...spec, by: actor } };
      suppressions.set(spec.rule, item);
      return item;
    },
    disable(kind, id) {
      if (kind === 'rule') {
        const before = rule(id);
        translate(() => book.disable(id));
        return { before, after: rule(id) };
      }
      if (kind === 'exception') {
        const before = exceptions.get(id);
        if (!before || !before.enabled) throw new RuleAdminError('NOT_FOUND', `no active exception ${id}`);
        book.removeException(id);
        const after = { ...before, enabled: false };
        exceptions.set(id, after);
        return { before, after };
      }
      const before = suppressions.get(id);
      if (!before || !before.enabled) throw new RuleAdminError('NOT_FOUND', `no active suppression for ${id}`);
      // A zero window folds nothing: the book's way of lifting a suppression.
      translate(() => book.addSuppression(id, { timespanMs: 0 }));
      const after = { ...before, enabled: false };
      suppressions.set(id, after);
      return { before, after };
    },
  };
}

/** The detector's errors, by name (api/ cannot import its class), as errors a client can read. */
function translate<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Error && err.name === 'DetectorError') {
      const code = (err as Error & { code?: string }).code;
      throw new RuleAdminError(code === 'RULE_NOT_FOUND' ? 'NOT_FOUND' : code === 'RULE_DUPLICATE' ? 'CONFLICT' : 'INVALID_RULE', err.message, { cause: err });
    }
    throw err;
  }
}
