/**
 * The Kibana saved objects: the committed NDJSON is what the generator writes, every line
 * is an object Kibana's import accepts (id, type, attributes, references that resolve), and
 * every field a data view or visualization uses is mapped by the index templates the
 * Elasticsearch store installs (dashboards/elasticsearch/), so no panel is empty for want
 * of a field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fieldUses, savedObjects, toNdjson, type SavedObject } from '../dashboards/kibana/saved-objects.js';
import { repoRoot } from './helpers.js';

const NDJSON = join(repoRoot, 'dashboards', 'kibana', 'vigil-security-overview.ndjson');
const TEMPLATES = join(repoRoot, 'dashboards', 'elasticsearch');

type Mapping = { properties?: Record<string, Mapping>; type?: string };

/** Leaf field paths (a.b.c) and their types, from a mappings object. */
function flatten(props: Record<string, Mapping>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, m] of Object.entries(props)) {
    const path = prefix + name;
    if (m.properties) for (const [k, v] of flatten(m.properties, `${path}.`)) out.set(k, v);
    else out.set(path, m.type ?? 'object');
  }
  return out;
}

/** Mapped fields per index name (events through its component template). */
function mappedFields(): Map<string, Map<string, string>> {
  const byIndex = new Map<string, Map<string, string>>();
  // Each file is a request body; the object's name is the file's (component-template.NAME.json).
  const read = (f: string) => ({ ...(JSON.parse(readFileSync(join(TEMPLATES, f), 'utf8')) as { template: { mappings?: { properties: Record<string, Mapping> } } }), name: f.replace(/^[a-z-]+template\./, '').replace(/\.json$/, '') });
  const components = new Map<string, Map<string, string>>();
  for (const f of readdirSync(TEMPLATES).filter((f) => f.startsWith('component-template.'))) {
    const t = read(f);
    components.set(t.name, flatten(t.template.mappings!.properties));
  }
  for (const f of readdirSync(TEMPLATES).filter((f) => f.startsWith('index-template.'))) {
    const t = read(f) as ReturnType<typeof read> & { composed_of?: string[] };
    const fields = new Map(t.template.mappings ? flatten(t.template.mappings.properties) : []);
    for (const c of t.composed_of ?? []) for (const [k, v] of components.get(c) ?? []) fields.set(k, v);
    byIndex.set(t.name, fields);
  }
  return byIndex;
}

describe('the Kibana saved objects', () => {
  const lines = readFileSync(NDJSON, 'utf8').trimEnd().split('\n');
  const objects = lines.map((l) => JSON.parse(l) as SavedObject);

  it('are exactly what dashboards/kibana/saved-objects.ts generates', () => {
    expect(readFileSync(NDJSON, 'utf8')).toBe(toNdjson(savedObjects()));
  });

  it('are one importable object per line, with unique ids and references that resolve', () => {
    const ids = new Set(objects.map((o) => `${o.type}:${o.id}`));
    expect(ids.size).toBe(objects.length);
    for (const o of objects) {
      expect(o.id).toMatch(/^[a-z0-9-]+$/);
      expect(['index-pattern', 'lens', 'search', 'dashboard']).toContain(o.type);
      expect(typeof o.attributes['title']).toBe('string');
      for (const r of o.references) expect(ids.has(`${r.type}:${r.id}`), `${o.id} → ${r.type}:${r.id}`).toBe(true);
    }
    // Lens: every layer has its data view reference, and the visualization shows only columns the layer has.
    for (const o of objects.filter((o) => o.type === 'lens')) {
      const state = o.attributes['state'] as { visualization: unknown; datasourceStates: { formBased: { layers: Record<string, { columns: Record<string, { operationType: string }>; columnOrder: string[] }> } } };
      expect(['lnsXY', 'lnsPie', 'lnsDatatable', 'lnsMetric']).toContain(o.attributes['visualizationType']);
      const layers = Object.entries(state.datasourceStates.formBased.layers);
      expect(layers).toHaveLength(1);
      for (const [id, layer] of layers) {
        expect(o.references.map((r) => r.name)).toContain(`indexpattern-datasource-layer-${id}`);
        expect(new Set(layer.columnOrder)).toEqual(new Set(Object.keys(layer.columns)));
        const shown = JSON.stringify(state.visualization).match(new RegExp(`${o.id}-col-\\d+`, 'g')) ?? [];
        expect(shown.length).toBeGreaterThan(0);
        for (const c of shown) expect(layer.columns[c], `${o.id} shows ${c}`).toBeDefined();
      }
    }
  });

  it('put every visualization and the alert search on the security overview dashboard', () => {
    const dashboard = objects.find((o) => o.type === 'dashboard')!;
    const panels = JSON.parse(dashboard.attributes['panelsJSON'] as string) as Array<{ panelRefName: string; gridData: { x: number; w: number } }>;
    expect(panels).toHaveLength(dashboard.references.length);
    expect(new Set(dashboard.references.map((r) => r.id))).toEqual(new Set(objects.filter((o) => o.type === 'lens' || o.type === 'search').map((o) => o.id)));
    for (const p of panels) expect(p.gridData.x + p.gridData.w).toBeLessThanOrEqual(48);
  });

  it('use only fields the index templates map, with dates as time fields', () => {
    const mapped = mappedFields();
    const views = new Map(objects.filter((o) => o.type === 'index-pattern').map((o) => [o.id, o.attributes]));
    for (const use of fieldUses()) {
      const fields = mapped.get(use.dataView);
      expect(fields, `an index template for ${use.dataView}`).toBeDefined();
      for (const f of use.fields) expect(fields!.has(f), `${use.dataView}: ${f} is mapped`).toBe(true);
      const timeField = views.get(use.dataView)!['timeFieldName'] as string;
      expect(fields!.get(timeField)).toBe('date');
    }
  });
});
