/** A uPlot time chart as a Preact component (uPlot draws on canvas; we own its lifetime). */
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';

export interface ChartSeries {
  label: string;
  colour: string;
  /** One value per x; null leaves a gap. */
  values: (number | null)[];
  /** A reference line (a threshold): dashed, unfilled, no points. */
  reference?: boolean;
}

export interface TimeChartProps {
  /** Accessible name (the canvas is an image to assistive technology). */
  label: string;
  /** x values, epoch seconds (uPlot's unit). */
  x: number[];
  series: ChartSeries[];
  height?: number;
  /** `stacked` bars for counts per bucket, `line` for a measured value. */
  kind?: 'stacked' | 'line';
  yRange?: [number, number];
  /** A short text equivalent, read instead of the canvas. */
  summary?: string;
}

export function TimeChart({ label, x, series, height = 220, kind = 'stacked', yRange, summary }: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    // Stacked counts: each series is drawn as the running total up to it, the last first, so
    // every bar shows its own share; the legend and tooltip still read the raw counts.
    const stacked = kind === 'stacked';
    const raw = series.map((s) => s.values);
    let data: (number | null)[][] = raw;
    let order = series.map((_, i) => i);
    if (stacked) {
      const sums: number[][] = [];
      raw.forEach((vals, i) => sums.push(vals.map((v, j) => (v ?? 0) + (i > 0 ? sums[i - 1]![j]! : 0))));
      order = order.reverse();
      data = order.map((i) => sums[i]!);
    }
    const bars = stacked ? uPlot.paths.bars!({ size: [0.8, 40], gap: 1 }) : undefined;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      legend: { show: true, live: !stacked },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // Bars sit on their bucket's start: pad half a bucket each side so the first and last show whole.
        x: stacked && x.length > 1 ? { time: true, range: (_u, min, max) => [min - (x[1]! - x[0]!) / 2, max + (x[1]! - x[0]!) / 2] } : { time: true },
        y: yRange ? { range: yRange } : { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
      },
      axes: [
        { stroke: '#5b6b7f', grid: { stroke: '#e6ebf1' }, ticks: { stroke: '#e6ebf1' } },
        { stroke: '#5b6b7f', grid: { stroke: '#e6ebf1' }, ticks: { stroke: '#e6ebf1' }, size: 44, ...(stacked ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}) },
      ],
      series: [
        {},
        ...order.map((i) => {
          const s = series[i]!;
          return {
            label: s.label,
            stroke: s.colour,
            width: stacked ? 0 : 2,
            ...(stacked ? { fill: s.colour, paths: bars } : s.reference ? { dash: [6, 4] } : { fill: `${s.colour}22` }),
            points: { show: !stacked && !s.reference && x.length < 60 },
          };
        }),
      ],
    };
    const chart = new uPlot(opts, [x, ...data] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 200), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [x, series, height, kind, yRange]);
  return (
    <figure class="chart" role="img" aria-label={summary ? `${label}: ${summary}` : label}>
      <div ref={host} />
    </figure>
  );
}

const BUCKETS_S = [10, 30, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86_400];

/**
 * Count items per time bucket and group: a bucket size chosen so the range spans at most
 * `maxBuckets` of them. Returns x (epoch seconds) and one count array per group.
 */
export function bucketCounts<T>(items: readonly T[], time: (t: T) => number, group: (t: T) => string, groups: readonly string[], range: [number, number], maxBuckets = 60) {
  const [from, to] = range;
  const spanS = Math.max(1, (to - from) / 1000);
  const size = BUCKETS_S.find((b) => spanS / b <= maxBuckets) ?? 86_400;
  const start = Math.floor(from / 1000 / size) * size;
  const n = Math.max(1, Math.ceil((to / 1000 - start) / size));
  const x = Array.from({ length: n }, (_, i) => start + i * size);
  const counts = new Map(groups.map((g) => [g, new Array<number>(n).fill(0)]));
  for (const item of items) {
    const i = Math.floor((time(item) / 1000 - start) / size);
    const row = counts.get(group(item));
    if (row && i >= 0 && i < n) row[i]! += 1;
  }
  return { x, counts, bucketSeconds: size };
}
