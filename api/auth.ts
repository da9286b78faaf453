/**
 * API tokens and roles.
 *
 * A token is `vgl_` + 32 random bytes (base64url). Only its SHA-256 is stored. A fast hash is
 * the right one here, unlike for passwords: the secret has 256 bits of entropy, so even
 * with the database stolen nobody can search the token space, and a slow KDF (bcrypt,
 * argon2) would only add tens of milliseconds to every request. Lookup is by hash through a
 * unique index, so comparing secrets never happens in JS and leaks no timing about them.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ROLES, type Role, type TokenRecord, type TokenRepository } from '../store/index.js';
import { ApiError } from './errors.js';

export const TOKEN_PREFIX = 'vgl_';

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

/** What each role may do beyond reading (every role reads; reads are not listed). */
export type Permission = 'triage' | 'vehicles' | 'rules' | 'tokens';

/**
 * The role matrix. An auditor reads and proves but changes nothing; the transport authority
 * manages vehicles; an analyst triages incidents; only admin manages tokens and rules
 * (and, as the node's operator, may do anything an analyst or the authority can).
 */
const GRANTS: Record<Role, readonly Permission[]> = {
  analyst: ['triage'],
  authority: ['vehicles'],
  auditor: [],
  admin: ['triage', 'vehicles', 'rules', 'tokens'],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (!can(principal.role, permission)) {
    throw new ApiError('FORBIDDEN', `the ${principal.role} role may not ${describe(permission)}`);
  }
}

function describe(p: Permission): string {
  return { triage: 'triage incidents', vehicles: 'flag or clear vehicles', rules: 'manage rules', tokens: 'manage tokens' }[p];
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

const NAME = /^[\p{L}\p{N} ._@-]{1,64}$/u;

/** Create a token; the secret is returned once and only its hash is kept. */
export function createToken(
  repo: TokenRepository,
  input: { name: string; role: string; createdBy: string },
  now: () => number = Date.now,
): { token: string; record: TokenRecord } {
  if (!NAME.test(input.name)) throw new ApiError('BAD_INPUT', 'name: 1 to 64 letters, digits, spaces or . _ @ -');
  if (!isRole(input.role)) throw new ApiError('BAD_INPUT', `role: expected one of ${ROLES.join(', ')}, got ${JSON.stringify(input.role)}`);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const record: TokenRecord = {
    id: randomUUID(),
    name: input.name,
    role: input.role,
    createdAt: now(),
    createdBy: input.createdBy,
    lastUsedAt: null,
    revokedAt: null,
  };
  repo.insertToken(record, hashToken(token));
  return { token, record };
}

export function listTokens(repo: TokenRepository): TokenRecord[] {
  return repo.listTokens();
}

export function revokeToken(repo: TokenRepository, id: string, now: () => number = Date.now): TokenRecord {
  const rec = repo.revokeToken(id, now());
  if (!rec) throw new ApiError('NOT_FOUND', `no token ${id}`);
  return rec;
}

/**
 * Resolves `Authorization: Bearer <token>` to a principal, or undefined. `last used` is
 * written at most once a minute per token: a durable write per request would put an fsync
 * on every read.
 */
export class Authenticator {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly repo: TokenRepository,
    private readonly now: () => number = Date.now,
  ) {}

  authenticate(header: string | null): Principal | undefined {
    if (!header) return undefined;
    const m = /^Bearer\s+(\S{1,256})\s*$/i.exec(header);
    if (!m || !m[1]!.startsWith(TOKEN_PREFIX)) return undefined;
    const rec = this.repo.tokenByHash(hashToken(m[1]!));
    if (!rec) return undefined;
    const t = this.now();
    if (t - (this.touched.get(rec.id) ?? -Infinity) > 60_000) {
      this.touched.set(rec.id, t);
      this.repo.touchToken(rec.id, t);
    }
    return { tokenId: rec.id, name: rec.name, role: rec.role };
  }
}
