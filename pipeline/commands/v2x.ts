/**
 * `vigil v2x reports`: misbehaviour reports for a V2X Misbehaviour Authority (the JSON form of
 * notify/v2x.ts, after ETSI TS 103 759), one per vehicle made rogue since a time — by the
 * transport authority's hand flag (a `vehicle.rogue` decision) or by the detector (its
 * `reputation:rogue` alert) — each with the alerts it rests on (those the authority decided
 * on; the rogue finding's incident) and their evidence messages from the store. NDJSON, one report a line, to a file or standard output.
 */
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseLifetime } from '../../api/index.js';
import type { VigilEvent } from '../../events/index.js';
import { MAX_EVIDENCE_MESSAGES, misbehaviourReport, type MisbehaviourInput, type MisbehaviourReport } from '../../notify/index.js';
import { SqliteOverrules, SqliteStore, type Alert } from '../../store/index.js';
import { DEFAULT_DATA_DIR } from '../config.js';

/** The detector's rogue finding (detector/detector.ts). */
const ROGUE_ORIGIN = 'reputation:rogue';
/** Alerts of one vehicle a report rests on at most (the newest up to the trigger). */
const ALERTS_PER_REPORT = 50;
const PAGE = 200;

/** `--since`: an ISO-8601 time or a duration back from now (30m, 12h, 7d, 2w). */
export function parseSince(text: string, now: number): number {
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const t = Date.parse(text);
    if (Number.isFinite(t)) return t;
  } else {
    try {
      const ms = parseLifetime(text);
      if (ms !== null) return now - ms;
    } catch {
      // the message below names both forms
    }
  }
  throw new Error(`--since: expected an ISO-8601 time or a duration such as 30m, 12h, 7d, got ${JSON.stringify(text.slice(0, 40))}`);
}

interface Trigger {
  vehicle: string;
  trigger: MisbehaviourInput['trigger'];
  /** What the report rests on: the alerts the authority decided on, or the rogue finding's incident. */
  alerts: () => Alert[];
}

/** Every hand flag and detector rogue finding on a vehicle at or after `since`, oldest first. */
function triggersSince(store: SqliteStore, since: number): Trigger[] {
  const out: Trigger[] = [];
  for (const o of new SqliteOverrules(store.db).all()) {
    if (o.decision !== 'rogue' || o.entityType !== 'vehicle' || o.at < since) continue;
    const alerts = (): Alert[] => o.alertIds.slice(0, ALERTS_PER_REPORT).flatMap((id) => store.getAlert(id) ?? []);
    out.push({ vehicle: o.entity, trigger: { kind: 'authority-flag', at: o.at, by: o.actor, comment: o.comment, ledgerIndex: o.ledgerIndex }, alerts });
  }
  let after: string | undefined;
  for (;;) {
    const page = store.searchAlerts({ rule: ROGUE_ORIGIN, entityType: 'vehicle', time: { from: since } }, { first: PAGE, ...(after ? { after } : {}) });
    for (const { node: a } of page.edges) {
      // The finding's incident: the rules whose alerts drove the trust down, also those raised at the end of their window after the flag.
      const alerts = (): Alert[] => (a.incidentId ? store.searchAlerts({ incidentId: a.incidentId }, { first: ALERTS_PER_REPORT }).edges.map((e) => e.node) : [a]);
      out.push({ vehicle: a.entity.id, trigger: { kind: 'detector-rogue', at: a.ts, by: 'detector' }, alerts });
    }
    const last = page.edges.at(-1);
    if (!page.hasNextPage || !last) break;
    after = last.cursor;
  }
  return out.sort((a, b) => a.trigger.at - b.trigger.at);
}

/** The reports for everything made rogue since `since` (epoch milliseconds). */
export function reportsSince(store: SqliteStore, since: number, reporter: string, now: number): MisbehaviourReport[] {
  return triggersSince(store, since).map(({ vehicle, trigger, alerts: alertsOf }) => {
    const alerts = alertsOf().sort((a, b) => b.ts - a.ts);
    const evidence: VigilEvent[] = [];
    const seen = new Set<string>();
    // Newest alerts first: their evidence is what the authority acted on.
    for (const a of alerts) {
      for (const id of [...a.evidence].reverse()) {
        if (evidence.length >= MAX_EVIDENCE_MESSAGES || seen.has(id)) continue;
        seen.add(id);
        const stored = store.getEvent(id);
        if (stored) evidence.push(stored.event);
      }
    }
    const trust = store.getEntity(vehicle, 'vehicle')?.reputation ?? null;
    return misbehaviourReport({ reporter, vehicle, trigger, alerts, evidence, trust, now });
  });
}

export function register(program: Command): void {
  program
    .command('v2x')
    .description('V2X output for a Misbehaviour Authority')
    .command('reports')
    .description('misbehaviour reports (JSON after ETSI TS 103 759, one per line) for vehicles flagged rogue by the authority or the detector')
    .option('--since <TIME>', 'from this ISO-8601 time, or this long ago (30m, 12h, 7d)', '24h')
    .option('--data-dir <DIR>', 'data directory of the node', DEFAULT_DATA_DIR)
    .option('--reporter <ID>', 'reporter id written in each report', `vigil@${hostname()}`)
    .option('--out <FILE>', 'file to write (default: standard output)')
    .action(async (o: { since: string; dataDir: string; reporter: string; out?: string }) => {
      const now = Date.now();
      const since = parseSince(o.since, now);
      const store = SqliteStore.open({ dataDir: resolve(o.dataDir) });
      let reports: MisbehaviourReport[];
      try {
        reports = reportsSince(store, since, o.reporter, now);
      } finally {
        store.close();
      }
      const text = reports.map((r) => `${JSON.stringify(r)}\n`).join('');
      if (o.out) await writeFile(o.out, text);
      else process.stdout.write(text);
      process.stderr.write(`v2x: ${reports.length} misbehaviour report(s) since ${new Date(since).toISOString()}${o.out ? ` written to ${o.out}` : ''}\n`);
    });
}
