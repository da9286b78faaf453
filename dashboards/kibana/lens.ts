/**
 * Lens saved objects (Kibana 8.9+) from Vigil's visualization specs: one form-based
 * datasource layer per visualization, its columns from the spec's aggregations (count,
 * min / max, date histogram, terms), and the Lens visualization state that shows them
 * (bar chart over time, donut, table, metric). Lens is what Kibana builds and edits today;
 * the legacy aggregation-based editor is deprecated.
 */

export interface Agg {
  id: string;
  type: string;
  schema: string;
  params: Record<string, unknown>;
}

export type LensKind = 'histogram' | 'pie' | 'table' | 'metric';

export const LENS_TYPES: Record<LensKind, string> = { histogram: 'lnsXY', pie: 'lnsPie', table: 'lnsDatatable', metric: 'lnsMetric' };

/** The layer id of a visualization (one layer each). */
export const layerId = (visId: string): string => `${visId}-layer`;

/** Lens's name for the reference from a layer to its data view. */
export const layerRef = (visId: string): string => `indexpattern-datasource-layer-${layerId(visId)}`;

function column(a: Agg, metricId: string): Record<string, unknown> {
  const label = typeof a.params.customLabel === 'string' ? a.params.customLabel : undefined;
  const common = { ...(label ? { label, customLabel: true } : {}) };
  const field = String(a.params.field ?? '');
  switch (a.type) {
    case 'count':
      return { label: label ?? 'Count of records', ...common, dataType: 'number', operationType: 'count', isBucketed: false, scale: 'ratio', sourceField: '___records___', params: { emptyAsNull: true } };
    case 'min':
    case 'max':
      return { label: label ?? `${a.type === 'min' ? 'Minimum' : 'Maximum'} of ${field}`, ...common, dataType: 'number', operationType: a.type, isBucketed: false, scale: 'ratio', sourceField: field, params: { emptyAsNull: true } };
    case 'date_histogram':
      return { label: field, dataType: 'date', operationType: 'date_histogram', isBucketed: true, scale: 'interval', sourceField: field, params: { interval: 'auto', includeEmptyRows: true, dropPartials: false } };
    case 'terms':
      return {
        label: label ?? `Top values of ${field}`,
        ...common,
        dataType: 'string',
        operationType: 'terms',
        isBucketed: true,
        scale: 'ordinal',
        sourceField: field,
        params: { size: a.params.size, orderBy: { type: 'column', columnId: metricId }, orderDirection: a.params.order === 'asc' ? 'asc' : 'desc', otherBucket: false, missingBucket: false, parentFormat: { id: 'terms' } },
      };
    default:
      throw new Error(`no Lens column for aggregation ${a.type}`);
  }
}

/** The `state` of a Lens saved object for `aggs` shown as `kind`, with a KQL query. */
export function lensState(visId: string, kind: LensKind, aggs: readonly Agg[], query: string): Record<string, unknown> {
  const layer = layerId(visId);
  const col = (a: Agg) => `${visId}-col-${a.id}`;
  const metrics = aggs.filter((a) => a.schema === 'metric');
  const buckets = aggs.filter((a) => a.schema !== 'metric');
  const firstMetric = col(metrics[0]!);
  const columns: Record<string, unknown> = {};
  // Lens orders buckets before metrics; the first metric sorts the terms.
  const ordered = [...buckets, ...metrics];
  for (const a of ordered) columns[col(a)] = column(a, firstMetric);
  const date = buckets.find((a) => a.type === 'date_histogram');
  const split = buckets.filter((a) => a.type === 'terms');
  let visualization: Record<string, unknown>;
  switch (kind) {
    case 'histogram':
      visualization = {
        legend: { isVisible: true, position: 'right' },
        valueLabels: 'hide',
        preferredSeriesType: 'bar_stacked',
        layers: [{ layerId: layer, layerType: 'data', seriesType: 'bar_stacked', ...(date ? { xAccessor: col(date) } : {}), accessors: metrics.map(col), ...(split[0] ? { splitAccessor: col(split[0]) } : {}) }],
      };
      break;
    case 'pie':
      visualization = { shape: 'donut', layers: [{ layerId: layer, layerType: 'data', primaryGroups: split.map(col), metrics: [firstMetric], numberDisplay: 'percent', categoryDisplay: 'default', legendDisplay: 'default' }] };
      break;
    case 'table':
      visualization = { layerId: layer, layerType: 'data', columns: ordered.map((a) => ({ columnId: col(a) })) };
      break;
    case 'metric':
      visualization = { layerId: layer, layerType: 'data', metricAccessor: firstMetric };
      break;
  }
  return {
    visualization,
    query: { query, language: 'kuery' },
    filters: [],
    datasourceStates: { formBased: { layers: { [layer]: { columns, columnOrder: ordered.map(col), incompleteColumns: {} } } } },
  };
}
