/**
 * Kibana saved objects for Vigil's Elasticsearch indices: data views, a saved search and
 * Lens visualizations (lens.ts) gathered on one "security overview" dashboard. The
 * committed `vigil-security-overview.ndjson` is this module's output (a test keeps them
 * equal, and checks every field used here against the index templates in
 * `dashboards/elasticsearch/`), so edit here and regenerate:
 *
 *   npx tsx dashboards/kibana/saved-objects.ts > dashboards/kibana/vigil-security-overview.ndjson
 *
 * Lens objects import into Kibana 8.9 and later (each object names the version it was
 * written for; Kibana migrates it forward). No map:
 * Kibana's maps need a tile service, and Vigil's machines are offline (the node's own
 * dashboard draws the city without tiles).
 */

import { LENS_TYPES, layerRef, lensState, type Agg } from './lens.js';

export interface SavedObject {
  id: string;
  type: 'index-pattern' | 'lens' | 'search' | 'dashboard';
  attributes: Record<string, unknown>;
  references: Array<{ id: string; name: string; type: string }>;
  migrationVersion: Record<string, string>;
}

/** Which index (data view) a visualization reads, and the fields it uses (checked against the templates). */
export interface FieldUse {
  dataView: string;
  fields: string[];
}

const KQL = (query: string) => ({ query, language: 'kuery' });

const count = (label?: string): Agg => ({ id: '1', type: 'count', schema: 'metric', params: label ? { customLabel: label } : {} });
const terms = (id: string, schema: string, field: string, size: number, extra: Record<string, unknown> = {}): Agg => ({
  id,
  type: 'terms',
  schema,
  params: { field, orderBy: '1', order: 'desc', size, otherBucket: false, otherBucketLabel: 'Other', missingBucket: false, missingBucketLabel: 'Missing', ...extra },
});
const dateHistogram = (field: string): Agg => ({
  id: '2',
  type: 'date_histogram',
  schema: 'segment',
  params: { field, useNormalizedEsInterval: true, scaleMetricValues: false, interval: 'auto', drop_partials: false, min_doc_count: 1, extended_bounds: {} },
});

interface VisSpec {
  id: string;
  title: string;
  description: string;
  dataView: string;
  type: 'histogram' | 'pie' | 'table' | 'metric';
  aggs: Agg[];
  query?: string;
  /** Fields the query names, for the template check. */
  queryFields?: string[];
  valueLabel?: string;
}

/** The data views: index pattern and time field, per Vigil index (prefix `vigil`). */
export function dataViews(prefix = 'vigil'): Array<{ id: string; title: string; timeField: string; index: string }> {
  return [
    { id: `${prefix}-events`, title: `${prefix}-events*`, timeField: '@timestamp', index: 'events' },
    { id: `${prefix}-alerts`, title: `${prefix}-alerts`, timeField: 'ts', index: 'alerts' },
    { id: `${prefix}-incidents`, title: `${prefix}-incidents`, timeField: 'lastSeen', index: 'incidents' },
    { id: `${prefix}-entities`, title: `${prefix}-entities`, timeField: 'lastSeen', index: 'entities' },
    { id: `${prefix}-reputation`, title: `${prefix}-reputation`, timeField: 'ts', index: 'reputation' },
    { id: `${prefix}-actions`, title: `${prefix}-actions`, timeField: 'ts', index: 'actions' },
    { id: `${prefix}-dead-letters`, title: `${prefix}-dead-letters`, timeField: 'receivedAt', index: 'dead-letters' },
  ];
}

