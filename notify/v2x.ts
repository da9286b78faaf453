/**
 * Misbehaviour reports for a V2X Misbehaviour Authority, in a documented JSON form after
 * ETSI TS 103 759 (V2X misbehaviour reporting): the report of TS 103 759's
 * `EtsiTs103759Data` carries a version, a generation time, an observation location and an
 * application-specific report (`AidSpecificReport`: the application's id, the observations
 * by target, the reported V2X messages as evidence and evidence that is not a V2X message).
 * This is that content as JSON, unsigned and unencrypted: an operator's gateway signs it with
 * the reporter's authorisation ticket and encrypts it to the authority's certificate (TS 103
 * 759 §5, TS 103 097) — Vigil holds neither key. The names of targets and observations
 * follow TS 103 759's targets (position, speed, beacon, security) in words; they are not its
 * ASN.1 identifiers.
 *
 * ```json
 * { "format": "vigil-v2x-mbr/v1", "id": "<hex SHA-256 of the rest>", "version": 2,
 *   "generationTime": "2026-12-08T01:02:03.456Z",
 *   "reporter": { "id": "<this node>", "type": "central-its-station" },
 *   "reported": { "pseudonym": "V-0042" },
 *   "trigger": { "kind": "authority-flag" | "detector-rogue", "at": "…", "by": "tara", "comment": "…", "ledgerIndex": 17 },
 *   "observationLocation": { "lat": 1.35, "lon": 103.8 } | null,
 *   "report": { "aid": 32, "application": "SAE J2735 basic safety message",
 *     "observations": [{ "target": "position", "observation": "change too large", "category": "position_falsification", "detectedBy": ["<rule id>"], "alertIds": ["…"] }],
 *     "v2xPduEvidence": [{ "id": "<event id>", "generationTime": "…", "receivedBy": "RSU-07", "message": { "vehicle": "V-0042", "lat": …, "lon": …, "speed": …, "heading": …, "seq": … } }],
 *     "subjectPduIndex": 0,
 *     "nonV2xPduEvidence": [{ "type": "reputation", "trust": 0.04 }] } }
 * ```
 */
import { canonicalJson, sha256Hex, type VigilEvent } from '../events/index.js';

export const MISBEHAVIOUR_REPORT_FORMAT = 'vigil-v2x-mbr/v1';

/** SAE J2735 basic safety messages' PSID (IEEE 1609.12): the application the report is about. */
const BSM_AID = 32;

/** TS 103 759's version of `EtsiTs103759Data` this form follows. */
const TS103759_VERSION = 2;

/** Evidence messages carried per report at most (the newest; TS 103 759 leaves the budget to the reporter). */
export const MAX_EVIDENCE_MESSAGES = 20;

/** What the detector's categories say, as TS 103 759 observation targets. */
const OBSERVATIONS: Record<string, { target: string; observation: string }> = {
  position_falsification: { target: 'position', observation: 'change too large' },
  speed_falsification: { target: 'speed', observation: 'value or change too large' },
  data_replay: { target: 'security', observation: 'message replayed' },
  replay: { target: 'security', observation: 'message replayed' },
  sybil: { target: 'security', observation: 'identity not plausible (ghost)' },
  dos: { target: 'beacon', observation: 'interval too small' },
};

export interface ReportAlert {
  id: string;
  /** Epoch milliseconds. */
  ts: number;
  origin: { type: string; id: string };
  category?: string;
  evidence: string[];
}

export interface MisbehaviourInput {
  reporter: string;
  vehicle: string;
  trigger: { kind: 'authority-flag' | 'detector-rogue'; at: number; by: string; comment?: string; ledgerIndex?: number | null };
  /** The vehicle's alerts the report rests on. */
  alerts: readonly ReportAlert[];
  /** Their evidence events as stored (missing ones are left out). */
  evidence: readonly VigilEvent[];
  /** The vehicle's trust 0–1 when reported, when known. */
  trust?: number | null;
  /** Epoch milliseconds. */
  now: number;
}

