/**
 * Custom scalars as plain configs (graphql-tools builds the scalar types), so the one
 * GraphQL runtime yoga uses owns them (see errors.ts).
 */
import type { ValueNode } from 'graphql';
import { ApiError } from './errors.js';

const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31);

function toMillis(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= MIN_MS && value <= MAX_MS) return Math.trunc(value);
  if (typeof value === 'string' && value.length <= 40) {
    if (/^\d{1,16}$/.test(value)) return toMillis(Number(value));
    // Only ISO-8601 shapes: Date.parse accepts many loose formats we do not want to promise.
    if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
      const ms = Date.parse(value);
      if (Number.isFinite(ms)) return ms;
    }
  }
  throw new ApiError('BAD_INPUT', `Timestamp: expected an ISO-8601 string or epoch milliseconds, got ${JSON.stringify(value)?.slice(0, 60)}`);
}

export const TimestampScalar = {
  serialize(value: unknown) {
    if (typeof value === 'number') return new Date(value).toISOString();
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return value;
    throw new TypeError(`Timestamp cannot represent ${typeof value}`);
  },
  parseValue: toMillis,
  parseLiteral(ast: ValueNode) {
    if (ast.kind === 'IntValue' || ast.kind === 'FloatValue') return toMillis(Number(ast.value));
    if (ast.kind === 'StringValue') return toMillis(ast.value);
    throw new ApiError('BAD_INPUT', 'Timestamp: expected an ISO-8601 string or epoch milliseconds');
  },
};

export const JsonScalar = {
  serialize: (value: unknown) => value,
  parseValue: (value: unknown) => value,
  parseLiteral: (ast: ValueNode, variables?: Record<string, unknown> | null): unknown => fromAst(ast, variables),
};

/** graphql-js `valueFromASTUntyped`, kept here for the reason above. */
function fromAst(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case 'NullValue':
      return null;
    case 'IntValue':
      return parseInt(ast.value, 10);
    case 'FloatValue':
      return parseFloat(ast.value);
    case 'StringValue':
    case 'EnumValue':
      return ast.value;
    case 'BooleanValue':
      return ast.value;
    case 'ListValue':
      return ast.values.map((v) => fromAst(v, variables));
    case 'ObjectValue':
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, fromAst(f.value, variables)]));
    case 'Variable':
      return variables?.[ast.name.value];
    default:
      return undefined;
  }
}