function visualizations(prefix: string): VisSpec[] {
  const v = (name: string) => `${prefix}-${name}`;
  /** A one-number tile: how many of `dataView`'s documents match `query` (KQL, on `fields`) in the time range. */
  const metric = (name: string, title: string, description: string, dataView: string, label: string, query?: [string, string[]]): VisSpec => ({
    id: `${prefix}-vis-${name}`,
    title: `Vigil · ${title}`,
    description,
    dataView: v(dataView),
    type: 'metric',
    aggs: [count(label)],
    ...(query ? { query: query[0], queryFields: query[1] } : {}),
  });
  /** A chart of `dataView`'s documents, `aggs` named as in Kibana's aggregation-based editor. */
  const vis = (name: string, title: string, description: string, dataView: string, type: VisSpec['type'], aggs: Agg[], more: Pick<VisSpec, 'query' | 'queryFields' | 'valueLabel'> = {}): VisSpec => ({
    id: `${prefix}-vis-${name}`,
    title: `Vigil · ${title}`,
    description,
    dataView: v(dataView),
    type,
    aggs,
    ...more,
  });
  return [
    metric('open-incidents', 'Open incidents', 'Incidents nobody has acknowledged or resolved yet, active in the time range.', 'incidents', 'Open incidents', ['status:open', ['status']]),
    metric('critical-alerts', 'High and critical alerts', 'Alerts of high or critical severity in the time range.', 'alerts', 'High and critical alerts', ['severity:(high or critical)', ['severity']]),
    metric(
      'flagged-entities',
      'Flagged vehicles and devices',
      'Entities flagged rogue by the detector or by the transport authority, seen in the time range.',
      'entities',
      'Flagged entities',
      ['flagged:true or detectorFlagged:true', ['flagged', 'detectorFlagged']],
    ),
    metric('dead-letters-count', 'Rejected inputs', 'Inputs the collectors refused (dead letters) in the time range.', 'dead-letters', 'Rejected inputs'),
    vis('alerts-by-severity', 'Alerts over time by severity', 'Alerts per interval, stacked by severity.', 'alerts', 'histogram', [count(), dateHistogram('ts'), terms('3', 'group', 'severity', 4)], { valueLabel: 'Alerts' }),
    vis('alerts-by-category', 'Alerts by kind', 'What kind of attack the alerts point to (position falsification, replay, flooding, Mirai scanning, …).', 'alerts', 'pie', [count(), terms('2', 'segment', 'category', 12)]),
    vis('events-by-kind', 'Events over time by kind', 'Ingested events per interval: vehicle safety messages, telemetry, network summaries, authentication, logs, CAN.', 'events', 'histogram', [count(), dateHistogram('@timestamp'), terms('3', 'group', 'vigil.kind', 6)], { valueLabel: 'Events' }),
    vis('incidents-by-status', 'Incidents by status', 'Open, acknowledged and resolved incidents active in the time range.', 'incidents', 'pie', [count(), terms('2', 'segment', 'status', 3)]),
    vis('top-entities', 'Most alerted entities', 'Vehicles and devices with the most alerts, with their highest alert score.', 'alerts', 'table', [
      count('Alerts'),
      { id: '2', type: 'max', schema: 'metric', params: { field: 'score', customLabel: 'Highest score' } },
      terms('3', 'bucket', 'entity.id', 15, { customLabel: 'Entity' }),
      terms('4', 'bucket', 'entity.type', 2, { customLabel: 'Type' }),
    ]),
    vis('top-rules', 'Alerts by rule or model', 'Which Sigma rule, model or reputation check raised the alerts.', 'alerts', 'table', [count('Alerts'), terms('2', 'bucket', 'origin.type', 3, { customLabel: 'Origin' }), terms('3', 'bucket', 'origin.id', 20, { customLabel: 'Rule or model id' })]),
    vis('low-reputation-vehicles', 'Vehicles with the lowest reputation', 'Trust in [0, 1] as the detector last scored it; under 0.3 for 3 s flags a vehicle rogue.', 'entities', 'table', [
      { id: '1', type: 'min', schema: 'metric', params: { field: 'reputation', customLabel: 'Reputation' } },
      { id: '2', type: 'max', schema: 'metric', params: { field: 'alertCount', customLabel: 'Alerts' } },
      terms('3', 'bucket', 'id', 20, { order: 'asc', customLabel: 'Vehicle' }),
    ], { query: 'type:vehicle', queryFields: ['type'] }),
    vis('reputation-over-time', 'Reputation drops over time', 'Lowest reputation recorded per interval, for the ten entities that fell furthest.', 'reputation', 'histogram', [
      { id: '1', type: 'min', schema: 'metric', params: { field: 'value', customLabel: 'Lowest reputation' } },
      dateHistogram('ts'),
      terms('3', 'group', 'entity.id', 10, { order: 'asc' }),
    ], { valueLabel: 'Lowest reputation' }),
    vis('triage-actions', 'Triage and authority actions', 'Who did what (acknowledge, assign, resolve, flag, clear, rule changes); each one is also a ledger entry.', 'actions', 'table', [count('Actions'), terms('2', 'bucket', 'actor', 20, { customLabel: 'Actor' }), terms('3', 'bucket', 'action', 20, { customLabel: 'Action' })]),
    vis('dead-letters-by-code', 'Rejected inputs by reason', 'Dead letters per interval by rejection code and collector: malformed input is often an attack, or a broken device.', 'dead-letters', 'histogram', [count(), dateHistogram('receivedAt'), terms('3', 'group', 'code', 8)], { valueLabel: 'Rejected inputs' }),
  ];
}

