/**
 * Every vehicle's last reported position in one query (the authority's map, issue 19: its
 * first screen must not cost a query per vehicle). The vehicles are walked in id order on the
 * entities' primary key and each one's newest basic safety message is one probe of
 * `events_entity_ts` from its end; the position is read from the document inside SQLite, so
 * no event document crosses into JavaScript. A page costs `first` probes whatever the number
 * of stored events.
 */
import { checkFirst, encodeCursor } from '../cursor.js';
import type { EntityQuery, Page, PageRequest, VehiclePosition } from '../types.js';
import { entityWhere, toEntity, type RawEntityRow } from './entities.js';
import { toPage, whereSql, type Sql } from './sql.js';

interface RawPositionRow extends RawEntityRow {
  event_id: string;
  event_ts: number;
  lat: number | null;
  lon: number | null;
  speed: number | null;
  heading: number | null;
}

/** The cursor's tag is the vehicle list's: a page of either continues the other by id. */
const TAG = 'entities:vehicle';

export function vehiclePositions(sql: Sql, query: Omit<EntityQuery, 'type'>, page: PageRequest): Page<VehiclePosition> {
  const first = checkFirst(page.first);
  const w = entityWhere({ ...query, type: 'vehicle' }, page.after, TAG, 'en.');
  // CROSS JOIN keeps the entities outer (their key order is the page's order: no sort); the
  // subquery's ORDER BY is the index's own (entity, ts, rowid), read backwards.
  const text = `SELECT en.*, ev.id AS event_id, ev.ts AS event_ts,
      json_extract(ev.doc, '$.vigil.vehicle.lat') AS lat, json_extract(ev.doc, '$.vigil.vehicle.lon') AS lon,
      json_extract(ev.doc, '$.vigil.vehicle.speed') AS speed, json_extract(ev.doc, '$.vigil.vehicle.heading') AS heading
    FROM entities en CROSS JOIN events ev
    ${whereSql([...w.clauses, "ev.seq = (SELECT seq FROM events WHERE entity = en.id AND kind = 'bsm' ORDER BY ts DESC, seq DESC LIMIT 1)"])}
    ORDER BY en.id LIMIT ?`;
  const rows = sql.read(() => sql.stmt(text).all(...w.params, first + 1) as RawPositionRow[]);
  return toPage(rows, first, (r) => ({
    node: { vehicle: toEntity(r), eventId: r.event_id, ts: r.event_ts, lat: r.lat ?? 0, lon: r.lon ?? 0, speed: r.speed ?? 0, heading: r.heading ?? 0 },
    cursor: encodeCursor(TAG, r.id, 0),
  }));
}
