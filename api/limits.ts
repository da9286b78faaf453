/**
 * Query depth and cost limits. A GraphQL endpoint lets one small request ask for
 * incidents → alerts → evidence → … to any depth and width; without limits a single client
 * (or a leaked auditor token) can make the node read millions of rows. Depth is checked as a
 * validation rule (it needs no variables); cost needs the page sizes, which may be
 * variables, so it is checked just before execution.
 *
 * Cost: every field costs 1; a field taking `first` or `limit` multiplies the cost of its
 * selection by that page size (its default when absent). Introspection is free and
 * depth-exempt, so tools like GraphiQL keep working for authenticated users.
 */
import type {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLNamedType,
  GraphQLOutputType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ASTVisitor,
  ValueNode,
} from 'graphql';
import { ApiError, toClientError } from './errors.js';

// AST kinds as their string values, and types inspected structurally, so this module needs
// no runtime import of `graphql` (see errors.ts on the single GraphQL runtime).
const Kind = {
  FIELD: 'Field',
  INLINE_FRAGMENT: 'InlineFragment',
  FRAGMENT_DEFINITION: 'FragmentDefinition',
  OPERATION_DEFINITION: 'OperationDefinition',
  INT: 'IntValue',
  VARIABLE: 'Variable',
} as const;

function getNamedType(type: GraphQLOutputType): GraphQLNamedType {
  let t: unknown = type;
  while (t && typeof t === 'object' && 'ofType' in t && (t as { ofType: unknown }).ofType) t = (t as { ofType: unknown }).ofType;
  return t as GraphQLNamedType;
}

function fieldsOf(type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> | undefined {
  return 'getFields' in type && !('getValues' in type) && !('parseValue' in type) ? (type.getFields() as Record<string, GraphQLField<unknown, unknown>>) : undefined;
}

export interface Limits {
  /** Deepest field nesting. @default 10 */
  maxDepth: number;
  /** Largest estimated cost (fields × page sizes). @default 20000 */
  maxCost: number;
  /** Largest `first`/`limit` a list accepts. @default 100 */
  maxPageSize: number;
}

export const DEFAULT_LIMITS: Limits = { maxDepth: 10, maxCost: 20_000, maxPageSize: 100 };

const isIntrospection = (name: string): boolean => name.startsWith('__');

/** A validation rule refusing operations nested deeper than `maxDepth`. */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    const depthOf = (set: SelectionSetNode, seen: Set<string>): number => {
      let max = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (isIntrospection(sel.name.value)) continue;
          max = Math.max(max, 1 + (sel.selectionSet ? depthOf(sel.selectionSet, seen) : 0));
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          max = Math.max(max, depthOf(sel.selectionSet, seen));
        } else {
          const frag = fragments.get(sel.name.value);
          // A fragment cycle is another rule's error; stop here rather than loop.
          if (!frag || seen.has(frag.name.value)) continue;
          max = Math.max(max, depthOf(frag.selectionSet, new Set([...seen, frag.name.value])));
        }
        if (max > maxDepth) return max; // no need to measure how much deeper
      }
      return max;
    };
    return {
      OperationDefinition(node: OperationDefinitionNode) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(toClientError(new ApiError('QUERY_TOO_DEEP', `query is nested more than ${maxDepth} levels deep; the limit is ${maxDepth}`)));
        }
      },
    };
  };
}

/** Estimated cost of the operation that will run. */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  limits: Limits,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let op: OperationDefinitionNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    else if (def.kind === Kind.OPERATION_DEFINITION && (!operationName || def.name?.value === operationName)) op ??= def;
  }
  if (!op) return 0;
  const root = op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return 0;

  const pageSize = (field: FieldNode, def: GraphQLField<unknown, unknown>): number | undefined => {
    for (const argName of ['first', 'limit']) {
      const argDef = def.args.find((a) => a.name === argName);
      if (!argDef) continue;
      const node = field.arguments?.find((a) => a.name.value === argName)?.value;
      const value = node ? valueOf(node, variables) : argDef.defaultValue;
      const n = typeof value === 'number' ? value : limits.maxPageSize;
      return Math.max(0, Math.min(n, limits.maxPageSize));
    }
    return undefined;
  };

  const costOf = (set: SelectionSetNode, type: GraphQLNamedType, seen: Set<string>): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (isIntrospection(sel.name.value)) continue;
        const def = fieldsOf(type)?.[sel.name.value];
        if (!def) continue;
        const child = sel.selectionSet ? costOf(sel.selectionSet, getNamedType(def.type), seen) : 0;
        const n = pageSize(sel, def);
        total += 1 + (n === undefined ? child : n * child);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        if (t) total += costOf(sel.selectionSet, t, seen);
      } else {
        const frag = fragments.get(sel.name.value);
        if (!frag || seen.has(frag.name.value)) continue;
        const t = schema.getType(frag.typeCondition.name.value);
        if (t) total += costOf(frag.selectionSet, t, new Set([...seen, frag.name.value]));
      }
    }
    return total;
  };
  return costOf(op.selectionSet, root, new Set());
}

function valueOf(node: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  return undefined;
}

/** The page size a resolver may use: refuses a `first` beyond the cap with a clear error. */
export function pageSize(first: number | null | undefined, limits: Limits, fallback = 20): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new ApiError('BAD_INPUT', `first: expected a non-negative whole number, got ${n}`);
  if (n > limits.maxPageSize) throw new ApiError('PAGE_TOO_LARGE', `first: at most ${limits.maxPageSize} items per page, got ${n}`);
  return n;
}
