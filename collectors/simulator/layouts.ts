/**
 * Street layouts, as graphs of intersections joined by road polylines (local metres, any
 * origin: `roadNetwork` shifts them). Every intersection has at least two roads, so no
 * vehicle ever meets a dead end and needs a U-turn.
 *
 * - `grid`: a square grid, optionally rotated (Manhattan, Barcelona's Eixample);
 * - `ring`: concentric ring roads joined by a few radials (Moscow, Vienna's Ring);
 * - `radial`: many radial avenues from a central roundabout, joined by a few rings (Paris
 *   around the Étoile, Canberra);
 * - `irregular`: a grid with jittered junctions, bent streets and pruned blocks (an old
 *   town grown over centuries), drawn from the layout seed.
 */
import type { Random } from '../../events/index.js';

/** Speed-limit classes, fastest first. */
export type RoadClass = 'arterial' | 'collector' | 'side';
export const ROAD_CLASSES: readonly RoadClass[] = ['arterial', 'collector', 'side'];

export const LAYOUTS = ['grid', 'ring', 'radial', 'irregular'] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface LayoutOptions {
  /** @default 'grid' */
  layout?: Layout;
  /** grid, irregular: intersections per side. @default 13 */
  size?: number;
  /** grid, irregular: distance between adjacent intersections; ring, radial: between rings. Metres. @default 200 */
  spacing?: number;
  /** grid, irregular: every n-th street is an arterial, the others in between collectors or side streets. @default 4 */
  arterialEvery?: number;
  /** grid, irregular: the grid's rotation from north, degrees. @default 0 */
  rotationDeg?: number;
  /** ring, radial: number of rings. @default 4 (ring), 2 (radial) */
  rings?: number;
  /** ring, radial: number of radial roads. @default 6 (ring), 12 (radial) */
  spokes?: number;
  /** ring, radial: radius of the innermost ring, metres. @default 300 (ring), 90 (radial) */
  innerRadius?: number;
}

export interface PlanNode {
  id: string;
  x: number;
  y: number;
  signalised: boolean;
}

export interface PlanEdge {
  id: string;
  street: string;
  class: RoadClass;
  from: string;
  to: string;
  points: Array<[number, number]>;
}

export interface LayoutPlan {
  layout: Layout;
  nodes: PlanNode[];
  edges: PlanEdge[];
}

/** Longest straight piece of a curved road's polyline, metres. */
const ARC_STEP_M = 40;

export function buildLayout(options: LayoutOptions, rng: Random): LayoutPlan {
  const layout = options.layout ?? 'grid';
  let plan: LayoutPlan;
  switch (layout) {
    case 'grid':
      plan = gridPlan(options, undefined);
      break;
    case 'irregular':
      plan = gridPlan(options, rng);
      break;
    case 'ring':
    case 'radial':
      plan = ringPlan(layout, options);
      break;
    default:
      throw new RangeError(`unknown layout ${String(layout)}`);
  }
  // A junction where arterials cross (three or more arterial roads meet) has a traffic light.
  const arterialDegree = new Map<string, number>();
  for (const e of plan.edges) {
    if (e.class !== 'arterial') continue;
    arterialDegree.set(e.from, (arterialDegree.get(e.from) ?? 0) + 1);
    arterialDegree.set(e.to, (arterialDegree.get(e.to) ?? 0) + 1);
  }
  for (const n of plan.nodes) n.signalised = (arterialDegree.get(n.id) ?? 0) >= 3;
  return plan;
}

const pad = (i: number): string => String(i).padStart(2, '0');

/** A grid; with `rng`, the irregular variant (jittered, bent, pruned). */
function gridPlan(options: LayoutOptions, rng: Random | undefined): LayoutPlan {
  const size = options.size ?? 13;
  const spacing = options.spacing ?? 200;
  const every = options.arterialEvery ?? 4;
  const rot = ((options.rotationDeg ?? 0) * Math.PI) / 180;
  const classOf = (i: number): RoadClass => (i % every === 0 ? 'arterial' : rng && i % 2 === 0 ? 'collector' : 'side');
  const nodeId = (col: number, row: number): string => `X-${pad(col)}-${pad(row)}`;
  const jitter = 0.2 * spacing;
  const pos = new Map<string, [number, number]>();
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const dx = rng ? rng.uniform(-jitter, jitter) : 0;
      const dy = rng ? rng.uniform(-jitter, jitter) : 0;
      pos.set(nodeId(col, row), rotate(col * spacing + dx, row * spacing + dy, rot));
    }
  }
  const nodes: PlanNode[] = [...pos].map(([id, [x, y]]) => ({ id, x, y, signalised: false }));
  const edges: PlanEdge[] = [];
  const edge = (id: string, street: string, cls: RoadClass, from: string, to: string): void => {
    const a = pos.get(from) as [number, number];
    const b = pos.get(to) as [number, number];
    edges.push({ id, street, class: cls, from, to, points: rng ? bent(a, b, rng) : [a, b] });
  };
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (col + 1 < size) edge(`R-EW${pad(row)}-${pad(col)}`, streetName('ew', row, classOf(row)), classOf(row), nodeId(col, row), nodeId(col + 1, row));
      if (row + 1 < size) edge(`R-NS${pad(col)}-${pad(row)}`, streetName('ns', col, classOf(col)), classOf(col), nodeId(col, row), nodeId(col, row + 1));
    }
  }
  return { layout: rng ? 'irregular' : 'grid', nodes, edges: rng ? prune(edges, nodes, rng) : edges };
}

