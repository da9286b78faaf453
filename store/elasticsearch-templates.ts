/**
 * What the Elasticsearch adapter installs: a lifecycle (ILM) policy for events, component
 * templates with ECS mappings, and index templates. Events are a data stream
 * (`<prefix>-events`): append-only, time-based backing indices that roll over and age out
 * under the policy. Alerts, incidents, entities, actions and reputation are ordinary
 * indices, because incidents and entities are updated in place and alerts gain their
 * incident link. `dashboards/elasticsearch/` holds these as JSON files for operators and
 * Kibana (a test keeps them equal to this module).
 */

export interface TemplateOptions {
  /** Index name prefix. @default 'vigil' */
  prefix: string;
  /** Roll the events write index over at this primary shard size. @default '25gb' */
  rolloverMaxPrimaryShardSize: string;
  /** …or at this age. @default '1d' */
  rolloverMaxAge: string;
  /** Move events to the warm phase (read-only, force-merged) after. @default '7d' */
  warmAfter: string;
  /** Delete events after. @default '30d' */
  deleteAfter: string;
}

export const DEFAULT_TEMPLATE_OPTIONS: TemplateOptions = {
  prefix: 'vigil',
  rolloverMaxPrimaryShardSize: '25gb',
  rolloverMaxAge: '1d',
  warmAfter: '7d',
  deleteAfter: '30d',
};

const keyword = { type: 'keyword', ignore_above: 1024 } as const;
/** The free text both adapters search (store/text.ts builds it). */
const searchText = { type: 'text', analyzer: 'standard' } as const;

export function ilmPolicy(o: TemplateOptions) {
  return {
    name: `${o.prefix}-events`,
    policy: {
      _meta: { description: 'Vigil events: roll over daily or at 25 GB, read-only after a week, deleted after the retention period' },
      phases: {
        hot: { actions: { rollover: { max_primary_shard_size: o.rolloverMaxPrimaryShardSize, max_age: o.rolloverMaxAge } } },
        warm: { min_age: o.warmAfter, actions: { readonly: {}, forcemerge: { max_num_segments: 1 } } },
        delete: { min_age: o.deleteAfter, actions: { delete: {} } },
      },
    },
  };
}

/** ECS field mappings for events (the fields VigilEvent uses) and Vigil's own `vigil.*`. */
export function eventsComponentTemplate(o: TemplateOptions) {
  return {
    name: `${o.prefix}-events-mappings`,
    template: {
      mappings: {
        dynamic: 'false',
        properties: {
          '@timestamp': { type: 'date' },
          ecs: { properties: { version: keyword } },
          message: { type: 'match_only_text' },
          event: {
            properties: {
              id: keyword,
              kind: keyword,
              category: keyword,
              type: keyword,
              action: keyword,
              dataset: keyword,
              outcome: keyword,
              sequence: { type: 'long' },
              ingested: { type: 'date' },
              // As ECS maps it: kept in _source for investigation, neither indexed nor aggregatable.
              original: { type: 'keyword', index: false, doc_values: false },
            },
          },
          related: { properties: { ip: { type: 'ip' }, user: keyword } },
          source: { properties: { ip: { type: 'ip' }, port: { type: 'long' } } },
          destination: { properties: { ip: { type: 'ip' }, port: { type: 'long' } } },
          network: { properties: { transport: keyword, protocol: keyword, bytes: { type: 'long' }, packets: { type: 'long' } } },
          user: { properties: { name: keyword } },
          observer: { properties: { name: keyword, type: keyword } },
          agent: { properties: { id: keyword, name: keyword, type: keyword } },
          device: { properties: { id: keyword } },
          host: { properties: { name: keyword } },
          process: { properties: { name: keyword, pid: { type: 'long' } } },
          log: {
            properties: {
              level: keyword,
              source: { properties: { address: keyword } },
              syslog: { properties: { facility: { properties: { code: { type: 'long' } } }, severity: { properties: { code: { type: 'long' } } }, msgid: keyword } },
            },
          },
          vigil: {
            properties: {
              kind: keyword,
              ts: { type: 'date', format: 'epoch_millis' },
              entity: { properties: { id: keyword, type: keyword } },
              vehicle: {
                properties: {
                  location: { type: 'geo_point' },
                  lat: { type: 'double' },
                  lon: { type: 'double' },
                  speed: { type: 'float' },
                  heading: { type: 'float' },
                  accel: { type: 'float' },
                  seq: { type: 'long' },
                },
              },
              // Metric names vary per device: kept in _source, searchable through vigil.search.
              metrics: { type: 'object', enabled: false },
              can: { properties: { id: keyword, pgn: { type: 'long' }, sa: { type: 'long' }, da: { type: 'long' }, data: keyword } },
              observer: { properties: { role: keyword } },
              // The whole category / type lists when some values are not ECS's (events/ecs.ts).
              non_ecs: { type: 'object', enabled: false },
              search: searchText,
              ingest: { properties: { source: keyword, received_at: { type: 'date', format: 'epoch_millis' }, seq: { type: 'long' } } },
            },
          },
        },
      },
    },
  };
}

