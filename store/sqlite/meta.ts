/** Small named values the pipeline keeps beside the data: consumers' cursors (ledger, replicas, relays), the model hash last logged, the rule book's admin changes. */
import type { Sql } from './sql.js';

export class MetaRepository {
  constructor(private readonly sql: Sql) {}

  get(key: string): string | undefined {
    return (this.sql.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    this.sql.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}