function rotate(x: number, y: number, rot: number): [number, number] {
  if (rot === 0) return [x, y];
  return [x * Math.cos(rot) + y * Math.sin(rot), -x * Math.sin(rot) + y * Math.cos(rot)];
}

/** A street bent once or twice sideways by up to 8 % of its length, or left straight. */
function bent(a: [number, number], b: [number, number], rng: Random): Array<[number, number]> {
  const bends = rng.pick([0, 0, 1, 2]);
  if (bends === 0) return [a, b];
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy);
  const nx = -dy / len;
  const ny = dx / len;
  const out: Array<[number, number]> = [a];
  for (let k = 1; k <= bends; k++) {
    const t = k / (bends + 1);
    const off = rng.uniform(-0.08, 0.08) * len;
    out.push([a[0] + t * dx + off * nx, a[1] + t * dy + off * ny]);
  }
  out.push(b);
  return out;
}

/**
 * Drop about a sixth of the non-arterial blocks, keeping every junction on two or more
 * roads and the whole graph connected.
 */
function prune(edges: PlanEdge[], nodes: PlanNode[], rng: Random): PlanEdge[] {
  const degree = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  for (const e of edges) {
    degree.set(e.from, (degree.get(e.from) ?? 0) + 1);
    degree.set(e.to, (degree.get(e.to) ?? 0) + 1);
  }
  const kept = new Set(edges);
  for (const e of rng.shuffle(edges)) {
    if (e.class === 'arterial' || !rng.chance(0.17)) continue;
    if ((degree.get(e.from) ?? 0) <= 2 || (degree.get(e.to) ?? 0) <= 2) continue;
    kept.delete(e);
    if (!connected(kept, nodes)) {
      kept.add(e);
      continue;
    }
    degree.set(e.from, (degree.get(e.from) ?? 0) - 1);
    degree.set(e.to, (degree.get(e.to) ?? 0) - 1);
  }
  return edges.filter((e) => kept.has(e));
}

function connected(edges: Set<PlanEdge>, nodes: PlanNode[]): boolean {
  const next = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    next.get(e.from)?.push(e.to);
    next.get(e.to)?.push(e.from);
  }
  const start = nodes[0]?.id;
  if (start === undefined) return true;
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const n of next.get(queue.pop() as string) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen.size === nodes.length;
}

/** Concentric rings joined by radial roads; `ring` favours the rings, `radial` the radials. */
function ringPlan(layout: 'ring' | 'radial', options: LayoutOptions): LayoutPlan {
  const rings = options.rings ?? (layout === 'ring' ? 4 : 2);
  const spokes = options.spokes ?? (layout === 'ring' ? 6 : 12);
  const inner = options.innerRadius ?? (layout === 'ring' ? 300 : 90);
  const spacing = options.spacing ?? (layout === 'ring' ? 300 : 450);
  const rot = ((options.rotationDeg ?? 0) * Math.PI) / 180;
  const radius = (i: number): number => inner + i * spacing;
  const angle = (j: number): number => rot + (2 * Math.PI * j) / spokes;
  const nodeId = (i: number, j: number): string => `X-${pad(i)}-${pad(j)}`;
  const at = (r: number, a: number): [number, number] => [r * Math.sin(a), r * Math.cos(a)];
  const nodes: PlanNode[] = [];
  for (let i = 0; i < rings; i++) for (let j = 0; j < spokes; j++) nodes.push({ id: nodeId(i, j), x: at(radius(i), angle(j))[0], y: at(radius(i), angle(j))[1], signalised: false });
  const edges: PlanEdge[] = [];
  for (let i = 0; i < rings; i++) {
    // ring: every ring an arterial but the innermost; radial: the rings are collectors.
    const cls: RoadClass = layout === 'ring' ? (i === 0 ? 'collector' : 'arterial') : i === 0 ? 'side' : 'collector';
    const r = radius(i);
    for (let j = 0; j < spokes; j++) {
      const a0 = angle(j);
      const sweep = (2 * Math.PI) / spokes;
      const steps = Math.max(2, Math.ceil((r * sweep) / ARC_STEP_M));
      const points: Array<[number, number]> = [];
      for (let k = 0; k <= steps; k++) points.push(at(r, a0 + (sweep * k) / steps));
      edges.push({ id: `R-RG${pad(i)}-${pad(j)}`, street: `Ring ${i + 1}`, class: cls, from: nodeId(i, j), to: nodeId(i, (j + 1) % spokes), points });
    }
  }
  for (let j = 0; j < spokes; j++) {
    const cls: RoadClass = layout === 'radial' ? (j % 2 === 0 ? 'arterial' : 'collector') : j % 2 === 0 ? 'arterial' : 'side';
    for (let i = 0; i + 1 < rings; i++) {
      edges.push({ id: `R-SP${pad(j)}-${pad(i)}`, street: `Radial ${j + 1}`, class: cls, from: nodeId(i, j), to: nodeId(i + 1, j), points: [at(radius(i), angle(j)), at(radius(i + 1), angle(j))] });
    }
  }
  return { layout, nodes, edges };
}

function streetName(axis: 'ew' | 'ns', index: number, cls: RoadClass): string {
  const major = cls === 'arterial';
  return axis === 'ew' ? `${major ? 'Avenue' : 'Street'} ${index + 1}` : `${major ? 'Boulevard' : 'Lane'} ${index + 1}`;
}
