/**
 * The resolvers' types are generated from the SDL (codegen.ts, `npm run codegen`). This
 * test runs the generator in memory and holds the committed file to its output, so an SDL
 * change without a fresh `npm run codegen` fails here rather than typing resolvers against
 * a schema that no longer exists.
 */
import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../codegen.js';
import { authorityTypeDefs, caseTypeDefs, typeDefs as baseTypeDefs } from '../api/schema.graphql.js';

/** Every SDL block of api/schema.graphql.ts, as codegen plucks them from the file. */
const typeDefs = [baseTypeDefs, caseTypeDefs, authorityTypeDefs].join('\n');

const OUT = 'api/generated/schema-types.ts';

async function generated(schema: string): Promise<string> {
  const outputs = await generate({ ...config, schema, silent: true }, false);
  const file = (outputs as Array<{ filename: string; content: string }>).find((o) => o.filename.endsWith(OUT));
  if (!file) throw new Error(`codegen wrote no ${OUT}`);
  return file.content;
}

describe('generated resolver types', () => {
  it('are what codegen makes of the SDL now (run `npm run codegen` after changing api/schema.graphql.ts)', async () => {
    expect(readFileSync(OUT, 'utf8')).toBe(await generated(typeDefs));
  }, 60_000);

  it('change when the SDL does', async () => {
    const changed = await generated(typeDefs.replace('me: Principal!', 'me: Principal!\n    uptime: Int!'));
    expect(changed).toContain('uptime');
    expect(readFileSync(OUT, 'utf8')).not.toBe(changed);
  }, 60_000);
});
