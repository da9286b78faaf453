/**
 * Query limits. A GraphQL endpoint lets one small request ask for incidents → alerts →
 * evidence → … to any depth and width, or the same field under thousands of aliases;
 * without limits one client (or a leaked auditor token) can make the node read millions of
 * rows or hold its event loop. Tokens are counted while parsing, depth and aliases are
 * validation rules (no variables needed); cost needs the page sizes, which may be
 * variables, so it is checked just before execution. Every check here is linear in the
 * document: fragments are measured once, whatever the number of spreads.
 *
 * Cost: every field costs 1 (a proof-building field `proofCost`); a field taking `first` or
 * `limit` multiplies the cost of its selection by that page size (its default when
 * absent). Introspection is free and depth-exempt, so tools like GraphiQL keep working for
 * authenticated users.
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
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { ApiError, toClientError, type ApiErrorCode } from './errors.js';

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
  /** Deepest field nesting (fragments flattened). @default 10 */
  maxDepth: number;
  /** Largest estimated cost (fields × page sizes, proofs weighted). @default 20000 */
  maxCost: number;
  /** Largest `first`/`limit` a list accepts. @default 100 */
  maxPageSize: number;
  /**
   * Most aliased fields in one operation, counted through every fragment spread: aliases are
   * how one request asks for the same expensive field thousands of times (6,000
   * `verifyEvidence` aliases held the event loop 9.2 s). @default 30
   */
  maxAliases: number;
  /** Most lexical tokens in a document; the parser stops at the first one over. @default 5000 */
  maxTokens: number;
  /**
   * Cost of one field that builds or checks a Merkle proof (`EvidenceBundle`,
   * `VerificationResult`): a proof reads O(log n) hashes and verifies a signature, about a
   * millisecond of CPU, where an ordinary field is a row already read. @default 100
   */
  proofCost: number;
  /** Requests one token may make per `rateWindowMs`. @default 600 */
  rateLimit: number;
  /** The rate limit's window, milliseconds. @default 60000 */
  rateWindowMs: number;
  /** Wall-clock budget of one operation's execution, milliseconds. @default 10000 */
  budgetMs: number;
  /**
   * Failed token checks (no, a wrong or an expired token) one client address may make per
   * `authFailWindowMs`; past it, every request from that address is answered 429 before its
   * token is looked at, until the window ends. A token has 256 bits, so this is not what
   * keeps it from being guessed: it bounds the work and the noise one address can cause, and
   * makes a misbehaving script visible in `/metrics`. @default 30
   */
  authFailLimit: number;
  /** The failed-login window, milliseconds. @default 60000 */
  authFailWindowMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 10,
  maxCost: 20_000,
  maxPageSize: 100,
  maxAliases: 30,
  maxTokens: 5_000,
  proofCost: 100,
  rateLimit: 600,
  rateWindowMs: 60_000,
  budgetMs: 10_000,
  authFailLimit: 30,
  authFailWindowMs: 60_000,
};

const isIntrospection = (name: string): boolean => name.startsWith('__');

/** Named types whose every field builds or verifies a proof (see `Limits.proofCost`). */
const PROOF_TYPES = new Set(['EvidenceBundle', 'VerificationResult']);

/**
 * Validation rules for depth and aliases. Both come from graphql-armor, whose visitors
 * measure each fragment once and reuse the figure at every spread, so the work is linear in
 * the document: the hand-written walk they replace re-entered a fragment at each spread,
 * and fragments that each spread the next twice made it exponential (n = 20: 624 ms, the
 * node hung at n ≈ 30). Fragment cycles are refused by graphql-js's own
 * `NoFragmentCyclesRule`, which runs before these in the same pass.
 */
export function validationRules(limits: Limits): Array<(context: ValidationContext) => ASTVisitor> {
  const report = (code: ApiErrorCode, message: string) => (context: ValidationContext | null) => {
    context?.reportError(toClientError(new ApiError(code, message)));
  };
  const depth = maxDepthRule({
    n: limits.maxDepth,
    flattenFragments: true,
    propagateOnRejection: false,
    onReject: [report('QUERY_TOO_DEEP', `query is nested more than ${limits.maxDepth} levels deep; the limit is ${limits.maxDepth}`)],
  });
  const aliases = maxAliasesRule({
    n: limits.maxAliases,
    propagateOnRejection: false,
    onReject: [report('TOO_MANY_ALIASES', `query has more than ${limits.maxAliases} aliased fields (counting each fragment spread); the limit is ${limits.maxAliases}`)],
  });
  return [depth as (context: ValidationContext) => ASTVisitor, aliases as (context: ValidationContext) => ASTVisitor];
}

/**
 * Estimated cost of the operation that will run. Kept here rather than graphql-armor's
 * cost-limit, which reads only literal `first`/`last`: `first: $n` or a schema default would
 * pass it at multiplier 1. Each fragment's cost depends only on its type condition and the
 * variables, so it is computed once and memoised; a spread of a fragment still being
 * measured (a cycle, which validation refuses anyway) costs Infinity.
 */
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

  const IN_PROGRESS = -1;
  const memo = new Map<string, number>();
  const fragmentCost = (name: string): number => {
    const known = memo.get(name);
    if (known === IN_PROGRESS) return Infinity;
    if (known !== undefined) return known;
    const frag = fragments.get(name);
    const t = frag && schema.getType(frag.typeCondition.name.value);
    if (!frag || !t) return 0;
    memo.set(name, IN_PROGRESS);
    const cost = costOf(frag.selectionSet, t);
    memo.set(name, cost);
    return cost;
  };

  function costOf(set: SelectionSetNode, type: GraphQLNamedType): number {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (isIntrospection(sel.name.value)) continue;
        const def = fieldsOf(type)?.[sel.name.value];
        if (!def) continue;
        const named = getNamedType(def.type);
        const child = sel.selectionSet ? costOf(sel.selectionSet, named) : 0;
        const n = pageSize(sel, def);
        const own = PROOF_TYPES.has(named.name) ? limits.proofCost : 1;
        total += own + (n === undefined ? child : n * child);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        if (t) total += costOf(sel.selectionSet, t);
      } else {
        total += fragmentCost(sel.name.value);
      }
    }
    return total;
  }
  return costOf(op.selectionSet, root);
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
