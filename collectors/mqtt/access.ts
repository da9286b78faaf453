/**
 * Who may do what on the embedded broker (issue 16): CONNECT credentials to a principal (a
 * sensor key, or the one operator credential), that principal's scope per client, the
 * subscription ACL, and revocation of keys in use. The broker asks; this decides.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Client } from 'aedes';
import { SensorScope, type IngestAccess, type SensorPrincipal } from '../auth.js';
import { filterCovers } from './acl.js';

export class BrokerAccess {
  /** The credential each connected client authenticated with (none for anonymous ones). */
  private readonly scopes = new WeakMap<Client, SensorScope>();
  private readonly keyed = new Set<Client>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly access: IngestAccess,
    private readonly operator: { username: string; password: string } | undefined,
    private readonly onUnauthenticated: () => void,
  ) {}

  scopeOf(client: Client | null): SensorScope | undefined {
    return client ? this.scopes.get(client) : undefined;
  }

  /** aedes' `authenticate`: true admits the client (CONNACK 0), false refuses it (CONNACK 5). */
  authenticate(client: Client, username: string | undefined, password: Buffer | undefined): boolean {
    const principal = this.principalOf(username, password);
    if (principal === 'anonymous') return true;
    if (!principal) {
      this.onUnauthenticated();
      return false;
    }
    this.scopes.set(client, new SensorScope(principal));
    if ((principal.agentType ?? 'sensor-key') === 'sensor-key') this.keyed.add(client);
    return true;
  }

  /** Whether the client's key lets it subscribe to this filter (city traffic needs a grant). */
  maySubscribe(client: Client | null, filter: string): boolean {
    const scope = this.scopeOf(client);
    if (!scope) return false;
    for (const allowed of scope.principal.subscribe) if (filterCovers(allowed, filter)) return true;
    return false;
  }

  forget(client: Client): void {
    this.keyed.delete(client);
  }

  /** End the sessions of clients whose key was revoked since they connected, every `pollMs`. */
  watchRevocations(pollMs: number): void {
    const keys = this.access.keys;
    if (!keys) return;
    this.timer = setInterval(() => {
      for (const client of this.keyed) {
        const scope = this.scopes.get(client);
        if (scope && !keys.isLive(scope.principal.keyId)) {
          this.keyed.delete(client);
          client.close();
        }
      }
    }, pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The principal of a CONNECT's credentials, 'anonymous' where none are needed, undefined when refused. */
  private principalOf(username: string | undefined, password: Buffer | undefined): SensorPrincipal | 'anonymous' | undefined {
    if (password !== undefined && this.access.keys) {
      const principal = this.access.keys.authenticate(password.toString('utf8'));
      if (principal) return principal;
    }
    const op = this.operator;
    if (op !== undefined && username !== undefined && password !== undefined) {
      // Compare digests: timingSafeEqual needs equal lengths, and the length must not leak either.
      const same = (a: Buffer, b: Buffer) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
      const userOk = same(Buffer.from(username, 'utf8'), Buffer.from(op.username, 'utf8'));
      const passOk = same(password, Buffer.from(op.password, 'utf8'));
      if (userOk && passOk) return { keyId: `mqtt-user:${op.username}`, name: op.username, entities: ['*'], rsus: ['*'], subscribe: ['#'], agentType: 'mqtt-user' };
    }
    // Open: anyone without credentials; a wrong credential is still refused.
    return this.access.mode === 'open' && op === undefined && password === undefined ? 'anonymous' : undefined;
  }
}
