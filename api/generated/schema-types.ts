import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { StoredEvent as StoredEventModel, EventPage as EventPageModel, Alert as AlertModel, AlertPage as AlertPageModel, StoredIncident as StoredIncidentModel, IncidentPage as IncidentPageModel, IncidentChange as IncidentChangeModel, EntityParent as EntityParentModel, EntityPage as EntityPageModel, VehiclePosition as VehiclePositionModel, VehiclePositionPage as VehiclePositionPageModel, DeadLetterRecord as DeadLetterRecordModel, DeadLetterPage as DeadLetterPageModel, ActionRecord as ActionRecordModel, ReputationPoint as ReputationPointModel, TokenRecord as TokenRecordModel, Principal as PrincipalModel, RuleItem as RuleItemModel, CheckpointView as CheckpointViewModel, EvidenceBundleView as EvidenceBundleViewModel, VerificationView as VerificationViewModel, OverruleRecord as OverruleRecordModel, ApiContext } from '../resolvers/mappers.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** Arbitrary JSON (an event document, a ledger entry, an evidence bundle). */
  JSON: { input: unknown; output: unknown; }
  /** ISO-8601 instant on output; an ISO-8601 string or epoch milliseconds on input. */
  Timestamp: { input: number; output: number; }
};

/** One analyst, authority or admin action, written to the ledger as an action entry. */
export type Action = {
  __typename?: 'Action';
  action: Scalars['String']['output'];
  actor: Scalars['String']['output'];
  after?: Maybe<Scalars['JSON']['output']>;
  before?: Maybe<Scalars['JSON']['output']>;
  comment?: Maybe<Scalars['String']['output']>;
  /** The evidence bundle proving this action is in the signed log. */
  evidence?: Maybe<EvidenceBundle>;
  id: Scalars['ID']['output'];
  ledgerIndex?: Maybe<Scalars['Int']['output']>;
  role: Role;
  target: ActionTarget;
  timestamp: Scalars['Timestamp']['output'];
};

export type ActionTarget = {
  __typename?: 'ActionTarget';
  id: Scalars['ID']['output'];
  type: Scalars['String']['output'];
};

export type Alert = {
  __typename?: 'Alert';
  category?: Maybe<Scalars['String']['output']>;
  description: Scalars['String']['output'];
  entity: EntityRef;
  /** The evidence events still stored (retention may have removed old ones; the ledger keeps proving them). */
  evidence: Array<Event>;
  evidenceIds: Array<Scalars['ID']['output']>;
  evidenceTruncated?: Maybe<Truncation>;
  id: Scalars['ID']['output'];
  incident?: Maybe<Incident>;
  origin: AlertOrigin;
  score: Scalars['Float']['output'];
  severity: Severity;
  tags: Array<Scalars['String']['output']>;
  timestamp: Scalars['Timestamp']['output'];
  title: Scalars['String']['output'];
};


export type AlertEvidenceArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type AlertConnection = {
  __typename?: 'AlertConnection';
  edges: Array<AlertEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type AlertEdge = {
  __typename?: 'AlertEdge';
  cursor: Scalars['String']['output'];
  node: Alert;
};

export type AlertFilter = {
  category?: InputMaybe<Scalars['String']['input']>;
  entity?: InputMaybe<Scalars['ID']['input']>;
  entityType?: InputMaybe<EntityType>;
  incident?: InputMaybe<Scalars['ID']['input']>;
  originType?: InputMaybe<OriginType>;
  /** A rule (or model) id. */
  rule?: InputMaybe<Scalars['String']['input']>;
  severities?: InputMaybe<Array<Severity>>;
  text?: InputMaybe<Scalars['String']['input']>;
  time?: InputMaybe<TimeRange>;
};

export type AlertOrigin = {
  __typename?: 'AlertOrigin';
  /** hex SHA-256 of the rule or model */
  hash: Scalars['String']['output'];
  id: Scalars['String']['output'];
  title?: Maybe<Scalars['String']['output']>;
  type: OriginType;
};

export type AlertSort = {
  direction: SortDirection;
  field: AlertSortField;
};

export type AlertSortField =
  | 'score'
  | 'severity'
  | 'ts';

export type ApiToken = {
  __typename?: 'ApiToken';
  createdAt: Scalars['Timestamp']['output'];
  createdBy: Scalars['String']['output'];
  /** After this the token is refused; null: never. */
  expiresAt?: Maybe<Scalars['Timestamp']['output']>;
  id: Scalars['ID']['output'];
  lastUsedAt?: Maybe<Scalars['Timestamp']['output']>;
  name: Scalars['String']['output'];
  revokedAt?: Maybe<Scalars['Timestamp']['output']>;
  role: Role;
};

/** One decision of the transport authority on a vehicle; written to the ledger as an action before it took effect. */
export type AuthorityDecision = {
  __typename?: 'AuthorityDecision';
  /** The ledger action (with its evidence bundle). */
  action?: Maybe<Action>;
  /** The vehicle's alerts when it was decided: what a CLEAR overrules. */
  alertIds: Array<Scalars['ID']['output']>;
  at: Scalars['Timestamp']['output'];
  by: Scalars['String']['output'];
  comment: Scalars['String']['output'];
  decision: AuthorityDecisionKind;
  id: Scalars['ID']['output'];
  ledgerIndex?: Maybe<Scalars['Int']['output']>;
  /** Why a detector flag was overruled (CLEAR only). */
  reason?: Maybe<OverruleReason>;
  vehicleId: Scalars['ID']['output'];
};

export type AuthorityDecisionKind =
  | 'clear'
  | 'rogue';

export type AuthorityDecisionPayload = {
  __typename?: 'AuthorityDecisionPayload';
  action: Action;
  decision: AuthorityDecision;
  vehicle: Vehicle;
};

export type Checkpoint = {
  __typename?: 'Checkpoint';
  keyId: Scalars['String']['output'];
  origin: Scalars['String']['output'];
  prev: Scalars['String']['output'];
  root: Scalars['String']['output'];
  signature: Scalars['String']['output'];
  size: Scalars['Int']['output'];
  timestamp: Scalars['Timestamp']['output'];
};

export type Cosignature = {
  __typename?: 'Cosignature';
  keyId: Scalars['String']['output'];
  publicKey: Scalars['String']['output'];
  signature: Scalars['String']['output'];
  time: Scalars['Int']['output'];
  witness: Scalars['String']['output'];
};

export type CreatedToken = {
  __typename?: 'CreatedToken';
  info: ApiToken;
  /** Shown once; only its SHA-256 is kept. */
  token: Scalars['String']['output'];
};

export type CreatedTokenPayload = {
  __typename?: 'CreatedTokenPayload';
  action: Action;
  info: ApiToken;
  token: Scalars['String']['output'];
};

export type DeadLetter = {
  __typename?: 'DeadLetter';
  code: Scalars['String']['output'];
  field?: Maybe<Scalars['String']['output']>;
  /** The input as received (UTF-8; invalid bytes replaced), at most the kept part. */
  raw: Scalars['String']['output'];
  rawBase64: Scalars['String']['output'];
  rawSha256: Scalars['String']['output'];
  rawSize: Scalars['Int']['output'];
  reason: Scalars['String']['output'];
  receivedAt: Scalars['Timestamp']['output'];
  seq: Scalars['Int']['output'];
  source: Scalars['String']['output'];
  truncated: Scalars['Boolean']['output'];
};

export type DeadLetterConnection = {
  __typename?: 'DeadLetterConnection';
  edges: Array<DeadLetterEdge>;
  pageInfo: PageInfo;
};

export type DeadLetterEdge = {
  __typename?: 'DeadLetterEdge';
  cursor: Scalars['String']['output'];
  node: DeadLetter;
};

export type DeadLetterFilter = {
  code?: InputMaybe<Scalars['String']['input']>;
  source?: InputMaybe<Scalars['String']['input']>;
  time?: InputMaybe<TimeRange>;
};

export type Device = {
  __typename?: 'Device';
  alertCount: Scalars['Int']['output'];
  detectorFlagged: Scalars['Boolean']['output'];
  flag?: Maybe<EntityFlag>;
  flagged: Scalars['Boolean']['output'];
  history: Array<Action>;
  id: Scalars['ID']['output'];
  lastSeen?: Maybe<Scalars['Timestamp']['output']>;
  recentAlerts: Array<Alert>;
  recentEvents: Array<Event>;
  reputation?: Maybe<Scalars['Float']['output']>;
  reputationHistory: Array<ReputationPoint>;
};


export type DeviceRecentAlertsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type DeviceRecentEventsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type DeviceReputationHistoryArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
  time?: InputMaybe<TimeRange>;
};

