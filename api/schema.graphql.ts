/**
 * The investigators' API, as SDL. Lists are Relay connections paginated forward with
 * keyset cursors (`first`/`after`), so a client paging while events stream in sees no
 * duplicates and no gaps. Times are `Timestamp`s: ISO-8601 out, ISO-8601 or epoch
 * milliseconds in.
 */
export const typeDefs = /* GraphQL */ `
  "ISO-8601 instant on output; an ISO-8601 string or epoch milliseconds on input."
  scalar Timestamp
  "Arbitrary JSON (an event document, a ledger entry, an evidence bundle)."
  scalar JSON

  enum Role { ANALYST AUTHORITY AUDITOR ADMIN }
  enum Severity { LOW MEDIUM HIGH CRITICAL }
  enum IncidentStatus { OPEN ACKNOWLEDGED RESOLVED }
  enum Resolution { TRUE_POSITIVE FALSE_POSITIVE BENIGN DUPLICATE }
  enum EventKind { BSM TELEMETRY NET AUTH LOG CAN }
  enum EntityType { VEHICLE DEVICE HOST }
  enum SortDirection { ASC DESC }
  enum AlertSortField { TIMESTAMP SEVERITY SCORE }
  enum IncidentSortField { LAST_SEEN FIRST_SEEN SEVERITY ALERT_COUNT }
  enum OriginType { RULE MODEL REPUTATION }
  enum RuleItemKind { RULE EXCEPTION SUPPRESSION }

  input TimeRange { "inclusive" from: Timestamp, "exclusive" to: Timestamp }

  type PageInfo {
    hasNextPage: Boolean!
    "Always false: pagination is forward only."
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type EntityRef { id: ID!, type: EntityType! }

  type VehicleKinematics { lat: Float!, lon: Float!, speed: Float!, heading: Float!, accel: Float, seq: Int }

  type Event {
    id: ID!
    timestamp: Timestamp!
    kind: EventKind!
    entity: EntityRef!
    "Collector that received it."
    source: String!
    receivedAt: Timestamp!
    action: String!
    message: String
    vehicle: VehicleKinematics
    metrics: JSON
    "The whole normalised (ECS-shaped) event."
    document: JSON!
  }
  type EventEdge { node: Event!, cursor: String! }
  type EventConnection { edges: [EventEdge!]!, pageInfo: PageInfo!, "Counted on request only." totalCount: Int! }
  input EventFilter {
    time: TimeRange
    kinds: [EventKind!]
    entity: ID
    entityType: EntityType
    source: String
    "Every word must occur; a word ending in * matches as a prefix."
    text: String
  }

  type AlertOrigin { type: OriginType!, id: String!, title: String, "hex SHA-256 of the rule or model" hash: String! }
  type Truncation { total: Int!, kept: Int! }
  type Alert {
    id: ID!
    timestamp: Timestamp!
    entity: EntityRef!
    severity: Severity!
    score: Float!
    title: String!
    description: String!
    origin: AlertOrigin!
    tags: [String!]!
    category: String
    evidenceIds: [ID!]!
    "The evidence events still stored (retention may have removed old ones; the ledger keeps proving them)."
    evidence(first: Int = 20): [Event!]!
    evidenceTruncated: Truncation
    incident: Incident
  }
  type AlertEdge { node: Alert!, cursor: String! }
  type AlertConnection { edges: [AlertEdge!]!, pageInfo: PageInfo!, totalCount: Int! }
  input AlertFilter {
    time: TimeRange
    severities: [Severity!]
    entity: ID
    entityType: EntityType
    "A rule (or model) id."
    rule: String
    originType: OriginType
    incident: ID
    category: String
    text: String
  }
  input AlertSort { field: AlertSortField! = TIMESTAMP, direction: SortDirection! = DESC }

  type IncidentRsu { id: String!, alerts: Int! }
  type IncidentResolution { reason: Resolution!, comment: String, by: String!, at: Timestamp! }
  type Incident {
    id: ID!
    entity: EntityRef!
    title: String!
    status: IncidentStatus!
    severity: Severity!
    firstSeen: Timestamp!
    lastSeen: Timestamp!
    alertCount: Int!
    alertsTruncated: Truncation
    categories: [String!]!
    "Distinct detectors of its alerts, in the order they first fired: rule ids, model:<family>, reputation:rogue (the queue's group by rule takes the first). Empty for incidents stored before it existed."
    rules: [String!]!
    "The roadside unit that received most of its alerting messages (on a tie the one heard first); null when none came through a roadside unit."
    rsu: String
    "Every roadside unit that received an alerting message, in the order first heard, with how many."
    rsus: [IncidentRsu!]!
    assignee: String
    resolution: IncidentResolution
    "Bumped on every change."
    version: Int!
    updatedAt: Timestamp!
    alerts(first: Int = 20, after: String): AlertConnection!
    "Every triage step, oldest first; each is a ledger entry that can be proved."
    history: [Action!]!
  }
  type IncidentEdge { node: Incident!, cursor: String! }
  type IncidentConnection { edges: [IncidentEdge!]!, pageInfo: PageInfo!, totalCount: Int! }
  input IncidentFilter {
    "Incidents active in the range."
    time: TimeRange
    statuses: [IncidentStatus!]
    severities: [Severity!]
    entity: ID
    entityType: EntityType
    rule: String
    assignee: String
    category: String
    text: String
  }
  input IncidentSort { field: IncidentSortField! = LAST_SEEN, direction: SortDirection! = DESC }

  type ActionTarget { type: String!, id: ID! }
  "One analyst, authority or admin action, written to the ledger as an action entry."
  type Action {
    id: ID!
    timestamp: Timestamp!
    actor: String!
    role: Role!
    action: String!
    target: ActionTarget!
    before: JSON
    after: JSON
    comment: String
    ledgerIndex: Int
    "The evidence bundle proving this action is in the signed log."
    evidence: EvidenceBundle
  }

  type ReputationPoint { timestamp: Timestamp!, value: Float!, flagged: Boolean! }
  type EntityFlag { flagged: Boolean!, reason: String!, by: String!, at: Timestamp! }

  type Vehicle {
    id: ID!
    "Trust in [0, 1] now; null until the detector has scored it."
    reputation: Float
    reputationHistory(time: TimeRange, limit: Int = 500): [ReputationPoint!]!
    "Flagged by the detector or by the transport authority."
    flagged: Boolean!
    detectorFlagged: Boolean!
    "The authority's own flag, if one was ever set."
    flag: EntityFlag
    lastSeen: Timestamp
    alertCount: Int!
    recentAlerts(first: Int = 10): [Alert!]!
    recentEvents(first: Int = 10): [Event!]!
    history: [Action!]!
  }
  type VehicleEdge { node: Vehicle!, cursor: String! }
  type VehicleConnection { edges: [VehicleEdge!]!, pageInfo: PageInfo! }

  "A vehicle's newest basic safety message with its summary: what the map draws for each vehicle."
  type VehiclePosition {
    id: ID!
    reputation: Float
    "Flagged by the detector or by the transport authority."
    flagged: Boolean!
    detectorFlagged: Boolean!
    "The reporting event's id."
    eventId: ID!
    timestamp: Timestamp!
    lat: Float!
    lon: Float!
    "Metres per second."
    speed: Float!
    "Degrees from north."
    heading: Float!
  }
  type VehiclePositionEdge { node: VehiclePosition!, cursor: String! }
  type VehiclePositionConnection { edges: [VehiclePositionEdge!]!, pageInfo: PageInfo! }

  type Device {
    id: ID!
    reputation: Float
    reputationHistory(time: TimeRange, limit: Int = 500): [ReputationPoint!]!
    flagged: Boolean!
    detectorFlagged: Boolean!
    flag: EntityFlag
    lastSeen: Timestamp
    alertCount: Int!
    recentAlerts(first: Int = 10): [Alert!]!
    recentEvents(first: Int = 10): [Event!]!
    history: [Action!]!
  }
  type DeviceEdge { node: Device!, cursor: String! }
  type DeviceConnection { edges: [DeviceEdge!]!, pageInfo: PageInfo! }
  input EntityFilter { flagged: Boolean, idPrefix: String }

  type Cosignature { witness: String!, keyId: String!, publicKey: String!, time: Int!, signature: String! }
  type Checkpoint {
    origin: String!
    size: Int!
    root: String!
    prev: String!
    timestamp: Timestamp!
    keyId: String!
    signature: String!
  }
  type EvidenceBundle {
    format: String!
    entry: JSON!
    leafIndex: Int!
    leafHash: String!
    inclusionProof: [String!]!
    checkpoint: Checkpoint!
    cosignatures: [Cosignature!]!
    "The whole bundle as JSON, to hand to verifyEvidence or vigil verify-proof."
    json: JSON!
  }
  type VerificationStep { step: String!, outcome: String!, detail: String! }
  type VerificationResult { ok: Boolean!, steps: [VerificationStep!]!, reason: String, code: String, leafHash: String }
  type LedgerStatus {
    origin: String!
    size: Int!
    "SPKI PEM: what auditors pin."
    publicKey: String!
    latestCheckpoint: Checkpoint
    latestPublished: Checkpoint
  }

  type DeadLetter {
    seq: Int!
    receivedAt: Timestamp!
    source: String!
    code: String!
    reason: String!
    field: String
    "The input as received (UTF-8; invalid bytes replaced), at most the kept part."
    raw: String!
    rawBase64: String!
    rawSize: Int!
    rawSha256: String!
    truncated: Boolean!
  }
  type DeadLetterEdge { node: DeadLetter!, cursor: String! }
  type DeadLetterConnection { edges: [DeadLetterEdge!]!, pageInfo: PageInfo! }
  input DeadLetterFilter { time: TimeRange, code: String, source: String }

  type RuleItem { kind: RuleItemKind!, id: ID!, title: String!, enabled: Boolean!, spec: JSON! }

  type ApiToken { id: ID!, name: String!, role: Role!, createdAt: Timestamp!, createdBy: String!, lastUsedAt: Timestamp, revokedAt: Timestamp, "After this the token is refused; null: never." expiresAt: Timestamp }
  type CreatedToken { "Shown once; only its SHA-256 is kept." token: String!, info: ApiToken! }
  type Principal { tokenId: ID!, name: String!, role: Role! }

  type Query {
    me: Principal!
    event(id: ID!): Event
    events(filter: EventFilter, direction: SortDirection = DESC, first: Int = 20, after: String): EventConnection!
    alert(id: ID!): Alert
    alerts(filter: AlertFilter, sort: AlertSort, first: Int = 20, after: String): AlertConnection!
    incident(id: ID!): Incident
    incidents(filter: IncidentFilter, sort: IncidentSort, first: Int = 20, after: String): IncidentConnection!
    vehicle(id: ID!): Vehicle!
    vehicles(filter: EntityFilter, reputationBelow: Float, first: Int = 20, after: String): VehicleConnection!
    "Each vehicle's last reported position, by id, in one store query per page (at most 1000 a page; vehicles never heard from are left out)."
    vehiclePositions(filter: EntityFilter, first: Int = 1000, after: String): VehiclePositionConnection!
    device(id: ID!): Device!
    devices(filter: EntityFilter, reputationBelow: Float, first: Int = 20, after: String): DeviceConnection!
    deadLetters(filter: DeadLetterFilter, first: Int = 20, after: String): DeadLetterConnection!
    "An evidence bundle for the ledger entry whose body.id is this (an event, alert or action id)."
    evidence(id: ID!): EvidenceBundle
    "Checks a bundle against this log's public key, as an auditor would offline."
    verifyEvidence(bundle: JSON!): VerificationResult!
    ledgerStatus: LedgerStatus!
    rules(kind: RuleItemKind): [RuleItem!]!
    "Admin only."
    tokens: [ApiToken!]!
  }

  type IncidentPayload { incident: Incident!, action: Action! }
  type VehiclePayload { vehicle: Vehicle!, action: Action! }
  type RuleItemPayload { item: RuleItem!, action: Action! }
  type TokenPayload { info: ApiToken!, action: Action! }
  type CreatedTokenPayload { token: String!, info: ApiToken!, action: Action! }

  "Events a rule (or * for every rule) must ignore: an entity, a field and value, or a Sigma selection."
  input ExceptionInput { rule: String!, entity: ID, field: String, value: String, selection: JSON, reason: String! }
  "Repeat alerts of a rule (or *) for the same key folded into one for a while."
  input SuppressionInput { rule: String!, timespanSeconds: Int!, groupBy: [String!], reason: String! }

  type Mutation {
    acknowledgeIncident(id: ID!, comment: String): IncidentPayload!
    assignIncident(id: ID!, assignee: String!, comment: String): IncidentPayload!
    commentIncident(id: ID!, comment: String!): IncidentPayload!
    resolveIncident(id: ID!, reason: Resolution!, comment: String): IncidentPayload!
    reopenIncident(id: ID!, comment: String): IncidentPayload!

    flagVehicle(id: ID!, reason: String!): VehiclePayload!
    clearVehicle(id: ID!, reason: String!): VehiclePayload!

    "A Sigma rule (YAML)."
    addRule(source: String!): RuleItemPayload!
    disableRule(id: ID!, reason: String!): RuleItemPayload!
    addException(input: ExceptionInput!): RuleItemPayload!
    disableException(id: ID!, reason: String!): RuleItemPayload!
    addSuppression(input: SuppressionInput!): RuleItemPayload!
    "id: the rule id the suppression is for."
    disableSuppression(id: ID!, reason: String!): RuleItemPayload!

    "expires: a lifetime such as 30d, 12h, 90m, 2w or never; default 90d."
    createToken(name: String!, role: Role!, expires: String): CreatedTokenPayload!
    revokeToken(id: ID!): TokenPayload!
  }

  type IncidentChange { incident: Incident!, "null when the detector changed it" action: Action }

  type Subscription {
    alertRaised(minSeverity: Severity, entity: ID): Alert!
    incidentChanged(id: ID): IncidentChange!
  }
`;

