/** API tokens: only each secret's SHA-256 is kept (see api/auth.ts). */
import type { Role, TokenRecord, TokenRepository } from '../types.js';
import type { Sql } from './sql.js';

interface RawTokenRow {
  id: string;
  name: string;
  role: Role;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number | null;
}

export class SqliteTokens implements TokenRepository {
  constructor(private readonly sql: Sql) {}

  insertToken(record: TokenRecord, hash: string): void {
    this.sql.stmt('INSERT INTO api_tokens (id, name, role, hash, created_at, created_by, last_used_at, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)').run(
      record.id, record.name, record.role, hash, record.createdAt, record.createdBy, record.expiresAt,
    );
  }

  tokenByHash(hash: string): TokenRecord | undefined {
    const row = this.sql.stmt('SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL').get(hash) as RawTokenRow | undefined;
    return row && toToken(row);
  }

  listTokens(): TokenRecord[] {
    return (this.sql.stmt('SELECT * FROM api_tokens ORDER BY created_at, id').all() as RawTokenRow[]).map(toToken);
  }

  revokeToken(id: string, at: number): TokenRecord | undefined {
    this.sql.stmt('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?').run(at, id);
    const row = this.sql.stmt('SELECT * FROM api_tokens WHERE id = ?').get(id) as RawTokenRow | undefined;
    return row && toToken(row);
  }

  touchToken(id: string, at: number): void {
    this.sql.stmt('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(at, id);
  }
}

function toToken(r: RawTokenRow): TokenRecord {
  return { id: r.id, name: r.name, role: r.role, createdAt: r.created_at, createdBy: r.created_by, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, expiresAt: r.expires_at ?? null };
}