export type DeviceConnection = {
  __typename?: 'DeviceConnection';
  edges: Array<DeviceEdge>;
  pageInfo: PageInfo;
};

export type DeviceEdge = {
  __typename?: 'DeviceEdge';
  cursor: Scalars['String']['output'];
  node: Device;
};

export type EntityFilter = {
  flagged?: InputMaybe<Scalars['Boolean']['input']>;
  idPrefix?: InputMaybe<Scalars['String']['input']>;
};

export type EntityFlag = {
  __typename?: 'EntityFlag';
  at: Scalars['Timestamp']['output'];
  by: Scalars['String']['output'];
  flagged: Scalars['Boolean']['output'];
  reason: Scalars['String']['output'];
};

export type EntityRef = {
  __typename?: 'EntityRef';
  id: Scalars['ID']['output'];
  type: EntityType;
};

export type EntityType =
  | 'device'
  | 'host'
  | 'vehicle';

export type Event = {
  __typename?: 'Event';
  action: Scalars['String']['output'];
  /** The whole normalised (ECS-shaped) event. */
  document: Scalars['JSON']['output'];
  entity: EntityRef;
  id: Scalars['ID']['output'];
  kind: EventKind;
  message?: Maybe<Scalars['String']['output']>;
  metrics?: Maybe<Scalars['JSON']['output']>;
  receivedAt: Scalars['Timestamp']['output'];
  /** Collector that received it. */
  source: Scalars['String']['output'];
  timestamp: Scalars['Timestamp']['output'];
  vehicle?: Maybe<VehicleKinematics>;
};

export type EventConnection = {
  __typename?: 'EventConnection';
  edges: Array<EventEdge>;
  pageInfo: PageInfo;
  /** Counted on request only. */
  totalCount: Scalars['Int']['output'];
};

export type EventEdge = {
  __typename?: 'EventEdge';
  cursor: Scalars['String']['output'];
  node: Event;
};

export type EventFilter = {
  entity?: InputMaybe<Scalars['ID']['input']>;
  entityType?: InputMaybe<EntityType>;
  kinds?: InputMaybe<Array<EventKind>>;
  source?: InputMaybe<Scalars['String']['input']>;
  /** Every word must occur; a word ending in * matches as a prefix. */
  text?: InputMaybe<Scalars['String']['input']>;
  time?: InputMaybe<TimeRange>;
};

export type EventKind =
  | 'auth'
  | 'bsm'
  | 'can'
  | 'log'
  | 'net'
  | 'telemetry';

export type EvidenceBundle = {
  __typename?: 'EvidenceBundle';
  checkpoint: Checkpoint;
  cosignatures: Array<Cosignature>;
  entry: Scalars['JSON']['output'];
  format: Scalars['String']['output'];
  inclusionProof: Array<Scalars['String']['output']>;
  /** The whole bundle as JSON, to hand to verifyEvidence or vigil verify-proof. */
  json: Scalars['JSON']['output'];
  leafHash: Scalars['String']['output'];
  leafIndex: Scalars['Int']['output'];
};

/** Events a rule (or * for every rule) must ignore: an entity, a field and value, or a Sigma selection. */
export type ExceptionInput = {
  entity?: InputMaybe<Scalars['ID']['input']>;
  field?: InputMaybe<Scalars['String']['input']>;
  reason: Scalars['String']['input'];
  rule: Scalars['String']['input'];
  selection?: InputMaybe<Scalars['JSON']['input']>;
  value?: InputMaybe<Scalars['String']['input']>;
};

export type Incident = {
  __typename?: 'Incident';
  alertCount: Scalars['Int']['output'];
  alerts: AlertConnection;
  alertsTruncated?: Maybe<Truncation>;
  assignee?: Maybe<Scalars['String']['output']>;
  categories: Array<Scalars['String']['output']>;
  entity: EntityRef;
  firstSeen: Scalars['Timestamp']['output'];
  /** Every triage step, oldest first; each is a ledger entry that can be proved. */
  history: Array<Action>;
  id: Scalars['ID']['output'];
  lastSeen: Scalars['Timestamp']['output'];
  resolution?: Maybe<IncidentResolution>;
  /** The roadside unit that received most of its alerting messages (on a tie the one heard first); null when none came through a roadside unit. */
  rsu?: Maybe<Scalars['String']['output']>;
  /** Every roadside unit that received an alerting message, in the order first heard, with how many. */
  rsus: Array<IncidentRsu>;
  /** Distinct detectors of its alerts, in the order they first fired: rule ids, model:<family>, reputation:rogue (the queue's group by rule takes the first). Empty for incidents stored before it existed. */
  rules: Array<Scalars['String']['output']>;
  severity: Severity;
  /** Why the incident has its severity: one phrase per piece of evidence weighed (detector/severity.ts); empty for incidents stored before it existed. */
  severityReasons: Array<Scalars['String']['output']>;
  status: IncidentStatus;
  title: Scalars['String']['output'];
  updatedAt: Scalars['Timestamp']['output'];
  /** Bumped on every change. */
  version: Scalars['Int']['output'];
};


export type IncidentAlertsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type IncidentChange = {
  __typename?: 'IncidentChange';
  /** null when the detector changed it */
  action?: Maybe<Action>;
  incident: Incident;
};

