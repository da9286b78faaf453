/**
 * Authentication features: failed logins and the user names tried in a device's window
 * (brute force, credential stuffing), and where the logins come from (a new source for the
 * device, a public address, a source failing on many devices, one no device has seen).
 */
import type { VigilEvent } from '../../../events/index.js';
import { Counter, isPublicIpv4, TimeWindow } from '../robust.js';
import { AUTH, AUTH_FEATURES } from './names.js';
import { EntityFeatures } from '../idle.js';

class AuthState {
  window = new TimeWindow<{ fail: boolean; user: string }>();
  users = new Counter<string>();
  fails = 0;
  sources = new Set<string>();
  n = 0;
}

export class AuthFeatures extends EntityFeatures<AuthState> {
  private readonly fleetSources = new Set<string>();
  private fleetSeen = 0;
  private readonly srcFails = new TimeWindow<string>();
  private readonly srcFailCount = new Counter<string>();

  /** @param windowMs the authentication window, milliseconds */
  constructor(private readonly windowMs: number) {
    super(() => new AuthState());
  }

  extract(event: VigilEvent, out: Float32Array, offset: number): void {
    for (let i = 0; i < AUTH_FEATURES.length; i++) out[offset + i] = 0;
    const id = event.vigil.entity.id;
    const s = this.states.at(id, event.vigil.ts);
    const ts = event.vigil.ts;
    s.window.evict(ts - this.windowMs, (a) => {
      s.users.remove(a.user);
      if (a.fail) s.fails--;
    });
    const fail = event.event.outcome === 'failure';
    const user = event.user?.name ?? '';
    s.window.push(ts, { fail, user });
    s.users.add(user);
    if (fail) s.fails++;
    out[offset + AUTH.fail_log] = Math.log1p(s.fails);
    out[offset + AUTH.fail_ratio] = s.fails / s.window.size;
    out[offset + AUTH.users_log] = Math.log1p(s.users.distinct);
    out[offset + AUTH.failure] = fail ? 1 : 0;
    const src = event.source?.ip;
    if (src !== undefined) this.source(s, src, ts, fail, out, offset);
    s.n++;
  }

  /** The features of where a login comes from. */
  private source(s: AuthState, src: string, ts: number, fail: boolean, out: Float32Array, offset: number): void {
    if (!s.sources.has(src)) {
      if (s.n > 10) out[offset + AUTH.new_src] = 1;
      if (s.sources.size < 256) s.sources.add(src);
    }
    out[offset + AUTH.src_public] = isPublicIpv4(src) ? 1 : 0;
    const fc = this.srcFailCount;
    this.srcFails.evict(ts - this.windowMs, (k) => fc.remove(k));
    if (fail) {
      this.srcFails.push(ts, src);
      fc.add(src);
    }
    out[offset + AUTH.src_fails_log] = Math.log1p(fc.get(src));
    if (!this.fleetSources.has(src)) {
      if (this.fleetSeen >= 20) out[offset + AUTH.src_new_fleet] = 1;
      if (this.fleetSources.size < 65_536) this.fleetSources.add(src);
    }
    this.fleetSeen++;
  }
}
