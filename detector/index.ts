export { SEVERITIES } from './types.js';
export type { Severity, AlertOrigin, Alert, Incident, IncidentStatus, Resolution, ReputationPoint } from './types.js';
