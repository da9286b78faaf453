/**
 * The log's side of witnessing (node-only, uses fetch): offers each new durable checkpoint
 * to every witness with a consistency proof from the last checkpoint that witness
 * co-signed, checks each returned cosignature, and hands good ones to the ledger. One
 * request in flight per witness; a newer checkpoint replaces a queued older one.
 */
import { parseCosignature, parsePublicKey, verifyCosignature, type Checkpoint, type Cosignature } from './checkpoint.js';
import { toHex } from './encoding.js';
import { LedgerError } from './errors.js';

export interface WitnessPolicy {
  /** Base URLs of `vigil witness` nodes, e.g. `http://10.0.0.7:7380`. */
  urls: string[];
  /** Distinct witnesses that must co-sign before a checkpoint counts as published. @default urls.length */
  required?: number;
  /** Witness public keys (PEM or hex) by URL; a witness without one is trusted on first use. */
  keys?: Record<string, string>;
  /** Per-request timeout, milliseconds. @default 5000 */
  timeoutMs?: number;
}

export interface NormalisedWitnessPolicy {
  urls: string[];
  required: number;
  keys: Map<string, Uint8Array>;
  timeoutMs: number;
}

interface Logger {
  warn(message: string): void;
}

export interface WitnessPoolDeps {
  logPublicKey: Uint8Array;
  consistencyProof: (size1: number, size2: number) => Uint8Array[];
  onCosignature: (cp: Checkpoint, c: Cosignature) => void;
  logger: Logger;
}

interface WitnessState {
  url: string;
  /** The size the witness last told us it holds (0: unknown or empty). */
  known: number;
  key: Uint8Array | undefined;
  next: Checkpoint | undefined;
  running: Promise<void> | undefined;
  failures: number;
  retry: NodeJS.Timeout | undefined;
}

export class WitnessPool {
  static normalise(p: WitnessPolicy): NormalisedWitnessPolicy {
    const bad = (what: string): never => {
      throw new LedgerError('INVALID_ARGUMENT', `option witnesses.${what}`);
    };
    if (!Array.isArray(p.urls) || p.urls.length === 0) bad('urls must list at least one witness URL');
    const urls = p.urls.map((u) => {
      let url: URL;
      try {
        url = new URL(u);
      } catch {
        return bad(`urls: ${JSON.stringify(u)} is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(`urls: ${u} is not http(s)`);
      return url.href.replace(/\/+$/, '');
    });
    if (new Set(urls).size !== urls.length) bad('urls lists a witness twice');
    const required = p.required ?? urls.length;
    if (!Number.isSafeInteger(required) || required < 1 || required > urls.length) {
      bad(`required must be between 1 and ${urls.length}, got ${JSON.stringify(required)}`);
    }
    const keys = new Map<string, Uint8Array>();
    for (const [u, k] of Object.entries(p.keys ?? {})) keys.set(u.replace(/\/+$/, ''), parsePublicKey(k));
    const timeoutMs = p.timeoutMs ?? 5000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) bad('timeoutMs must be positive milliseconds');
    return { urls, required, keys, timeoutMs };
  }

  readonly #policy: NormalisedWitnessPolicy;
  readonly #deps: WitnessPoolDeps;
  readonly #witnesses: WitnessState[];
  #closed = false;

  constructor(policy: NormalisedWitnessPolicy, deps: WitnessPoolDeps) {
    this.#policy = policy;
    this.#deps = deps;
    this.#witnesses = policy.urls.map((url) => ({
      url,
      known: 0,
      key: policy.keys.get(url),
      next: undefined,
      running: undefined,
      failures: 0,
      retry: undefined,
    }));
  }

  offer(cp: Checkpoint): void {
    for (const w of this.#witnesses) {
      if (!w.next || w.next.size < cp.size) w.next = cp;
      this.#kick(w);
    }
  }

  /** Waits for requests in flight (each bounded by the timeout); stops retries. */
  async drain(): Promise<void> {
    this.#closed = true;
    for (const w of this.#witnesses) clearTimeout(w.retry);
    await Promise.all(this.#witnesses.map((w) => w.running));
  }

  #kick(w: WitnessState): void {
    if (w.running || this.#closed) return;
    w.running = (async () => {
      while (w.next) {
        const cp = w.next;
        w.next = undefined;
        try {
          await this.#submit(w, cp);
          w.failures = 0;
        } catch (err) {
          w.failures++;
          this.#deps.logger.warn(`witness ${w.url}: ${err instanceof Error ? err.message : String(err)}`);
          this.#retryLater(w, cp);
        }
      }
      w.running = undefined;
    })();
  }

  /** Backs off (0.5 s doubling to 30 s) so an idle log still gets published once a witness is back. */
  #retryLater(w: WitnessState, cp: Checkpoint): void {
    if (this.#closed) return;
    clearTimeout(w.retry);
    w.retry = setTimeout(() => {
      if (!w.next || w.next.size < cp.size) w.next = cp;
      this.#kick(w);
    }, Math.min(30_000, 500 * 2 ** Math.min(w.failures - 1, 6)));
    w.retry.unref();
  }

  async #submit(w: WitnessState, cp: Checkpoint): Promise<void> {
    // At most one retry: after a 409 the witness has told us the size it holds.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (w.known > cp.size) {
        throw new LedgerError(
          'WITNESS_ERROR',
          `it has co-signed size ${w.known}, beyond this checkpoint's ${cp.size}: this log has lost or rewritten entries`,
        );
      }
      const proof = w.known > 0 && w.known < cp.size ? this.#deps.consistencyProof(w.known, cp.size).map(toHex) : [];
      const res = await fetch(`${w.url}/add-checkpoint`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          oldSize: w.known,
          consistency: proof,
          checkpoint: cp,
          publicKey: toHex(this.#deps.logPublicKey),
        }),
        signal: AbortSignal.timeout(this.#policy.timeoutMs),
      });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.status === 409 && typeof body['size'] === 'number' && Number.isSafeInteger(body['size'])) {
        w.known = body['size'];
        continue;
      }
      if (!res.ok) {
        throw new LedgerError('WITNESS_ERROR', `refused size ${cp.size} (HTTP ${res.status}): ${String(body['error'] ?? '')}`);
      }
      const cosig = parseCosignature(body['cosignature']);
      const key = w.key ?? parsePublicKey(cosig.publicKey);
      verifyCosignature(cp, cosig, key);
      w.key = key;
      w.known = cp.size;
      this.#deps.onCosignature(cp, cosig);
      return;
    }
    throw new LedgerError('WITNESS_ERROR', `kept answering with a different size (${w.known})`);
  }
}