export type IncidentConnection = {
  __typename?: 'IncidentConnection';
  edges: Array<IncidentEdge>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type IncidentEdge = {
  __typename?: 'IncidentEdge';
  cursor: Scalars['String']['output'];
  node: Incident;
};

export type IncidentFilter = {
  assignee?: InputMaybe<Scalars['String']['input']>;
  category?: InputMaybe<Scalars['String']['input']>;
  entity?: InputMaybe<Scalars['ID']['input']>;
  entityType?: InputMaybe<EntityType>;
  rule?: InputMaybe<Scalars['String']['input']>;
  severities?: InputMaybe<Array<Severity>>;
  statuses?: InputMaybe<Array<IncidentStatus>>;
  text?: InputMaybe<Scalars['String']['input']>;
  /** Incidents active in the range. */
  time?: InputMaybe<TimeRange>;
};

export type IncidentPayload = {
  __typename?: 'IncidentPayload';
  action: Action;
  incident: Incident;
};

export type IncidentResolution = {
  __typename?: 'IncidentResolution';
  at: Scalars['Timestamp']['output'];
  by: Scalars['String']['output'];
  comment?: Maybe<Scalars['String']['output']>;
  reason: Resolution;
};

export type IncidentRsu = {
  __typename?: 'IncidentRsu';
  alerts: Scalars['Int']['output'];
  id: Scalars['String']['output'];
};

export type IncidentSort = {
  direction: SortDirection;
  field: IncidentSortField;
};

export type IncidentSortField =
  | 'alertCount'
  | 'firstSeen'
  | 'lastSeen'
  | 'severity';

export type IncidentStatus =
  | 'acknowledged'
  | 'open'
  | 'resolved';

export type LedgerStatus = {
  __typename?: 'LedgerStatus';
  latestCheckpoint?: Maybe<Checkpoint>;
  latestPublished?: Maybe<Checkpoint>;
  origin: Scalars['String']['output'];
  /** SPKI PEM: what auditors pin. */
  publicKey: Scalars['String']['output'];
  size: Scalars['Int']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  acknowledgeIncident: IncidentPayload;
  addException: RuleItemPayload;
  /** A Sigma rule (YAML). */
  addRule: RuleItemPayload;
  addSuppression: RuleItemPayload;
  assignIncident: IncidentPayload;
  clearVehicle: VehiclePayload;
  commentIncident: IncidentPayload;
  /** expires: a lifetime such as 30d, 12h, 90m, 2w or never; default 90d. */
  createToken: CreatedTokenPayload;
  disableException: RuleItemPayload;
  disableRule: RuleItemPayload;
  /** id: the rule id the suppression is for. */
  disableSuppression: RuleItemPayload;
  flagVehicle: VehiclePayload;
  /** Flags a vehicle rogue by hand; it stays rogue until overruled. */
  flagVehicleRogue: AuthorityDecisionPayload;
  /** Overrules the detector's flag: its alerts so far stop counting against the vehicle's reputation. */
  overruleVehicle: AuthorityDecisionPayload;
  reopenIncident: IncidentPayload;
  resolveIncident: IncidentPayload;
  revokeToken: TokenPayload;
};


export type MutationAcknowledgeIncidentArgs = {
  comment?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
};


export type MutationAddExceptionArgs = {
  input: ExceptionInput;
};


export type MutationAddRuleArgs = {
  source: Scalars['String']['input'];
};


export type MutationAddSuppressionArgs = {
  input: SuppressionInput;
};


export type MutationAssignIncidentArgs = {
  assignee: Scalars['String']['input'];
  comment?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
};


export type MutationClearVehicleArgs = {
  id: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


export type MutationCommentIncidentArgs = {
  comment: Scalars['String']['input'];
  id: Scalars['ID']['input'];
};


export type MutationCreateTokenArgs = {
  expires?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  role: Role;
};


export type MutationDisableExceptionArgs = {
  id: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


export type MutationDisableRuleArgs = {
  id: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


export type MutationDisableSuppressionArgs = {
  id: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


export type MutationFlagVehicleArgs = {
  id: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


export type MutationFlagVehicleRogueArgs = {
  comment: Scalars['String']['input'];
  id: Scalars['ID']['input'];
};


export type MutationOverruleVehicleArgs = {
  comment: Scalars['String']['input'];
  id: Scalars['ID']['input'];
  reason: OverruleReason;
};


export type MutationReopenIncidentArgs = {
  comment?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
};


export type MutationResolveIncidentArgs = {
  comment?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  reason: Resolution;
};


export type MutationRevokeTokenArgs = {
  id: Scalars['ID']['input'];
};

export type OriginType =
  | 'model'
  | 'reputation'
  | 'rule';

export type OverruleReason =
  | 'false_positive'
  | 'fixed'
  | 'test_vehicle';

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  /** Always false: pagination is forward only. */
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor?: Maybe<Scalars['String']['output']>;
};

export type Principal = {
  __typename?: 'Principal';
  name: Scalars['String']['output'];
  role: Role;
  tokenId: Scalars['ID']['output'];
};

export type Query = {
  __typename?: 'Query';
  alert?: Maybe<Alert>;
  alerts: AlertConnection;
  /** Every decision, oldest first (the feedback vigil train can take). */
  authorityDecisions: Array<AuthorityDecision>;
  /** One file for an auditor (format vigil-case/v1): the incident, its alerts, their evidence event documents, every triage action, each with its ledger proof, the checkpoints and the chain anchor when there is one. Null when there is no such incident. */
  caseBundle?: Maybe<Scalars['JSON']['output']>;
  deadLetters: DeadLetterConnection;
  device: Device;
  devices: DeviceConnection;
  event?: Maybe<Event>;
  events: EventConnection;
  /** An evidence bundle for the ledger entry whose body.id is this (an event, alert or action id). */
  evidence?: Maybe<EvidenceBundle>;
  incident?: Maybe<Incident>;
  incidents: IncidentConnection;
  ledgerStatus: LedgerStatus;
  me: Principal;
  rogueDefinition: RogueDefinition;
  /** What is rogue now (history stays on each vehicle's page), as RogueDefinition says. */
  rogueNow: Array<RogueVehicle>;
  rules: Array<RuleItem>;
  /** Admin only. */
  tokens: Array<ApiToken>;
  vehicle: Vehicle;
  /** Each vehicle's last reported position, by id, in one store query per page (at most 1000 a page; vehicles never heard from are left out). */
  vehiclePositions: VehiclePositionConnection;
  vehicles: VehicleConnection;
  /** Checks a bundle against this log's public key, as an auditor would offline. */
  verifyEvidence: VerificationResult;
};


export type QueryAlertArgs = {
  id: Scalars['ID']['input'];
};


export type QueryAlertsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<AlertFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  sort?: InputMaybe<AlertSort>;
};


export type QueryCaseBundleArgs = {
  incidentId: Scalars['ID']['input'];
};


export type QueryDeadLettersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<DeadLetterFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryDeviceArgs = {
  id: Scalars['ID']['input'];
};


export type QueryDevicesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<EntityFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  reputationBelow?: InputMaybe<Scalars['Float']['input']>;
};


export type QueryEventArgs = {
  id: Scalars['ID']['input'];
};


export type QueryEventsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  direction?: InputMaybe<SortDirection>;
  filter?: InputMaybe<EventFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryEvidenceArgs = {
  id: Scalars['ID']['input'];
};


export type QueryIncidentArgs = {
  id: Scalars['ID']['input'];
};


export type QueryIncidentsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<IncidentFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  sort?: InputMaybe<IncidentSort>;
};


export type QueryRogueNowArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryRulesArgs = {
  kind?: InputMaybe<RuleItemKind>;
};


export type QueryVehicleArgs = {
  id: Scalars['ID']['input'];
};


export type QueryVehiclePositionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<EntityFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryVehiclesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<EntityFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  reputationBelow?: InputMaybe<Scalars['Float']['input']>;
};


export type QueryVerifyEvidenceArgs = {
  bundle: Scalars['JSON']['input'];
};

export type ReputationPoint = {
  __typename?: 'ReputationPoint';
  flagged: Scalars['Boolean']['output'];
  timestamp: Scalars['Timestamp']['output'];
  value: Scalars['Float']['output'];
};

export type Resolution =
  | 'benign'
  | 'duplicate'
  | 'false_positive'
  | 'true_positive';

/** What the product calls a rogue vehicle, in one place (api/resolvers/authority.ts): flagged by hand, or trust under reputationBelow (the detector's flag bound) and heard within silentAfterMs, and not overruled since. */
export type RogueDefinition = {
  __typename?: 'RogueDefinition';
  /** The detector raises its flag when trust stays under the bound this long, milliseconds. */
  flagAfterMs: Scalars['Int']['output'];
  /** Trust (0–1) under which a vehicle is rogue: the detector reputation's flagBelow. */
  reputationBelow: Scalars['Float']['output'];
  /** A vehicle rogue by reputation and silent longer than this (milliseconds) is history, not rogue now; a hand flag holds regardless. */
  silentAfterMs: Scalars['Int']['output'];
};

export type RogueVehicle = {
  __typename?: 'RogueVehicle';
  vehicle: Vehicle;
  /** BY_HAND (the authority's rogue flag) or REPUTATION (trust under the rogue bound). */
  why: Scalars['String']['output'];
};

export type Role =
  | 'admin'
  | 'analyst'
  | 'auditor'
  | 'authority';

export type RuleItem = {
  __typename?: 'RuleItem';
  enabled: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  kind: RuleItemKind;
  spec: Scalars['JSON']['output'];
  title: Scalars['String']['output'];
};

export type RuleItemKind =
  | 'exception'
  | 'rule'
  | 'suppression';

export type RuleItemPayload = {
  __typename?: 'RuleItemPayload';
  action: Action;
  item: RuleItem;
};

export type Severity =
  | 'critical'
  | 'high'
  | 'low'
  | 'medium';

export type SortDirection =
  | 'asc'
  | 'desc';

export type Subscription = {
  __typename?: 'Subscription';
  alertRaised: Alert;
  incidentChanged: IncidentChange;
};


export type SubscriptionAlertRaisedArgs = {
  entity?: InputMaybe<Scalars['ID']['input']>;
  minSeverity?: InputMaybe<Severity>;
};


export type SubscriptionIncidentChangedArgs = {
  id?: InputMaybe<Scalars['ID']['input']>;
};

/** Repeat alerts of a rule (or *) for the same key folded into one for a while. */
export type SuppressionInput = {
  groupBy?: InputMaybe<Array<Scalars['String']['input']>>;
  reason: Scalars['String']['input'];
  rule: Scalars['String']['input'];
  timespanSeconds: Scalars['Int']['input'];
};

export type TimeRange = {
  /** inclusive */
  from?: InputMaybe<Scalars['Timestamp']['input']>;
  /** exclusive */
  to?: InputMaybe<Scalars['Timestamp']['input']>;
};

export type TokenPayload = {
  __typename?: 'TokenPayload';
  action: Action;
  info: ApiToken;
};

export type Truncation = {
  __typename?: 'Truncation';
  kept: Scalars['Int']['output'];
  total: Scalars['Int']['output'];
};

export type Vehicle = {
  __typename?: 'Vehicle';
  alertCount: Scalars['Int']['output'];
  /** The authority's decisions on this vehicle, oldest first. */
  decisions: Array<AuthorityDecision>;
  detectorFlagged: Scalars['Boolean']['output'];
  /** The authority's own flag, if one was ever set. */
  flag?: Maybe<EntityFlag>;
  /** Flagged by the detector or by the transport authority. */
  flagged: Scalars['Boolean']['output'];
  history: Array<Action>;
  id: Scalars['ID']['output'];
  lastSeen?: Maybe<Scalars['Timestamp']['output']>;
  recentAlerts: Array<Alert>;
  recentEvents: Array<Event>;
  /** Trust in [0, 1] now; null until the detector has scored it. */
  reputation?: Maybe<Scalars['Float']['output']>;
  reputationHistory: Array<ReputationPoint>;
  /** Rogue now, as RogueDefinition says: flagged by hand, or trust under the bound and heard lately, and not overruled since. */
  rogueNow: Scalars['Boolean']['output'];
};


export type VehicleRecentAlertsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type VehicleRecentEventsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type VehicleReputationHistoryArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
  time?: InputMaybe<TimeRange>;
};

