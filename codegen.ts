/**
 * GraphQL Code Generator: the resolvers' argument, parent and result types from the SDL in
 * api/schema.graphql.ts (found by its `/* GraphQL *\/` tag). `npm run codegen` writes the
 * file; test/api-codegen.test.ts fails when the committed file and the SDL drift.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';
import { ENUM_VALUES } from './api/resolvers/enums.js';

/** Where the mapped types live, relative to the generated file. */
const MAPPERS = '../resolvers/mappers.js';


/** What each GraphQL object type resolves from (the store's and the ports' own types). */
const mappers = {
  Event: 'StoredEvent',
  EventConnection: 'EventPage',
  Alert: 'Alert',
  AlertConnection: 'AlertPage',
  Incident: 'StoredIncident',
  IncidentConnection: 'IncidentPage',
  IncidentChange: 'IncidentChange',
  Vehicle: 'EntityParent',
  VehicleConnection: 'EntityPage',
  Device: 'EntityParent',
  DeviceConnection: 'EntityPage',
  VehiclePosition: 'VehiclePosition',
  VehiclePositionConnection: 'VehiclePositionPage',
  DeadLetter: 'DeadLetterRecord',
  DeadLetterConnection: 'DeadLetterPage',
  Action: 'ActionRecord',
  ReputationPoint: 'ReputationPoint',
  ApiToken: 'TokenRecord',
  Principal: 'Principal',
  RuleItem: 'RuleItem',
  Checkpoint: 'CheckpointView',
  EvidenceBundle: 'EvidenceBundleView',
  VerificationResult: 'VerificationView',
  AuthorityDecision: 'OverruleRecord',
};

const config: CodegenConfig = {
  schema: 'api/schema.graphql.ts',
  generates: {
    'api/generated/schema-types.ts': {
      // The enums' values go to the typescript plugin only: given to typescript-resolvers
      // too, codegen 7.4 types them as \`null\` in ResolversTypes.
      plugins: [{ typescript: { enumsAsTypes: true, enumValues: ENUM_VALUES } }, 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        scalars: { Timestamp: 'number', JSON: 'unknown', ID: 'string' },
        contextType: `${MAPPERS}#ApiContext`,
        mapperTypeSuffix: 'Model',
        mappers: Object.fromEntries(Object.entries(mappers).map(([k, v]) => [k, `${MAPPERS}#${v}`])),
        avoidOptionals: { field: false, inputValue: false, object: false, defaultValue: true },
        strictScalars: true,
      },
    },
  },
};

export default config;
