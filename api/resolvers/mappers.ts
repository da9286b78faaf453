/**
 * The types GraphQL objects resolve from, named for codegen's `mappers`
 * (see codegen.ts).
 */
import type { Alert, DeadLetterRecord, StoredEvent, StoredIncident, VehiclePosition } from '../../store/index.js';
import type { EntityParent } from './context.js';

export type { ActionRecord, Alert, DeadLetterRecord, ReputationPoint, StoredEvent, StoredIncident, TokenRecord, VehiclePosition } from '../../store/index.js';
export type { Principal } from '../auth.js';
export type { CheckpointView, EvidenceBundleView, RuleItem, VerificationView } from '../ports.js';
export type { ApiContext, EntityParent, IncidentChange } from './context.js';
export type { OverruleRecord } from '../../store/index.js';

/** A Relay connection over a store page; `totalCount` is counted only when a client asks for it. */
export interface Connection<T> {
  edges: Array<{ node: T; cursor: string }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => number | Promise<number>;
}

export type EventPage = Connection<StoredEvent>;
export type AlertPage = Connection<Alert>;
export type IncidentPage = Connection<StoredIncident>;
export type EntityPage = Connection<EntityParent>;
export type DeadLetterPage = Connection<DeadLetterRecord>;

export type VehiclePositionPage = Connection<VehiclePosition>;