export type VehicleConnection = {
  __typename?: 'VehicleConnection';
  edges: Array<VehicleEdge>;
  pageInfo: PageInfo;
};

export type VehicleEdge = {
  __typename?: 'VehicleEdge';
  cursor: Scalars['String']['output'];
  node: Vehicle;
};

export type VehicleKinematics = {
  __typename?: 'VehicleKinematics';
  accel?: Maybe<Scalars['Float']['output']>;
  heading: Scalars['Float']['output'];
  lat: Scalars['Float']['output'];
  lon: Scalars['Float']['output'];
  seq?: Maybe<Scalars['Int']['output']>;
  speed: Scalars['Float']['output'];
};

export type VehiclePayload = {
  __typename?: 'VehiclePayload';
  action: Action;
  vehicle: Vehicle;
};

/** A vehicle's newest basic safety message with its summary: what the map draws for each vehicle. */
export type VehiclePosition = {
  __typename?: 'VehiclePosition';
  detectorFlagged: Scalars['Boolean']['output'];
  /** The reporting event's id. */
  eventId: Scalars['ID']['output'];
  /** Flagged by the detector or by the transport authority. */
  flagged: Scalars['Boolean']['output'];
  /** Degrees from north. */
  heading: Scalars['Float']['output'];
  id: Scalars['ID']['output'];
  lat: Scalars['Float']['output'];
  lon: Scalars['Float']['output'];
  reputation?: Maybe<Scalars['Float']['output']>;
  /** Metres per second. */
  speed: Scalars['Float']['output'];
  timestamp: Scalars['Timestamp']['output'];
};

export type VehiclePositionConnection = {
  __typename?: 'VehiclePositionConnection';
  edges: Array<VehiclePositionEdge>;
  pageInfo: PageInfo;
};

export type VehiclePositionEdge = {
  __typename?: 'VehiclePositionEdge';
  cursor: Scalars['String']['output'];
  node: VehiclePosition;
};

export type VerificationResult = {
  __typename?: 'VerificationResult';
  code?: Maybe<Scalars['String']['output']>;
  leafHash?: Maybe<Scalars['String']['output']>;
  ok: Scalars['Boolean']['output'];
  reason?: Maybe<Scalars['String']['output']>;
  steps: Array<VerificationStep>;
};

