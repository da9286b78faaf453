export { RuleBook } from './book.js';
export type { RuleHit, RuleMeta, RuleListing, RuleExplanation, RuleStatus, RuleBookOptions, Suppression, CorrelationType } from './book.js';
export { compileCondition, compileFieldMatcher, compileSearch, getter, parseTimespan } from './match.js';
export type { MatchContext, Predicate } from './match.js';
export { combineMappings, defaultSigmaMapping, parseMapping, resolveLogsource, DEFAULT_MAPPING_FILE } from './mapping.js';
export type { SigmaMapping, LogsourceEntry, FieldTarget } from './mapping.js';
export { loadRuleDir, loadRuleFiles, loadRuleSources, rulesFolder, STARTER_PACK_DIR } from './load.js';
export type { FileResult } from './load.js';
