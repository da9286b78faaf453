export { RuleBook } from './book.js';
export type { RuleHit, RuleMeta, Suppression, CorrelationType } from './book.js';
export { compileCondition, compileFieldMatcher, compileSearch, getter, parseTimespan } from './match.js';
export type { MatchContext, Predicate } from './match.js';
export { loadRuleDir, STARTER_PACK_DIR } from './load.js';