export function eventsIndexTemplate(o: TemplateOptions) {
  return {
    name: `${o.prefix}-events`,
    index_patterns: [`${o.prefix}-events*`],
    data_stream: {},
    composed_of: [`${o.prefix}-events-mappings`],
    priority: 200,
    template: { settings: { 'index.lifecycle.name': `${o.prefix}-events`, 'index.refresh_interval': '1s', 'index.codec': 'best_compression' } },
    _meta: { description: 'Vigil normalised events (ECS), a data stream under the vigil-events lifecycle policy' },
  };
}

const entityRef = { properties: { id: keyword, type: keyword } } as const;

/** Templates for the updatable indices: alerts, incidents, entities, actions, reputation, dead letters. */
export function recordTemplates(o: TemplateOptions) {
  const t = (name: string, properties: Record<string, unknown>) => ({
    name: `${o.prefix}-${name}`,
    index_patterns: [`${o.prefix}-${name}`],
    priority: 200,
    template: { settings: { number_of_shards: 1 }, mappings: { dynamic: 'false', properties } },
  });
  return [
    t('alerts', {
      id: keyword,
      // ECS (events/ecs.ts toEcsAlert) beside the alert's own fields.
      '@timestamp': { type: 'date' },
      ecs: { properties: { version: keyword } },
      event: { properties: { id: keyword, kind: keyword, category: keyword, type: keyword, severity: { type: 'long' }, risk_score: { type: 'float' }, dataset: keyword } },
      rule: { properties: { id: keyword, name: keyword, ruleset: keyword } },
      ts: { type: 'date', format: 'epoch_millis' },
      entity: entityRef,
      severity: keyword,
      severity_rank: { type: 'byte' },
      score: { type: 'float' },
      title: { type: 'text' },
      origin: { properties: { type: keyword, id: keyword, hash: keyword } },
      tags: keyword,
      category: keyword,
      incidentId: keyword,
      search: searchText,
    }),
    t('incidents', {
      id: keyword,
      entity: entityRef,
      title: { type: 'text', fields: { raw: keyword } },
      status: keyword,
      severity: keyword,
      severity_rank: { type: 'byte' },
      firstSeen: { type: 'date', format: 'epoch_millis' },
      lastSeen: { type: 'date', format: 'epoch_millis' },
      alertCount: { type: 'integer' },
      categories: keyword,
      assignee: keyword,
      version: { type: 'long' },
      updatedAt: { type: 'date', format: 'epoch_millis' },
      search: searchText,
    }),
    t('entities', {
      id: keyword,
      type: keyword,
      reputation: { type: 'float' },
      reputationTs: { type: 'date', format: 'epoch_millis' },
      detectorFlagged: { type: 'boolean' },
      flagged: { type: 'boolean' },
      lastSeen: { type: 'date', format: 'epoch_millis' },
      alertCount: { type: 'integer' },
    }),
    t('actions', {
      id: keyword,
      ts: { type: 'date', format: 'epoch_millis' },
      actor: keyword,
      role: keyword,
      action: keyword,
      target: { properties: { type: keyword, id: keyword } },
      ledgerIndex: { type: 'long' },
    }),
    t('reputation', {
      entity: entityRef,
      ts: { type: 'date', format: 'epoch_millis' },
      value: { type: 'float' },
      flagged: { type: 'boolean' },
    }),
    t('dead-letters', {
      seq: { type: 'long' },
      receivedAt: { type: 'date', format: 'epoch_millis' },
      source: keyword,
      code: keyword,
      reason: { type: 'text' },
      field: keyword,
      rawSha256: keyword,
    }),
  ];
}