/** Every field each visualization and data view uses, per data view id (for the template check). */
export function fieldUses(prefix = 'vigil'): FieldUse[] {
  const uses: FieldUse[] = dataViews(prefix).map((d) => ({ dataView: d.id, fields: [d.timeField] }));
  for (const vis of visualizations(prefix)) {
    const fields = vis.aggs.map((a) => a.params['field']).filter((f): f is string => typeof f === 'string');
    uses.push({ dataView: vis.dataView, fields: [...fields, ...(vis.queryFields ?? [])] });
  }
  uses.push({ dataView: `${prefix}-alerts`, fields: SEARCH_COLUMNS });
  return uses;
}

const SEARCH_COLUMNS = ['severity', 'title', 'entity.id', 'category', 'score', 'incidentId'];

const searchSource = (query = '') => JSON.stringify({ query: KQL(query), filter: [], indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index' });

export function savedObjects(prefix = 'vigil'): SavedObject[] {
  const objects: SavedObject[] = [];
  for (const d of dataViews(prefix)) {
    objects.push({
      id: d.id,
      type: 'index-pattern',
      attributes: { title: d.title, timeFieldName: d.timeField, fields: '[]', fieldAttrs: '{}', runtimeFieldMap: '{}', typeMeta: '{}' },
      references: [],
      migrationVersion: { 'index-pattern': '7.11.0' },
    });
  }
  const vis = visualizations(prefix);
  for (const s of vis) {
    objects.push({
      id: s.id,
      type: 'lens',
      attributes: { title: s.title, description: s.description, visualizationType: LENS_TYPES[s.type], state: lensState(s.id, s.type, s.aggs, s.query ?? '') },
      references: [{ id: s.dataView, name: layerRef(s.id), type: 'index-pattern' }],
      migrationVersion: { lens: '8.9.0' },
    });
  }
  const searchId = `${prefix}-search-alerts`;
  objects.push({
    id: searchId,
    type: 'search',
    attributes: {
      title: 'Vigil · Alerts',
      description: 'Every alert, newest first. Prove any of them with `vigil prove --id <id>` or the node dashboard.',
      columns: SEARCH_COLUMNS,
      sort: [['ts', 'desc']],
      hits: 0,
      version: 1,
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource() },
    },
    references: [{ id: `${prefix}-alerts`, name: 'kibanaSavedObjectMeta.searchSourceJSON.index', type: 'index-pattern' }],
    migrationVersion: { search: '7.9.3' },
  });

  // The dashboard: four headline numbers, then the charts two by two, then the alert list.
  const layout: Array<[string, number, number, number, number]> = [];
  const put = (id: string, x: number, y: number, w: number, h: number): void => void layout.push([id, x, y, w, h]);
  const ids = vis.map((s) => s.id);
  ids.slice(0, 4).forEach((id, i) => put(id, i * 12, 0, 12, 7));
  ids.slice(4).forEach((id, i) => put(id, (i % 2) * 24, 7 + Math.floor(i / 2) * 15, 24, 15));
  put(searchId, 0, 7 + Math.ceil((ids.length - 4) / 2) * 15, 48, 18);
  const panels = layout.map(([id, x, y, w, h], i) => ({
    version: '8.9.0',
    type: id === searchId ? 'search' : 'lens',
    gridData: { x, y, w, h, i: String(i + 1) },
    panelIndex: String(i + 1),
    embeddableConfig: {},
    panelRefName: `panel_${i}`,
  }));
  objects.push({
    id: `${prefix}-security-overview`,
    type: 'dashboard',
    attributes: {
      title: 'Vigil · Security overview',
      description: 'Alerts, incidents, rogue vehicles and devices, rejected input and triage in the Vigil indices.',
      hits: 0,
      version: 1,
      timeRestore: true,
      timeFrom: 'now-24h',
      timeTo: 'now',
      refreshInterval: { pause: false, value: 30_000 },
      optionsJSON: JSON.stringify({ hidePanelTitles: false, useMargins: true }),
      panelsJSON: JSON.stringify(panels),
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: KQL(''), filter: [] }) },
    },
    references: layout.map(([id], i) => ({ id, name: `panel_${i}`, type: id === searchId ? 'search' : 'lens' })),
    migrationVersion: { dashboard: '8.9.0' },
  });
  return objects;
}

/** One object per line, as Kibana's Saved Objects import expects. */
export function toNdjson(objects: SavedObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(toNdjson(savedObjects()));
