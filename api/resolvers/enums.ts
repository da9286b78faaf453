/**
 * The SDL's enums and the values the store and the detector use for them: the resolvers
 * map one to the other at run time, and codegen (codegen.ts) types the arguments with
 * these same values, so the two cannot disagree.
 */
export const ENUM_VALUES = {
  Role: { ANALYST: 'analyst', AUTHORITY: 'authority', AUDITOR: 'auditor', ADMIN: 'admin' },
  Severity: { LOW: 'low', MEDIUM: 'medium', HIGH: 'high', CRITICAL: 'critical' },
  IncidentStatus: { OPEN: 'open', ACKNOWLEDGED: 'acknowledged', RESOLVED: 'resolved' },
  Resolution: { TRUE_POSITIVE: 'true_positive', FALSE_POSITIVE: 'false_positive', BENIGN: 'benign', DUPLICATE: 'duplicate' },
  EventKind: { BSM: 'bsm', TELEMETRY: 'telemetry', NET: 'net', AUTH: 'auth', LOG: 'log', CAN: 'can' },
  EntityType: { VEHICLE: 'vehicle', DEVICE: 'device', HOST: 'host' },
  SortDirection: { ASC: 'asc', DESC: 'desc' },
  AlertSortField: { TIMESTAMP: 'ts', SEVERITY: 'severity', SCORE: 'score' },
  IncidentSortField: { LAST_SEEN: 'lastSeen', FIRST_SEEN: 'firstSeen', SEVERITY: 'severity', ALERT_COUNT: 'alertCount' },
  OriginType: { RULE: 'rule', MODEL: 'model', REPUTATION: 'reputation' },
  RuleItemKind: { RULE: 'rule', EXCEPTION: 'exception', SUPPRESSION: 'suppression' },
  OverruleReason: { FALSE_POSITIVE: 'false_positive', TEST_VEHICLE: 'test_vehicle', FIXED: 'fixed' },
  AuthorityDecisionKind: { CLEAR: 'clear', ROGUE: 'rogue' },
} as const;