export type VerificationStep = {
  __typename?: 'VerificationStep';
  detail: Scalars['String']['output'];
  outcome: Scalars['String']['output'];
  step: Scalars['String']['output'];
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  Action: ResolverTypeWrapper<ActionRecordModel>;
  ActionTarget: ResolverTypeWrapper<ActionTarget>;
  Alert: ResolverTypeWrapper<AlertModel>;
  AlertConnection: ResolverTypeWrapper<AlertPageModel>;
  AlertEdge: ResolverTypeWrapper<Omit<AlertEdge, 'node'> & { node: ResolversTypes['Alert'] }>;
  AlertFilter: AlertFilter;
  AlertOrigin: ResolverTypeWrapper<AlertOrigin>;
  AlertSort: AlertSort;
  AlertSortField: AlertSortField;
  ApiToken: ResolverTypeWrapper<TokenRecordModel>;
  AuthorityDecision: ResolverTypeWrapper<OverruleRecordModel>;
  AuthorityDecisionKind: AuthorityDecisionKind;
  AuthorityDecisionPayload: ResolverTypeWrapper<Omit<AuthorityDecisionPayload, 'action' | 'decision' | 'vehicle'> & { action: ResolversTypes['Action'], decision: ResolversTypes['AuthorityDecision'], vehicle: ResolversTypes['Vehicle'] }>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Checkpoint: ResolverTypeWrapper<CheckpointViewModel>;
  Cosignature: ResolverTypeWrapper<Cosignature>;
  CreatedToken: ResolverTypeWrapper<Omit<CreatedToken, 'info'> & { info: ResolversTypes['ApiToken'] }>;
  CreatedTokenPayload: ResolverTypeWrapper<Omit<CreatedTokenPayload, 'action' | 'info'> & { action: ResolversTypes['Action'], info: ResolversTypes['ApiToken'] }>;
  DeadLetter: ResolverTypeWrapper<DeadLetterRecordModel>;
  DeadLetterConnection: ResolverTypeWrapper<DeadLetterPageModel>;
  DeadLetterEdge: ResolverTypeWrapper<Omit<DeadLetterEdge, 'node'> & { node: ResolversTypes['DeadLetter'] }>;
  DeadLetterFilter: DeadLetterFilter;
  Device: ResolverTypeWrapper<EntityParentModel>;
  DeviceConnection: ResolverTypeWrapper<EntityPageModel>;
  DeviceEdge: ResolverTypeWrapper<Omit<DeviceEdge, 'node'> & { node: ResolversTypes['Device'] }>;
  EntityFilter: EntityFilter;
  EntityFlag: ResolverTypeWrapper<EntityFlag>;
  EntityRef: ResolverTypeWrapper<EntityRef>;
  EntityType: EntityType;
  Event: ResolverTypeWrapper<StoredEventModel>;
  EventConnection: ResolverTypeWrapper<EventPageModel>;
  EventEdge: ResolverTypeWrapper<Omit<EventEdge, 'node'> & { node: ResolversTypes['Event'] }>;
  EventFilter: EventFilter;
  EventKind: EventKind;
  EvidenceBundle: ResolverTypeWrapper<EvidenceBundleViewModel>;
  ExceptionInput: ExceptionInput;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Incident: ResolverTypeWrapper<StoredIncidentModel>;
  IncidentChange: ResolverTypeWrapper<IncidentChangeModel>;
  IncidentConnection: ResolverTypeWrapper<IncidentPageModel>;
  IncidentEdge: ResolverTypeWrapper<Omit<IncidentEdge, 'node'> & { node: ResolversTypes['Incident'] }>;
  IncidentFilter: IncidentFilter;
  IncidentPayload: ResolverTypeWrapper<Omit<IncidentPayload, 'action' | 'incident'> & { action: ResolversTypes['Action'], incident: ResolversTypes['Incident'] }>;
  IncidentResolution: ResolverTypeWrapper<IncidentResolution>;
  IncidentRsu: ResolverTypeWrapper<IncidentRsu>;
  IncidentSort: IncidentSort;
  IncidentSortField: IncidentSortField;
  IncidentStatus: IncidentStatus;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  JSON: ResolverTypeWrapper<Scalars['JSON']['output']>;
  LedgerStatus: ResolverTypeWrapper<Omit<LedgerStatus, 'latestCheckpoint' | 'latestPublished'> & { latestCheckpoint?: Maybe<ResolversTypes['Checkpoint']>, latestPublished?: Maybe<ResolversTypes['Checkpoint']> }>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  OriginType: OriginType;
  OverruleReason: OverruleReason;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Principal: ResolverTypeWrapper<PrincipalModel>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  ReputationPoint: ResolverTypeWrapper<ReputationPointModel>;
  Resolution: Resolution;
  RogueDefinition: ResolverTypeWrapper<RogueDefinition>;
  RogueVehicle: ResolverTypeWrapper<Omit<RogueVehicle, 'vehicle'> & { vehicle: ResolversTypes['Vehicle'] }>;
  Role: Role;
  RuleItem: ResolverTypeWrapper<RuleItemModel>;
  RuleItemKind: RuleItemKind;
  RuleItemPayload: ResolverTypeWrapper<Omit<RuleItemPayload, 'action' | 'item'> & { action: ResolversTypes['Action'], item: ResolversTypes['RuleItem'] }>;
  Severity: Severity;
  SortDirection: SortDirection;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  SuppressionInput: SuppressionInput;
  TimeRange: TimeRange;
  Timestamp: ResolverTypeWrapper<Scalars['Timestamp']['output']>;
  TokenPayload: ResolverTypeWrapper<Omit<TokenPayload, 'action' | 'info'> & { action: ResolversTypes['Action'], info: ResolversTypes['ApiToken'] }>;
  Truncation: ResolverTypeWrapper<Truncation>;
  Vehicle: ResolverTypeWrapper<EntityParentModel>;
  VehicleConnection: ResolverTypeWrapper<EntityPageModel>;
  VehicleEdge: ResolverTypeWrapper<Omit<VehicleEdge, 'node'> & { node: ResolversTypes['Vehicle'] }>;
  VehicleKinematics: ResolverTypeWrapper<VehicleKinematics>;
  VehiclePayload: ResolverTypeWrapper<Omit<VehiclePayload, 'action' | 'vehicle'> & { action: ResolversTypes['Action'], vehicle: ResolversTypes['Vehicle'] }>;
  VehiclePosition: ResolverTypeWrapper<VehiclePositionModel>;
  VehiclePositionConnection: ResolverTypeWrapper<VehiclePositionPageModel>;
  VehiclePositionEdge: ResolverTypeWrapper<Omit<VehiclePositionEdge, 'node'> & { node: ResolversTypes['VehiclePosition'] }>;
  VerificationResult: ResolverTypeWrapper<VerificationViewModel>;
  VerificationStep: ResolverTypeWrapper<VerificationStep>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Action: ActionRecordModel;
  ActionTarget: ActionTarget;
  Alert: AlertModel;
  AlertConnection: AlertPageModel;
  AlertEdge: Omit<AlertEdge, 'node'> & { node: ResolversParentTypes['Alert'] };
  AlertFilter: AlertFilter;
  AlertOrigin: AlertOrigin;
  AlertSort: AlertSort;
  ApiToken: TokenRecordModel;
  AuthorityDecision: OverruleRecordModel;
  AuthorityDecisionPayload: Omit<AuthorityDecisionPayload, 'action' | 'decision' | 'vehicle'> & { action: ResolversParentTypes['Action'], decision: ResolversParentTypes['AuthorityDecision'], vehicle: ResolversParentTypes['Vehicle'] };
  Boolean: Scalars['Boolean']['output'];
  Checkpoint: CheckpointViewModel;
  Cosignature: Cosignature;
  CreatedToken: Omit<CreatedToken, 'info'> & { info: ResolversParentTypes['ApiToken'] };
  CreatedTokenPayload: Omit<CreatedTokenPayload, 'action' | 'info'> & { action: ResolversParentTypes['Action'], info: ResolversParentTypes['ApiToken'] };
  DeadLetter: DeadLetterRecordModel;
  DeadLetterConnection: DeadLetterPageModel;
  DeadLetterEdge: Omit<DeadLetterEdge, 'node'> & { node: ResolversParentTypes['DeadLetter'] };
  DeadLetterFilter: DeadLetterFilter;
  Device: EntityParentModel;
  DeviceConnection: EntityPageModel;
  DeviceEdge: Omit<DeviceEdge, 'node'> & { node: ResolversParentTypes['Device'] };
  EntityFilter: EntityFilter;
  EntityFlag: EntityFlag;
  EntityRef: EntityRef;
  Event: StoredEventModel;
  EventConnection: EventPageModel;
  EventEdge: Omit<EventEdge, 'node'> & { node: ResolversParentTypes['Event'] };
  EventFilter: EventFilter;
  EvidenceBundle: EvidenceBundleViewModel;
  ExceptionInput: ExceptionInput;
  Float: Scalars['Float']['output'];
  ID: Scalars['ID']['output'];
  Incident: StoredIncidentModel;
  IncidentChange: IncidentChangeModel;
  IncidentConnection: IncidentPageModel;
  IncidentEdge: Omit<IncidentEdge, 'node'> & { node: ResolversParentTypes['Incident'] };
  IncidentFilter: IncidentFilter;
  IncidentPayload: Omit<IncidentPayload, 'action' | 'incident'> & { action: ResolversParentTypes['Action'], incident: ResolversParentTypes['Incident'] };
  IncidentResolution: IncidentResolution;
  IncidentRsu: IncidentRsu;
  IncidentSort: IncidentSort;
  Int: Scalars['Int']['output'];
  JSON: Scalars['JSON']['output'];
  LedgerStatus: Omit<LedgerStatus, 'latestCheckpoint' | 'latestPublished'> & { latestCheckpoint?: Maybe<ResolversParentTypes['Checkpoint']>, latestPublished?: Maybe<ResolversParentTypes['Checkpoint']> };
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  Principal: PrincipalModel;
  Query: Record<PropertyKey, never>;
  ReputationPoint: ReputationPointModel;
  RogueDefinition: RogueDefinition;
  RogueVehicle: Omit<RogueVehicle, 'vehicle'> & { vehicle: ResolversParentTypes['Vehicle'] };
  RuleItem: RuleItemModel;
  RuleItemPayload: Omit<RuleItemPayload, 'action' | 'item'> & { action: ResolversParentTypes['Action'], item: ResolversParentTypes['RuleItem'] };
  String: Scalars['String']['output'];
  Subscription: Record<PropertyKey, never>;
  SuppressionInput: SuppressionInput;
  TimeRange: TimeRange;
  Timestamp: Scalars['Timestamp']['output'];
  TokenPayload: Omit<TokenPayload, 'action' | 'info'> & { action: ResolversParentTypes['Action'], info: ResolversParentTypes['ApiToken'] };
  Truncation: Truncation;
  Vehicle: EntityParentModel;
  VehicleConnection: EntityPageModel;
  VehicleEdge: Omit<VehicleEdge, 'node'> & { node: ResolversParentTypes['Vehicle'] };
  VehicleKinematics: VehicleKinematics;
  VehiclePayload: Omit<VehiclePayload, 'action' | 'vehicle'> & { action: ResolversParentTypes['Action'], vehicle: ResolversParentTypes['Vehicle'] };
  VehiclePosition: VehiclePositionModel;
  VehiclePositionConnection: VehiclePositionPageModel;
  VehiclePositionEdge: Omit<VehiclePositionEdge, 'node'> & { node: ResolversParentTypes['VehiclePosition'] };
  VerificationResult: VerificationViewModel;
  VerificationStep: VerificationStep;
};

export type ActionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Action'] = ResolversParentTypes['Action']> = {
  action?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  actor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  after?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  before?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  comment?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  evidence?: Resolver<Maybe<ResolversTypes['EvidenceBundle']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  ledgerIndex?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
  target?: Resolver<ResolversTypes['ActionTarget'], ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
};

