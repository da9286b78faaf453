/**
 * What the notifier sends and records. Its own shapes (this part imports only events/): the
 * pipeline maps the detector's incidents and alerts onto them.
 */
/** The entity an incident is about (a vehicle or a device, as events/ names them). */
export interface EntityRef {
  id: string;
  type: string;
}

export type NoticeSeverity = 'low' | 'medium' | 'high' | 'critical';
export const NOTICE_SEVERITIES: readonly NoticeSeverity[] = ['low', 'medium', 'high', 'critical'];

export interface NoticeAlert {
  id: string;
  /** Epoch milliseconds. */
  ts: number;
  title: string;
  description: string;
  severity: NoticeSeverity;
  /** The rule id (Sigma `id`), or `model` / `reputation` for alerts the rules did not raise. */
  rule: string;
  tags: readonly string[];
}

/** Something an analyst would look up in a case: an address, a host, the entity itself. */
export interface Observable {
  /** TheHive's data types: `ip`, `hostname`, `domain`, `url`, `other`, … */
  dataType: string;
  data: string;
  message?: string;
}

/** One incident, as it reaches people: sent when it opens and again when its severity rises. */
export interface Notice {
  incident: {
    id: string;
    title: string;
    severity: NoticeSeverity;
    status: string;
    entity: EntityRef;
    /** Epoch milliseconds. */
    firstSeen: number;
    lastSeen: number;
    alertCount: number;
    categories: readonly string[];
  };
  /** The alerts that made this notice (the new ones of this detector batch). */
  alerts: readonly NoticeAlert[];
  observables: readonly Observable[];
}

/** The outcome of one notice on one connector, after its last attempt. */
export interface DeliveryRecord {
  connector: string;
  type: ConnectorType;
  incidentId: string;
  severity: NoticeSeverity;
  outcome: 'delivered' | 'dead-letter';
  attempts: number;
  /** Epoch milliseconds of the last attempt. */
  ts: number;
  /** What the receiver gave back that an analyst can follow (TheHive's case id, the SMTP message id). */
  reference?: string;
  /** Why it went to the dead letter (code and message; never a secret). */
  error?: { code: string; message: string };
}

export type ConnectorType = 'webhook' | 'slack' | 'smtp' | 'thehive';

/**
 * One outbound channel. `send` throws `NotifyError` (retriable or not); `state` carries
 * what a partly done delivery already achieved between attempts (TheHive's created case),
 * so a retry does not open a second case.
 */
export interface Connector {
  readonly name: string;
  readonly type: ConnectorType;
  send(notice: Notice, state: Record<string, unknown>): Promise<{ reference?: string }>;
  close?(): Promise<void>;
}