/**
 * The case bundle, a block of its own (other parts add theirs beside it): see
 * api/case-bundle.ts and anchor/case.ts for the format and what is proved.
 */
export const caseTypeDefs = /* GraphQL */ `
  extend type Query {
    "One file for an auditor (format vigil-case/v1): the incident, its alerts, their evidence event documents, every triage action, each with its ledger proof, the checkpoints and the chain anchor when there is one. Null when there is no such incident."
    caseBundle(incidentId: ID!): JSON
  }

  extend type Incident {
    "Why the incident has its severity: one phrase per piece of evidence weighed (detector/severity.ts); empty for incidents stored before it existed."
    severityReasons: [String!]!
  }
`;

/**
 * The transport authority's decisions (api/resolvers/authority.ts), a block of its own:
 * overruling the detector's flag with a reason, flagging a vehicle rogue by hand, and
 * what is rogue now.
 */
export const authorityTypeDefs = /* GraphQL */ `
  enum OverruleReason { FALSE_POSITIVE TEST_VEHICLE FIXED }
  enum AuthorityDecisionKind { CLEAR ROGUE }

  "One decision of the transport authority on a vehicle; written to the ledger as an action before it took effect."
  type AuthorityDecision {
    id: ID!
    vehicleId: ID!
    decision: AuthorityDecisionKind!
    "Why a detector flag was overruled (CLEAR only)."
    reason: OverruleReason
    comment: String!
    by: String!
    at: Timestamp!
    "The vehicle's alerts when it was decided: what a CLEAR overrules."
    alertIds: [ID!]!
    ledgerIndex: Int
    "The ledger action (with its evidence bundle)."
    action: Action
  }

  "What the product calls a rogue vehicle, in one place (api/resolvers/authority.ts): flagged by hand, or trust under reputationBelow (the detector's flag bound) and heard within silentAfterMs, and not overruled since."
  type RogueDefinition {
    "Trust (0–1) under which a vehicle is rogue: the detector reputation's flagBelow."
    reputationBelow: Float!
    "The detector raises its flag when trust stays under the bound this long, milliseconds."
    flagAfterMs: Int!
    "A vehicle rogue by reputation and silent longer than this (milliseconds) is history, not rogue now; a hand flag holds regardless."
    silentAfterMs: Int!
  }

  type RogueVehicle {
    vehicle: Vehicle!
    "BY_HAND (the authority's rogue flag) or REPUTATION (trust under the rogue bound)."
    why: String!
  }

  type AuthorityDecisionPayload { vehicle: Vehicle!, decision: AuthorityDecision!, action: Action! }

  extend type Vehicle {
    "The authority's decisions on this vehicle, oldest first."
    decisions: [AuthorityDecision!]!
    "Rogue now, as RogueDefinition says: flagged by hand, or trust under the bound and heard lately, and not overruled since."
    rogueNow: Boolean!
  }

  extend type Query {
    "What is rogue now (history stays on each vehicle's page), as RogueDefinition says."
    rogueNow(first: Int = 200): [RogueVehicle!]!
    rogueDefinition: RogueDefinition!
    "Every decision, oldest first (the feedback vigil train can take)."
    authorityDecisions: [AuthorityDecision!]!
  }

  extend type Mutation {
    "Overrules the detector's flag: its alerts so far stop counting against the vehicle's reputation."
    overruleVehicle(id: ID!, reason: OverruleReason!, comment: String!): AuthorityDecisionPayload!
    "Flags a vehicle rogue by hand; it stays rogue until overruled."
    flagVehicleRogue(id: ID!, comment: String!): AuthorityDecisionPayload!
  }
`;