export type ActionTargetResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['ActionTarget'] = ResolversParentTypes['ActionTarget']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  type?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type AlertResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Alert'] = ResolversParentTypes['Alert']> = {
  category?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  entity?: Resolver<ResolversTypes['EntityRef'], ParentType, ContextType>;
  evidence?: Resolver<Array<ResolversTypes['Event']>, ParentType, ContextType, RequireFields<AlertEvidenceArgs, 'first'>>;
  evidenceIds?: Resolver<Array<ResolversTypes['ID']>, ParentType, ContextType>;
  evidenceTruncated?: Resolver<Maybe<ResolversTypes['Truncation']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  incident?: Resolver<Maybe<ResolversTypes['Incident']>, ParentType, ContextType>;
  origin?: Resolver<ResolversTypes['AlertOrigin'], ParentType, ContextType>;
  score?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  severity?: Resolver<ResolversTypes['Severity'], ParentType, ContextType>;
  tags?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type AlertConnectionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['AlertConnection'] = ResolversParentTypes['AlertConnection']> = {
  edges?: Resolver<Array<ResolversTypes['AlertEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type AlertEdgeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['AlertEdge'] = ResolversParentTypes['AlertEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Alert'], ParentType, ContextType>;
};

export type AlertOriginResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['AlertOrigin'] = ResolversParentTypes['AlertOrigin']> = {
  hash?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  title?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  type?: Resolver<ResolversTypes['OriginType'], ParentType, ContextType>;
};

export type ApiTokenResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['ApiToken'] = ResolversParentTypes['ApiToken']> = {
  createdAt?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  createdBy?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expiresAt?: Resolver<Maybe<ResolversTypes['Timestamp']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastUsedAt?: Resolver<Maybe<ResolversTypes['Timestamp']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['Timestamp']>, ParentType, ContextType>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
};

export type AuthorityDecisionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['AuthorityDecision'] = ResolversParentTypes['AuthorityDecision']> = {
  action?: Resolver<Maybe<ResolversTypes['Action']>, ParentType, ContextType>;
  alertIds?: Resolver<Array<ResolversTypes['ID']>, ParentType, ContextType>;
  at?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  by?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  comment?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  decision?: Resolver<ResolversTypes['AuthorityDecisionKind'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  ledgerIndex?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  reason?: Resolver<Maybe<ResolversTypes['OverruleReason']>, ParentType, ContextType>;
  vehicleId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type AuthorityDecisionPayloadResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['AuthorityDecisionPayload'] = ResolversParentTypes['AuthorityDecisionPayload']> = {
  action?: Resolver<ResolversTypes['Action'], ParentType, ContextType>;
  decision?: Resolver<ResolversTypes['AuthorityDecision'], ParentType, ContextType>;
  vehicle?: Resolver<ResolversTypes['Vehicle'], ParentType, ContextType>;
};

export type CheckpointResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Checkpoint'] = ResolversParentTypes['Checkpoint']> = {
  keyId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  origin?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  prev?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  root?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  signature?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  size?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
};

export type CosignatureResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Cosignature'] = ResolversParentTypes['Cosignature']> = {
  keyId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  publicKey?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  signature?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  time?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  witness?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type CreatedTokenResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['CreatedToken'] = ResolversParentTypes['CreatedToken']> = {
  info?: Resolver<ResolversTypes['ApiToken'], ParentType, ContextType>;
  token?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type CreatedTokenPayloadResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['CreatedTokenPayload'] = ResolversParentTypes['CreatedTokenPayload']> = {
  action?: Resolver<ResolversTypes['Action'], ParentType, ContextType>;
  info?: Resolver<ResolversTypes['ApiToken'], ParentType, ContextType>;
  token?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type DeadLetterResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['DeadLetter'] = ResolversParentTypes['DeadLetter']> = {
  code?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  field?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  raw?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  rawBase64?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  rawSha256?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  rawSize?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  receivedAt?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  seq?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  truncated?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type DeadLetterConnectionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['DeadLetterConnection'] = ResolversParentTypes['DeadLetterConnection']> = {
  edges?: Resolver<Array<ResolversTypes['DeadLetterEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type DeadLetterEdgeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['DeadLetterEdge'] = ResolversParentTypes['DeadLetterEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['DeadLetter'], ParentType, ContextType>;
};

export type DeviceResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Device'] = ResolversParentTypes['Device']> = {
  alertCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  detectorFlagged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  flag?: Resolver<Maybe<ResolversTypes['EntityFlag']>, ParentType, ContextType>;
  flagged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  history?: Resolver<Array<ResolversTypes['Action']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastSeen?: Resolver<Maybe<ResolversTypes['Timestamp']>, ParentType, ContextType>;
  recentAlerts?: Resolver<Array<ResolversTypes['Alert']>, ParentType, ContextType, RequireFields<DeviceRecentAlertsArgs, 'first'>>;
  recentEvents?: Resolver<Array<ResolversTypes['Event']>, ParentType, ContextType, RequireFields<DeviceRecentEventsArgs, 'first'>>;
  reputation?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  reputationHistory?: Resolver<Array<ResolversTypes['ReputationPoint']>, ParentType, ContextType, RequireFields<DeviceReputationHistoryArgs, 'limit'>>;
};

export type DeviceConnectionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['DeviceConnection'] = ResolversParentTypes['DeviceConnection']> = {
  edges?: Resolver<Array<ResolversTypes['DeviceEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type DeviceEdgeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['DeviceEdge'] = ResolversParentTypes['DeviceEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Device'], ParentType, ContextType>;
};

export type EntityFlagResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['EntityFlag'] = ResolversParentTypes['EntityFlag']> = {
  at?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  by?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  flagged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type EntityRefResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['EntityRef'] = ResolversParentTypes['EntityRef']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  type?: Resolver<ResolversTypes['EntityType'], ParentType, ContextType>;
};

export type EventResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Event'] = ResolversParentTypes['Event']> = {
  action?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  document?: Resolver<ResolversTypes['JSON'], ParentType, ContextType>;
  entity?: Resolver<ResolversTypes['EntityRef'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['EventKind'], ParentType, ContextType>;
  message?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  metrics?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  receivedAt?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  vehicle?: Resolver<Maybe<ResolversTypes['VehicleKinematics']>, ParentType, ContextType>;
};

export type EventConnectionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['EventConnection'] = ResolversParentTypes['EventConnection']> = {
  edges?: Resolver<Array<ResolversTypes['EventEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type EventEdgeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['EventEdge'] = ResolversParentTypes['EventEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Event'], ParentType, ContextType>;
};

export type EvidenceBundleResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['EvidenceBundle'] = ResolversParentTypes['EvidenceBundle']> = {
  checkpoint?: Resolver<ResolversTypes['Checkpoint'], ParentType, ContextType>;
  cosignatures?: Resolver<Array<ResolversTypes['Cosignature']>, ParentType, ContextType>;
  entry?: Resolver<ResolversTypes['JSON'], ParentType, ContextType>;
  format?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  inclusionProof?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  json?: Resolver<ResolversTypes['JSON'], ParentType, ContextType>;
  leafHash?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  leafIndex?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type IncidentResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Incident'] = ResolversParentTypes['Incident']> = {
  alertCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  alerts?: Resolver<ResolversTypes['AlertConnection'], ParentType, ContextType, RequireFields<IncidentAlertsArgs, 'first'>>;
  alertsTruncated?: Resolver<Maybe<ResolversTypes['Truncation']>, ParentType, ContextType>;
  assignee?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  categories?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  entity?: Resolver<ResolversTypes['EntityRef'], ParentType, ContextType>;
  firstSeen?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  history?: Resolver<Array<ResolversTypes['Action']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastSeen?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  resolution?: Resolver<Maybe<ResolversTypes['IncidentResolution']>, ParentType, ContextType>;
  rsu?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  rsus?: Resolver<Array<ResolversTypes['IncidentRsu']>, ParentType, ContextType>;
  rules?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  severity?: Resolver<ResolversTypes['Severity'], ParentType, ContextType>;
  severityReasons?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['IncidentStatus'], ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type IncidentChangeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['IncidentChange'] = ResolversParentTypes['IncidentChange']> = {
  action?: Resolver<Maybe<ResolversTypes['Action']>, ParentType, ContextType>;
  incident?: Resolver<ResolversTypes['Incident'], ParentType, ContextType>;
};

export type IncidentConnectionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['IncidentConnection'] = ResolversParentTypes['IncidentConnection']> = {
  edges?: Resolver<Array<ResolversTypes['IncidentEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type IncidentEdgeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['IncidentEdge'] = ResolversParentTypes['IncidentEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Incident'], ParentType, ContextType>;
};

export type IncidentPayloadResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['IncidentPayload'] = ResolversParentTypes['IncidentPayload']> = {
  action?: Resolver<ResolversTypes['Action'], ParentType, ContextType>;
  incident?: Resolver<ResolversTypes['Incident'], ParentType, ContextType>;
};

export type IncidentResolutionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['IncidentResolution'] = ResolversParentTypes['IncidentResolution']> = {
  at?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  by?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  comment?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['Resolution'], ParentType, ContextType>;
};

export type IncidentRsuResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['IncidentRsu'] = ResolversParentTypes['IncidentRsu']> = {
  alerts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export interface JsonScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['JSON'], any> {
  name: 'JSON';
}

export type LedgerStatusResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['LedgerStatus'] = ResolversParentTypes['LedgerStatus']> = {
  latestCheckpoint?: Resolver<Maybe<ResolversTypes['Checkpoint']>, ParentType, ContextType>;
  latestPublished?: Resolver<Maybe<ResolversTypes['Checkpoint']>, ParentType, ContextType>;
  origin?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  publicKey?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  size?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  acknowledgeIncident?: Resolver<ResolversTypes['IncidentPayload'], ParentType, ContextType, RequireFields<MutationAcknowledgeIncidentArgs, 'id'>>;
  addException?: Resolver<ResolversTypes['RuleItemPayload'], ParentType, ContextType, RequireFields<MutationAddExceptionArgs, 'input'>>;
  addRule?: Resolver<ResolversTypes['RuleItemPayload'], ParentType, ContextType, RequireFields<MutationAddRuleArgs, 'source'>>;
  addSuppression?: Resolver<ResolversTypes['RuleItemPayload'], ParentType, ContextType, RequireFields<MutationAddSuppressionArgs, 'input'>>;
  assignIncident?: Resolver<ResolversTypes['IncidentPayload'], ParentType, ContextType, RequireFields<MutationAssignIncidentArgs, 'assignee' | 'id'>>;
  clearVehicle?: Resolver<ResolversTypes['VehiclePayload'], ParentType, ContextType, RequireFields<MutationClearVehicleArgs, 'id' | 'reason'>>;
  commentIncident?: Resolver<ResolversTypes['IncidentPayload'], ParentType, ContextType, RequireFields<MutationCommentIncidentArgs, 'comment' | 'id'>>;
  createToken?: Resolver<ResolversTypes['CreatedTokenPayload'], ParentType, ContextType, RequireFields<MutationCreateTokenArgs, 'name' | 'role'>>;
  disableException?: Resolver<ResolversTypes['RuleItemPayload'], ParentType, ContextType, RequireFields<MutationDisableExceptionArgs, 'id' | 'reason'>>;
  disableRule?: Resolver<ResolversTypes['RuleItemPayload'], ParentType, ContextType, RequireFields<MutationDisableRuleArgs, 'id' | 'reason'>>;
  disableSuppression?: Resolver<ResolversTypes['RuleItemPayload'], ParentType, ContextType, RequireFields<MutationDisableSuppressionArgs, 'id' | 'reason'>>;
  flagVehicle?: Resolver<ResolversTypes['VehiclePayload'], ParentType, ContextType, RequireFields<MutationFlagVehicleArgs, 'id' | 'reason'>>;
  flagVehicleRogue?: Resolver<ResolversTypes['AuthorityDecisionPayload'], ParentType, ContextType, RequireFields<MutationFlagVehicleRogueArgs, 'comment' | 'id'>>;
  overruleVehicle?: Resolver<ResolversTypes['AuthorityDecisionPayload'], ParentType, ContextType, RequireFields<MutationOverruleVehicleArgs, 'comment' | 'id' | 'reason'>>;
  reopenIncident?: Resolver<ResolversTypes['IncidentPayload'], ParentType, ContextType, RequireFields<MutationReopenIncidentArgs, 'id'>>;
  resolveIncident?: Resolver<ResolversTypes['IncidentPayload'], ParentType, ContextType, RequireFields<MutationResolveIncidentArgs, 'id' | 'reason'>>;
  revokeToken?: Resolver<ResolversTypes['TokenPayload'], ParentType, ContextType, RequireFields<MutationRevokeTokenArgs, 'id'>>;
};

export type PageInfoResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  hasPreviousPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  startCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type PrincipalResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Principal'] = ResolversParentTypes['Principal']> = {
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
  tokenId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  alert?: Resolver<Maybe<ResolversTypes['Alert']>, ParentType, ContextType, RequireFields<QueryAlertArgs, 'id'>>;
  alerts?: Resolver<ResolversTypes['AlertConnection'], ParentType, ContextType, RequireFields<QueryAlertsArgs, 'first'>>;
  authorityDecisions?: Resolver<Array<ResolversTypes['AuthorityDecision']>, ParentType, ContextType>;
  caseBundle?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType, RequireFields<QueryCaseBundleArgs, 'incidentId'>>;
  deadLetters?: Resolver<ResolversTypes['DeadLetterConnection'], ParentType, ContextType, RequireFields<QueryDeadLettersArgs, 'first'>>;
  device?: Resolver<ResolversTypes['Device'], ParentType, ContextType, RequireFields<QueryDeviceArgs, 'id'>>;
  devices?: Resolver<ResolversTypes['DeviceConnection'], ParentType, ContextType, RequireFields<QueryDevicesArgs, 'first'>>;
  event?: Resolver<Maybe<ResolversTypes['Event']>, ParentType, ContextType, RequireFields<QueryEventArgs, 'id'>>;
  events?: Resolver<ResolversTypes['EventConnection'], ParentType, ContextType, RequireFields<QueryEventsArgs, 'direction' | 'first'>>;
  evidence?: Resolver<Maybe<ResolversTypes['EvidenceBundle']>, ParentType, ContextType, RequireFields<QueryEvidenceArgs, 'id'>>;
  incident?: Resolver<Maybe<ResolversTypes['Incident']>, ParentType, ContextType, RequireFields<QueryIncidentArgs, 'id'>>;
  incidents?: Resolver<ResolversTypes['IncidentConnection'], ParentType, ContextType, RequireFields<QueryIncidentsArgs, 'first'>>;
  ledgerStatus?: Resolver<ResolversTypes['LedgerStatus'], ParentType, ContextType>;
  me?: Resolver<ResolversTypes['Principal'], ParentType, ContextType>;
  rogueDefinition?: Resolver<ResolversTypes['RogueDefinition'], ParentType, ContextType>;
  rogueNow?: Resolver<Array<ResolversTypes['RogueVehicle']>, ParentType, ContextType, RequireFields<QueryRogueNowArgs, 'first'>>;
  rules?: Resolver<Array<ResolversTypes['RuleItem']>, ParentType, ContextType, Partial<QueryRulesArgs>>;
  tokens?: Resolver<Array<ResolversTypes['ApiToken']>, ParentType, ContextType>;
  vehicle?: Resolver<ResolversTypes['Vehicle'], ParentType, ContextType, RequireFields<QueryVehicleArgs, 'id'>>;
  vehiclePositions?: Resolver<ResolversTypes['VehiclePositionConnection'], ParentType, ContextType, RequireFields<QueryVehiclePositionsArgs, 'first'>>;
  vehicles?: Resolver<ResolversTypes['VehicleConnection'], ParentType, ContextType, RequireFields<QueryVehiclesArgs, 'first'>>;
  verifyEvidence?: Resolver<ResolversTypes['VerificationResult'], ParentType, ContextType, RequireFields<QueryVerifyEvidenceArgs, 'bundle'>>;
};

export type ReputationPointResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['ReputationPoint'] = ResolversParentTypes['ReputationPoint']> = {
  flagged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
  value?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
};

export type RogueDefinitionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['RogueDefinition'] = ResolversParentTypes['RogueDefinition']> = {
  flagAfterMs?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  reputationBelow?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  silentAfterMs?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type RogueVehicleResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['RogueVehicle'] = ResolversParentTypes['RogueVehicle']> = {
  vehicle?: Resolver<ResolversTypes['Vehicle'], ParentType, ContextType>;
  why?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type RuleItemResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['RuleItem'] = ResolversParentTypes['RuleItem']> = {
  enabled?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['RuleItemKind'], ParentType, ContextType>;
  spec?: Resolver<ResolversTypes['JSON'], ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type RuleItemPayloadResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['RuleItemPayload'] = ResolversParentTypes['RuleItemPayload']> = {
  action?: Resolver<ResolversTypes['Action'], ParentType, ContextType>;
  item?: Resolver<ResolversTypes['RuleItem'], ParentType, ContextType>;
};

export type SubscriptionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  alertRaised?: SubscriptionResolver<ResolversTypes['Alert'], "alertRaised", ParentType, ContextType, Partial<SubscriptionAlertRaisedArgs>>;
  incidentChanged?: SubscriptionResolver<ResolversTypes['IncidentChange'], "incidentChanged", ParentType, ContextType, Partial<SubscriptionIncidentChangedArgs>>;
};

export interface TimestampScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Timestamp'], any> {
  name: 'Timestamp';
}

export type TokenPayloadResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['TokenPayload'] = ResolversParentTypes['TokenPayload']> = {
  action?: Resolver<ResolversTypes['Action'], ParentType, ContextType>;
  info?: Resolver<ResolversTypes['ApiToken'], ParentType, ContextType>;
};

export type TruncationResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Truncation'] = ResolversParentTypes['Truncation']> = {
  kept?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  total?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type VehicleResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['Vehicle'] = ResolversParentTypes['Vehicle']> = {
  alertCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  decisions?: Resolver<Array<ResolversTypes['AuthorityDecision']>, ParentType, ContextType>;
  detectorFlagged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  flag?: Resolver<Maybe<ResolversTypes['EntityFlag']>, ParentType, ContextType>;
  flagged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  history?: Resolver<Array<ResolversTypes['Action']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastSeen?: Resolver<Maybe<ResolversTypes['Timestamp']>, ParentType, ContextType>;
  recentAlerts?: Resolver<Array<ResolversTypes['Alert']>, ParentType, ContextType, RequireFields<VehicleRecentAlertsArgs, 'first'>>;
  recentEvents?: Resolver<Array<ResolversTypes['Event']>, ParentType, ContextType, RequireFields<VehicleRecentEventsArgs, 'first'>>;
  reputation?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  reputationHistory?: Resolver<Array<ResolversTypes['ReputationPoint']>, ParentType, ContextType, RequireFields<VehicleReputationHistoryArgs, 'limit'>>;
  rogueNow?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type VehicleConnectionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['VehicleConnection'] = ResolversParentTypes['VehicleConnection']> = {
  edges?: Resolver<Array<ResolversTypes['VehicleEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type VehicleEdgeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['VehicleEdge'] = ResolversParentTypes['VehicleEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Vehicle'], ParentType, ContextType>;
};

export type VehicleKinematicsResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['VehicleKinematics'] = ResolversParentTypes['VehicleKinematics']> = {
  accel?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  heading?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  lat?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  lon?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  seq?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  speed?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
};

export type VehiclePayloadResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['VehiclePayload'] = ResolversParentTypes['VehiclePayload']> = {
  action?: Resolver<ResolversTypes['Action'], ParentType, ContextType>;
  vehicle?: Resolver<ResolversTypes['Vehicle'], ParentType, ContextType>;
};

export type VehiclePositionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['VehiclePosition'] = ResolversParentTypes['VehiclePosition']> = {
  detectorFlagged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  eventId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  flagged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  heading?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lat?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  lon?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  reputation?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  speed?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['Timestamp'], ParentType, ContextType>;
};

export type VehiclePositionConnectionResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['VehiclePositionConnection'] = ResolversParentTypes['VehiclePositionConnection']> = {
  edges?: Resolver<Array<ResolversTypes['VehiclePositionEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type VehiclePositionEdgeResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['VehiclePositionEdge'] = ResolversParentTypes['VehiclePositionEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['VehiclePosition'], ParentType, ContextType>;
};

export type VerificationResultResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['VerificationResult'] = ResolversParentTypes['VerificationResult']> = {
  code?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  leafHash?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  ok?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  reason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  steps?: Resolver<Array<ResolversTypes['VerificationStep']>, ParentType, ContextType>;
};

export type VerificationStepResolvers<ContextType = ApiContext, ParentType extends ResolversParentTypes['VerificationStep'] = ResolversParentTypes['VerificationStep']> = {
  detail?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  outcome?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  step?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type Resolvers<ContextType = ApiContext> = {
  Action?: ActionResolvers<ContextType>;
  ActionTarget?: ActionTargetResolvers<ContextType>;
  Alert?: AlertResolvers<ContextType>;
  AlertConnection?: AlertConnectionResolvers<ContextType>;
  AlertEdge?: AlertEdgeResolvers<ContextType>;
  AlertOrigin?: AlertOriginResolvers<ContextType>;
  ApiToken?: ApiTokenResolvers<ContextType>;
  AuthorityDecision?: AuthorityDecisionResolvers<ContextType>;
  AuthorityDecisionPayload?: AuthorityDecisionPayloadResolvers<ContextType>;
  Checkpoint?: CheckpointResolvers<ContextType>;
  Cosignature?: CosignatureResolvers<ContextType>;
  CreatedToken?: CreatedTokenResolvers<ContextType>;
  CreatedTokenPayload?: CreatedTokenPayloadResolvers<ContextType>;
  DeadLetter?: DeadLetterResolvers<ContextType>;
  DeadLetterConnection?: DeadLetterConnectionResolvers<ContextType>;
  DeadLetterEdge?: DeadLetterEdgeResolvers<ContextType>;
  Device?: DeviceResolvers<ContextType>;
  DeviceConnection?: DeviceConnectionResolvers<ContextType>;
  DeviceEdge?: DeviceEdgeResolvers<ContextType>;
  EntityFlag?: EntityFlagResolvers<ContextType>;
  EntityRef?: EntityRefResolvers<ContextType>;
  Event?: EventResolvers<ContextType>;
  EventConnection?: EventConnectionResolvers<ContextType>;
  EventEdge?: EventEdgeResolvers<ContextType>;
  EvidenceBundle?: EvidenceBundleResolvers<ContextType>;
  Incident?: IncidentResolvers<ContextType>;
  IncidentChange?: IncidentChangeResolvers<ContextType>;
  IncidentConnection?: IncidentConnectionResolvers<ContextType>;
  IncidentEdge?: IncidentEdgeResolvers<ContextType>;
  IncidentPayload?: IncidentPayloadResolvers<ContextType>;
  IncidentResolution?: IncidentResolutionResolvers<ContextType>;
  IncidentRsu?: IncidentRsuResolvers<ContextType>;
  JSON?: GraphQLScalarType;
  LedgerStatus?: LedgerStatusResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Principal?: PrincipalResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  ReputationPoint?: ReputationPointResolvers<ContextType>;
  RogueDefinition?: RogueDefinitionResolvers<ContextType>;
  RogueVehicle?: RogueVehicleResolvers<ContextType>;
  RuleItem?: RuleItemResolvers<ContextType>;
  RuleItemPayload?: RuleItemPayloadResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  Timestamp?: GraphQLScalarType;
  TokenPayload?: TokenPayloadResolvers<ContextType>;
  Truncation?: TruncationResolvers<ContextType>;
  Vehicle?: VehicleResolvers<ContextType>;
  VehicleConnection?: VehicleConnectionResolvers<ContextType>;
  VehicleEdge?: VehicleEdgeResolvers<ContextType>;
  VehicleKinematics?: VehicleKinematicsResolvers<ContextType>;
  VehiclePayload?: VehiclePayloadResolvers<ContextType>;
  VehiclePosition?: VehiclePositionResolvers<ContextType>;
  VehiclePositionConnection?: VehiclePositionConnectionResolvers<ContextType>;
  VehiclePositionEdge?: VehiclePositionEdgeResolvers<ContextType>;
  VerificationResult?: VerificationResultResolvers<ContextType>;
  VerificationStep?: VerificationStepResolvers<ContextType>;
};

