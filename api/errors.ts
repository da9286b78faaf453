/**
 * The API's one error type. An `ApiError` thrown anywhere in a resolver reaches the client
 * with its message and `extensions.code` (see `toClientError`); anything else is masked as
 * "Unexpected error." so an internal message, path or stack never leaks.
 *
 * GraphQL errors themselves are made with yoga's `createGraphQLError`, never by importing
 * `graphql` here: the GraphQL runtime must be the one instance yoga uses (graphql-js checks
 * classes with `instanceof`, and a second copy — the ESM build next to the CJS one — would
 * make every error look foreign and be masked).
 */
import type { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { CodedError } from '../events/index.js';

export type ApiErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  /** Someone else changed the incident first; re-read and retry. */
  | 'CONFLICT'
  | 'PAGE_TOO_LARGE'
  | 'QUERY_TOO_DEEP'
  | 'QUERY_TOO_COSTLY'
  | 'TOO_MANY_ALIASES'
  /** The token made more requests than its rate limit allows; retry after `Retry-After` seconds. */
  | 'RATE_LIMITED'
  /** The operation ran past its wall-clock budget and was stopped. */
  | 'TIMEOUT'
  /** The token's expiry time has passed; make a new one. */
  | 'TOKEN_EXPIRED'
  /** A browser request from an origin this node does not serve. */
  | 'FORBIDDEN_ORIGIN'
  /** The ledger or rule book is not wired on this node. */
  | 'UNAVAILABLE';

const HTTP_STATUS: Partial<Record<ApiErrorCode, number>> = { UNAUTHENTICATED: 401, TOKEN_EXPIRED: 401, FORBIDDEN: 403, FORBIDDEN_ORIGIN: 403, RATE_LIMITED: 429 };

export class ApiError extends CodedError<ApiErrorCode> {
  override readonly name = 'ApiError';

  get extensions(): Record<string, unknown> {
    const status = HTTP_STATUS[this.code];
    return status ? { code: this.code, http: { status } } : { code: this.code };
  }
}

/** A GraphQL error for the client, keeping the location and path of `located` if given. */
export function toClientError(err: ApiError, located?: GraphQLError): GraphQLError {
  return createGraphQLError(err.message, {
    extensions: err.extensions,
    ...(located ? { nodes: located.nodes ?? null, path: located.path ?? null } : {}),
  });
}