export interface MisbehaviourReport {
  format: typeof MISBEHAVIOUR_REPORT_FORMAT;
  id: string;
  version: number;
  generationTime: string;
  reporter: { id: string; type: 'central-its-station' };
  reported: { pseudonym: string };
  trigger: { kind: MisbehaviourInput['trigger']['kind']; at: string; by: string; comment?: string; ledgerIndex?: number };
  observationLocation: { lat: number; lon: number } | null;
  report: {
    aid: number;
    application: string;
    observations: Array<{ target: string; observation: string; category: string; detectedBy: string[]; alertIds: string[] }>;
    v2xPduEvidence: Array<{ id: string; generationTime: string; receivedBy: string | null; message: Record<string, string | number> }>;
    subjectPduIndex: number;
    nonV2xPduEvidence: Array<{ type: string; [k: string]: unknown }>;
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One observation per category the alerts name; an alert without one is the reputation's or the model's word. */
function observationsOf(alerts: readonly ReportAlert[]): MisbehaviourReport['report']['observations'] {
  const by = new Map<string, MisbehaviourReport['report']['observations'][number]>();
  for (const a of alerts) {
    const category = a.category ?? (a.origin.type === 'reputation' ? 'low_reputation' : 'outlier');
    const o = OBSERVATIONS[category] ?? { target: 'behaviour', observation: category.replace(/_/g, ' ') };
    let row = by.get(category);
    if (!row) by.set(category, (row = { ...o, category, detectedBy: [], alertIds: [] }));
    if (!row.detectedBy.includes(a.origin.id)) row.detectedBy.push(a.origin.id);
    row.alertIds.push(a.id);
  }
  return [...by.values()];
}

/** The message a BSM event carried, as the vehicle sent it (the input fields of DESIGN.md's BSM). */
function messageOf(e: VigilEvent): Record<string, string | number> {
  const k = e.vigil.vehicle;
  const m: Record<string, string | number> = { vehicle: e.vigil.entity.id, ts: e.vigil.ts };
  if (k) for (const [key, v] of Object.entries(k)) if (typeof v === 'number' || typeof v === 'string') m[key] = v;
  return m;
}

/** The report for one vehicle: its alerts' observations and the newest evidence messages, the subject being the last. */
export function misbehaviourReport(input: MisbehaviourInput): MisbehaviourReport {
  const messages = input.evidence
    .filter((e) => e.vigil.kind === 'bsm' && e.vigil.entity.id === input.vehicle)
    .sort((a, b) => a.vigil.ts - b.vigil.ts)
    .slice(-MAX_EVIDENCE_MESSAGES);
  const last = messages.at(-1)?.vigil.vehicle;
  const t = input.trigger;
  const nonV2x: MisbehaviourReport['report']['nonV2xPduEvidence'] = [];
  if (input.trust !== undefined && input.trust !== null && Number.isFinite(input.trust)) nonV2x.push({ type: 'reputation', trust: Math.round(input.trust * 1000) / 1000 });
  if (t.kind === 'authority-flag') nonV2x.push({ type: 'authority-decision', by: t.by, ...(t.comment ? { comment: t.comment } : {}), ...(typeof t.ledgerIndex === 'number' ? { ledgerIndex: t.ledgerIndex } : {}) });
  const body: Omit<MisbehaviourReport, 'id'> = {
    format: MISBEHAVIOUR_REPORT_FORMAT,
    version: TS103759_VERSION,
    generationTime: iso(input.now),
    reporter: { id: input.reporter, type: 'central-its-station' },
    reported: { pseudonym: input.vehicle },
    trigger: { kind: t.kind, at: iso(t.at), by: t.by, ...(t.comment ? { comment: t.comment } : {}), ...(typeof t.ledgerIndex === 'number' ? { ledgerIndex: t.ledgerIndex } : {}) },
    observationLocation: last && Number.isFinite(last.lat) && Number.isFinite(last.lon) ? { lat: last.lat, lon: last.lon } : null,
    report: {
      aid: BSM_AID,
      application: 'SAE J2735 basic safety message',
      observations: observationsOf(input.alerts),
      v2xPduEvidence: messages.map((e) => ({ id: e.id, generationTime: iso(e.vigil.ts), receivedBy: e.observer?.name ?? null, message: messageOf(e) })),
      subjectPduIndex: Math.max(0, messages.length - 1),
      nonV2xPduEvidence: nonV2x,
    },
  };
  return { id: sha256Hex(canonicalJson(body)), ...body };
}
