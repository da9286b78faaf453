export { createApi } from './server.js';
export { ledgerAuditLog } from './ledger-audit.js';
export { buildCaseBundle, storeCaseSources } from './case-bundle.js';
export type { CaseSources, CaseBundleOptions } from './case-bundle.js';
export { ruleBookAdmin } from './rulebook-admin.js';
export type { RuleBookPort } from './rulebook-admin.js';
export type { LedgerAuditOptions } from './ledger-audit.js';
export type { ApiOptions, VigilApi, PublishedOutput, OperationReport } from './server.js';
export { createToken, listTokens, revokeToken, hashToken, Authenticator, can, TOKEN_PREFIX, DEFAULT_TOKEN_LIFETIME_MS, parseLifetime, tokenAction } from './auth.js';
export { hostCheck, hostName, LOOPBACK_HOSTS } from './host-check.js';
export type { Principal, Permission } from './auth.js';
export { ApiError } from './errors.js';
export type { ApiErrorCode } from './errors.js';
export { DEFAULT_LIMITS } from './limits.js';
export type { Limits } from './limits.js';
export { RuleAdminError } from './ports.js';
export type {
  AuditLog,
  RuleAdmin,
  RuleItem,
  RuleItemKind,
  ExceptionSpec,
  SuppressionSpec,
  EvidenceBundleView,
  CheckpointView,
  CosignatureView,
  VerificationView,
  LedgerStatusView,
} from './ports.js';
export { sensorKeyScope, sensorKeyName, sensorKeyActionFlusher } from './sensors.js';
export type { SensorKeyActionFlusher } from './sensors.js';
export { createGraphiql, GRAPHIQL_CSP } from './graphiql.js';
export type { AuthorityDesk } from './resolvers/authority-port.js';
