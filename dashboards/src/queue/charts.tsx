/** The queue's two time charts: new incidents by severity and by kind, over the incidents shown. */
import { useMemo } from 'preact/hooks';
import { SEVERITIES, type IncidentSummary } from '../api.js';
import { bucketCounts, TimeChart, type ChartSeries } from '../chart.js';
import { Panel, SEVERITY_COLOURS, humanize } from '../ui.js';
import type { Filters } from './state.js';

const KIND_COLOURS = ['#2f6fb3', '#7a4fb8', '#1f9d8b', '#c2410c', '#a16207', '#be185d', '#64748b'];

export function IncidentCharts({ items, filters, now }: { items: IncidentSummary[]; filters: Filters; now: number }) {
  const charts = useMemo(() => {
    const times = items.map((i) => new Date(i.firstSeen).getTime());
    const from = filters.window > 0 ? now - filters.window * 60_000 : Math.min(now - 15 * 60_000, ...times);
    const range: [number, number] = [from, now];
    const bySev = bucketCounts(items, (i) => new Date(i.firstSeen).getTime(), (i) => i.severity, SEVERITIES, range);
    const sevSeries: ChartSeries[] = SEVERITIES.map((s) => ({ label: humanize(s), colour: SEVERITY_COLOURS[s], values: bySev.counts.get(s)! }));
    const kindTotals = new Map<string, number>();
    for (const i of items) for (const c of i.categories.length ? i.categories : ['other']) kindTotals.set(c, (kindTotals.get(c) ?? 0) + 1);
    const top = [...kindTotals.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k]) => k);
    const kindOf = (i: IncidentSummary): string => i.categories.find((c) => top.includes(c)) ?? 'other';
    const kinds = [...top, ...(top.includes('other') ? [] : ['other'])];
    const byKind = bucketCounts(items, (i) => new Date(i.firstSeen).getTime(), kindOf, kinds, range);
    const kindSeries: ChartSeries[] = kinds
      .filter((k) => byKind.counts.get(k)!.some((v) => v > 0))
      .map((k, n) => ({ label: humanize(k), colour: KIND_COLOURS[n % KIND_COLOURS.length]!, values: byKind.counts.get(k)! }));
    const per = bySev.bucketSeconds >= 60 ? `${bySev.bucketSeconds / 60} min` : `${bySev.bucketSeconds} s`;
    const sevSummary = SEVERITIES.map((s) => `${items.filter((i) => i.severity === s).length} ${s.toLowerCase()}`).join(', ');
    const kindSummary = [...kindTotals.entries()].map(([k, n]) => `${n} ${humanize(k)}`).join(', ');
    return { sev: { x: bySev.x, series: sevSeries, summary: sevSummary }, kind: { x: byKind.x, series: kindSeries, summary: kindSummary }, per };
  }, [items, filters.window, Math.floor(now / 10_000)]);

  return (
    <div class="grid-2">
      <Panel title="New incidents by severity" actions={<span class="muted small">per {charts.per}, incidents shown below</span>}>
        <TimeChart label="New incidents by severity" x={charts.sev.x} series={charts.sev.series} summary={charts.sev.summary} height={180} />
      </Panel>
      <Panel title="New incidents by kind" actions={<span class="muted small">per {charts.per}, top kinds</span>}>
        {charts.kind.series.length ? (
          <TimeChart label="New incidents by kind" x={charts.kind.x} series={charts.kind.series} summary={charts.kind.summary} height={180} />
        ) : (
          <p class="empty">No incidents in this window.</p>
        )}
      </Panel>
    </div>
  );
}

