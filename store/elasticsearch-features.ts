/**
 * What an Elasticsearch cluster offers beyond the core server, detected once at setup.
 *
 * Elastic's default distribution has every module; a stripped one (the integ-test zip Vigil's
 * CI runs, or a hand-assembled node) may lack index lifecycle management (the `x-pack-ilm`
 * module: no `_ilm` endpoints and no `index.lifecycle.*` settings) and the
 * `match_only_text` field type (the `mapper-extras` module), and Painless (`lang-painless`),
 * which the entities' scripted upserts need. On such a cluster the adapter
 * installs its templates without them instead of failing: events still go to the data
 * stream and are searched, but nothing rolls the backing index over or deletes by age.
 * Without Painless the entity writes fail, as they did before; setup says so up front.
 */
import type { Client } from '@elastic/elasticsearch';

export interface ClusterFeatures {
  /** Index lifecycle management: the events' rollover, warm phase and retention. */
  ilm: boolean;
  /** The `match_only_text` type (else `text` without norms stands in). */
  matchOnlyText: boolean;
  /** Painless scripts (`lang-painless`): the entity counters, reputation and flags are scripted upserts. */
  scripts: boolean;
}

export const FULL_CLUSTER: ClusterFeatures = { ilm: true, matchOnlyText: true, scripts: true };

/**
 * Read the modules every node runs (`GET _nodes/plugins`). A feature counts only if all
 * nodes have it. When the nodes cannot be listed (a user without the `monitor` privilege)
 * the cluster is taken as a full one: the behaviour before this detection existed, whose
 * errors then say what is missing.
 */
export async function detectFeatures(client: Client): Promise<ClusterFeatures> {
  let nodes: Record<string, { modules?: Array<{ name?: string }> }>;
  try {
    const res = await client.nodes.info({ metric: 'plugins', filter_path: 'nodes.*.modules.name' });
    nodes = (res.nodes ?? {}) as typeof nodes;
  } catch {
    return FULL_CLUSTER;
  }
  const all = Object.values(nodes);
  if (all.length === 0) return FULL_CLUSTER;
  const everywhere = (module: string): boolean => all.every((n) => (n.modules ?? []).some((m) => m.name === module));
  return { ilm: everywhere('x-pack-ilm'), matchOnlyText: everywhere('mapper-extras'), scripts: everywhere('lang-painless') };
}

/** The warning setup logs once when the cluster lacks a feature, naming what is lost. */
export function missingFeaturesWarning(f: ClusterFeatures): string | undefined {
  const lost: string[] = [];
  if (!f.ilm) {
    lost.push(
      'no ILM on this cluster: indices are not rolled over or deleted by age; the events data stream keeps one backing index that grows until an operator rolls it over (POST <prefix>-events/_rollover) and deletes old ones',
    );
  }
  if (!f.matchOnlyText) lost.push('no mapper-extras module: `message` is mapped as text without norms instead of match_only_text (larger on disk, same matches)');
  if (!f.scripts) lost.push('no lang-painless module: writing alerts and reputation (the entities\' scripted upserts) and flagging entities are refused by the cluster');
  return lost.length ? `elasticsearch store: ${lost.join('; ')}` : undefined;
}

type Json = Record<string, unknown>;

/** The index template without the lifecycle setting a cluster without ILM refuses. */
export function withoutLifecycle<T extends Json>(template: T): T {
  const inner = template['template'] as Json | undefined;
  const settings = inner?.['settings'] as Json | undefined;
  if (!settings || !('index.lifecycle.name' in settings)) return template;
  const { 'index.lifecycle.name': _dropped, ...rest } = settings;
  return { ...template, template: { ...inner, settings: rest } };
}

/** Mappings with `match_only_text` replaced by its closest core equivalent. */
export function withoutMatchOnlyText<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => withoutMatchOnlyText(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Json;
  if (obj['type'] === 'match_only_text') return { ...obj, type: 'text', norms: false } as T;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, withoutMatchOnlyText(v)])) as T;
}
