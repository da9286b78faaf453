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
import { ROLES, type ActionRecord, type Role, type TokenRecord, type TokenRepository } from '../store/index.js';
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

/**
 * How long a token lives unless told otherwise: 90 days, so a token copied into a script
 * or a leaked one stops working on its own (NIST SP 800-63B leaves the period to policy;
 * 90 days is the common default for API keys). `never` is allowed, but must be asked for.
 */
export const DEFAULT_TOKEN_LIFETIME_MS = 90 * 86_400_000;

const DURATION = /^(\d{1,6})\s*(s|m|h|d|w)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `30d`, `12h`, `90m`, `2w`, `45s` → milliseconds; `never` → null. */
export function parseLifetime(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === 'never') return null;
  const m = DURATION.exec(t);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : NaN;
  if (!(ms > 0)) throw new ApiError('BAD_INPUT', `expires: expected a duration such as 30d, 12h, 90m, 2w or "never", got ${JSON.stringify(text.slice(0, 40))}`);
  return ms;
}

/** Create a token; the secret is returned once and only its hash is kept. */
export function createToken(
  repo: TokenRepository,
  input: {
    name: string;
    role: string;
    createdBy: string;
    /** Lifetime, milliseconds; null: never expires. @default DEFAULT_TOKEN_LIFETIME_MS */
    lifetimeMs?: number | null;
  },
  now: () => number = Date.now,
): { token: string; record: TokenRecord } {
  if (!NAME.test(input.name)) throw new ApiError('BAD_INPUT', 'name: 1 to 64 letters, digits, spaces or . _ @ -');
  if (!isRole(input.role)) throw new ApiError('BAD_INPUT', `role: expected one of ${ROLES.join(', ')}, got ${JSON.stringify(input.role)}`);
  const lifetime = input.lifetimeMs === undefined ? DEFAULT_TOKEN_LIFETIME_MS : input.lifetimeMs;
  if (lifetime !== null && !(Number.isSafeInteger(lifetime) && lifetime > 0)) throw new ApiError('BAD_INPUT', `lifetime: expected a positive number of milliseconds, got ${lifetime}`);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const t = now();
  const record: TokenRecord = {
    id: randomUUID(),
    name: input.name,
    role: input.role,
    createdAt: t,
    createdBy: input.createdBy,
    lastUsedAt: null,
    revokedAt: null,
    expiresAt: lifetime === null ? null : t + lifetime,
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
 * The history entry of a token made or revoked outside the API (the CLI, the demo's first
 * start): stored with no ledger index, and appended to the ledger by the node (see
 * `TokenRepository.actionsNotInLedger`). The secret never enters it.
 */
export function tokenAction(action: 'token.create' | 'token.revoke', before: TokenRecord | null, after: TokenRecord, actor: string, now: () => number = Date.now): ActionRecord {
  return { id: randomUUID(), ts: now(), actor, role: 'operator', action, target: { type: 'token', id: after.id }, before, after };
}

/** Why a request's credentials were refused. */
export type AuthFailure = { code: 'UNAUTHENTICATED' | 'TOKEN_EXPIRED'; message: string };

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
    const r = this.check(header);
    return 'tokenId' in r ? r : undefined;
  }

  /** The principal, or why the credentials are refused (an expired token says when it expired). */
  check(header: string | null): Principal | AuthFailure {
    const missing: AuthFailure = { code: 'UNAUTHENTICATED', message: 'a valid API token is required (Authorization: Bearer …)' };
    if (!header) return missing;
    const m = /^Bearer\s+(\S{1,256})\s*$/i.exec(header);
    if (!m || !m[1]!.startsWith(TOKEN_PREFIX)) return missing;
    const rec = this.repo.tokenByHash(hashToken(m[1]!));
    if (!rec) return missing;
    const t = this.now();
    if (rec.expiresAt !== null && t >= rec.expiresAt) {
      return { code: 'TOKEN_EXPIRED', message: `this token expired at ${new Date(rec.expiresAt).toISOString()}; ask an admin for a new one (vigil token create)` };
    }
    if (t - (this.touched.get(rec.id) ?? -Infinity) > 60_000) {
      this.touched.set(rec.id, t);
      this.repo.touchToken(rec.id, t);
    }
    return { tokenId: rec.id, name: rec.name, role: rec.role };
  }
}
