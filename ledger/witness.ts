/**
 * A witness (node-only): another Vigil node that co-signs a log's checkpoints only after
 * checking that each new one extends the last one it co-signed (RFC 9162 consistency). A
 * log that forks (two roots for one size) or rewrites history (no consistency proof) is
 * refused, and the two conflicting signed checkpoints are kept as evidence: both carry the
 * log's signature, so the log cannot deny them.
 *
 * HTTP (a JSON rendering of the C2SP tlog-witness protocol):
 *   POST /add-checkpoint  {oldSize, consistency: [hex], checkpoint, publicKey?: hex}
 *        200 {cosignature} · 400 malformed · 403 unknown log key or bad signature ·
 *        409 {size} oldSize is not the size this witness holds · 422 fork or rewrite refused
 *   GET  /key             {name, publicKey (hex), keyId, pem}
 *   GET  /logs            the latest co-signed checkpoint of each log
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cosign,
  logKeyId,
  parseCheckpoint,
  parsePublicKey,
  publicKeyToPem,
  verifyCheckpointSignature,
  witnessKeyId,
  type Checkpoint,
  type Cosignature,
} from './checkpoint.js';
import { fromHex, toHex } from './encoding.js';
import { LedgerError } from './errors.js';
import { loadOrCreateKeyPair, type KeyPair } from './keys.js';
import { nodeHasher } from './node-crypto.js';
import { verifyConsistency } from './proof.js';

export interface WitnessOptions {
  /** Where the witness keeps its key, its state and fork evidence; created if absent. */
  dataDir: string;
  /** Its name in cosignatures. @default `vigil-witness/` + 16 hex digits of its public key */
  name?: string;
  /**
   * Log public keys (PEM or hex) this witness serves. @default [] — trust on first use: the
   * first key seen for an origin is pinned for it.
   */
  logKeys?: readonly (string | Uint8Array)[];
  /** Epoch milliseconds. @default Date.now */
  clock?: () => number;
  /** @default warnings to stderr */
  logger?: { info(message: string): void; warn(message: string): void };
}

export interface WitnessReply {
  status: 200 | 400 | 403 | 409 | 422;
  body: Record<string, unknown>;
}

interface LogState {
  publicKey: string;
  checkpoint: Checkpoint;
}

interface State {
  version: 1;
  logs: Record<string, LogState>;
}

const STATE_FILE = 'witness-state.json';
const MAX_BODY = 1 << 20;

export class Witness {
  readonly name: string;
  readonly #dir: string;
  readonly #keys: KeyPair;
  readonly #logKeys: Uint8Array[];
  readonly #clock: () => number;
  readonly #logger: NonNullable<WitnessOptions['logger']>;
  #state: State;
  /** Requests are handled one at a time: state is read, checked and persisted as a unit. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, name: string, keys: KeyPair, state: State, options: WitnessOptions) {
    this.#dir = dir;
    this.name = name;
    this.#keys = keys;
    this.#state = state;
    this.#logKeys = (options.logKeys ?? []).map((k) => parsePublicKey(k));
    this.#clock = options.clock ?? Date.now;
    this.#logger = options.logger ?? {
      info: () => {},
      warn: (m) => process.stderr.write(`witness: ${m}\n`),
    };
  }

  static async open(options: WitnessOptions): Promise<Witness> {
    if (typeof options.dataDir !== 'string' || options.dataDir === '') {
      throw new LedgerError('INVALID_ARGUMENT', 'option dataDir must be a directory path');
    }
    await mkdir(join(options.dataDir, 'evidence'), { recursive: true, mode: 0o700 });
    const keys = await loadOrCreateKeyPair(options.dataDir, 'witness.pem', 'witness.pub.pem');
    const name = options.name ?? `vigil-witness/${toHex(keys.publicKey).slice(0, 16)}`;
    if (!/^[\x21-\x7e]{1,255}$/.test(name)) throw new LedgerError('INVALID_ARGUMENT', 'option name must be printable ASCII without spaces');
    let state: State = { version: 1, logs: {} };
    const text = await readFile(join(options.dataDir, STATE_FILE), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as State;
        for (const s of Object.values(parsed.logs)) parseCheckpoint(s.checkpoint);
        state = parsed;
      } catch (err) {
        throw new LedgerError('IO_ERROR', `${join(options.dataDir, STATE_FILE)} is damaged`, { cause: err });
      }
    }
    return new Witness(options.dataDir, name, keys, state, options);
  }

  get publicKey(): Uint8Array {
    return this.#keys.publicKey.slice();
  }

  get publicKeyPem(): string {
    return publicKeyToPem(this.#keys.publicKey);
  }

  get keyId(): string {
    return witnessKeyId(this.name, this.#keys.publicKey);
  }

  /** The latest checkpoint co-signed for `origin`, if any. */
  latest(origin: string): Checkpoint | undefined {
    return this.#state.logs[origin]?.checkpoint;
  }

  /** Handles one add-checkpoint request (parsed JSON, untrusted). Never throws. */
  add(request: unknown): Promise<WitnessReply> {
    const run = this.#queue.then(() => this.#add(request));
    this.#queue = run.catch(() => undefined);
    return run.catch((err: unknown) => ({ status: 400 as const, body: { error: err instanceof Error ? err.message : String(err) } }));
  }

  async #add(request: unknown): Promise<WitnessReply> {
    const refuse = (status: WitnessReply['status'], error: string, extra: Record<string, unknown> = {}): WitnessReply => ({
      status,
      body: { error, ...extra },
    });
    if (typeof request !== 'object' || request === null) return refuse(400, 'the request must be a JSON object');
    const r = request as Record<string, unknown>;
    let cp: Checkpoint;
    try {
      cp = parseCheckpoint(r['checkpoint']);
    } catch (err) {
      return refuse(400, (err as Error).message);
    }
    const oldSize = r['oldSize'];
    if (typeof oldSize !== 'number' || !Number.isSafeInteger(oldSize) || oldSize < 0) return refuse(400, 'oldSize must be a non-negative integer');
    const rawProof = r['consistency'] ?? [];
    if (!Array.isArray(rawProof) || rawProof.length > 128) return refuse(400, 'consistency must be a list of hashes');
    const proof: Uint8Array[] = [];
    for (const h of rawProof) {
      const b = fromHex(h, 32);
      if (!b) return refuse(400, 'consistency hashes must be 64 hex digits');
      proof.push(b);
    }

    // Which key speaks for this origin: the pinned one, a configured one, or (TOFU) the offered one.
    const known = this.#state.logs[cp.origin];
    let key: Uint8Array | undefined;
    if (known) key = fromHex(known.publicKey, 32);
    else if (this.#logKeys.length > 0) key = this.#logKeys.find((k) => logKeyId(cp.origin, k) === cp.keyId);
    else if (typeof r['publicKey'] === 'string') key = fromHex(r['publicKey'], 32);
    if (!key) return refuse(403, `no trusted key for log ${cp.origin} (key id ${cp.keyId})`);
    try {
      verifyCheckpointSignature(cp, key);
    } catch (err) {
      return refuse(403, (err as Error).message);
    }

    const latest = known?.checkpoint;
    if (latest && cp.size === latest.size && cp.root !== latest.root) {
      const file = await this.#keepEvidence('fork: two signed checkpoints of one size with different roots', latest, cp, r);
      return refuse(422, `fork detected: size ${cp.size} has root ${latest.root}, now ${cp.root}`, { code: 'FORK_DETECTED', evidence: file });
    }
    const have = latest?.size ?? 0;
    if (oldSize !== have) return refuse(409, `this witness holds size ${have}, not ${oldSize}`, { size: have });
    if (latest && cp.size < latest.size) {
      return refuse(409, `this witness holds size ${have}, beyond ${cp.size}`, { size: have });
    }
    if (latest && cp.size > latest.size) {
      try {
        verifyConsistency(nodeHasher, latest.size, cp.size, proof, fromHex(latest.root, 32)!, fromHex(cp.root, 32)!);
      } catch (err) {
        const file = await this.#keepEvidence(`rewrite: ${(err as Error).message}`, latest, cp, r);
        return refuse(422, `refusing checkpoint ${cp.size}: it does not extend the co-signed checkpoint ${latest.size} (${(err as Error).message})`, {
          code: 'FORK_DETECTED',
          evidence: file,
        });
      }
    } else if (!latest && proof.length > 0) {
      return refuse(400, 'a first checkpoint comes without a consistency proof');
    }
    if (latest && cp.ts < latest.ts) return refuse(422, `checkpoint time ${cp.ts} goes back before ${latest.ts}`);

    // Persist before signing: a witness that forgets what it signed could be led to co-sign a fork.
    if (!latest || cp.size > latest.size) {
      this.#state.logs[cp.origin] = { publicKey: toHex(key), checkpoint: cp };
      await this.#persist();
    }
    const cosignature: Cosignature = cosign(cp, this.name, this.#keys.secretKey, Math.floor(this.#clock() / 1000));
    return { status: 200, body: { cosignature } };
  }

  async #persist(): Promise<void> {
    const path = join(this.#dir, STATE_FILE);
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(this.#state));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  }

  async #keepEvidence(reason: string, cosigned: Checkpoint, offered: Checkpoint, request: Record<string, unknown>): Promise<string> {
    const name = `fork-${offered.origin.replace(/[^A-Za-z0-9._-]+/g, '_')}-${cosigned.size}-${offered.size}-${this.#clock()}.json`;
    const path = join(this.#dir, 'evidence', name);
    const evidence = {
      reason,
      detected: new Date(this.#clock()).toISOString(),
      origin: offered.origin,
      logPublicKey: this.#state.logs[offered.origin]?.publicKey,
      cosigned,
      offered,
      oldSize: request['oldSize'],
      consistency: request['consistency'],
    };
    const fh = await open(path, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(evidence, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.#logger.warn(`${reason} (log ${offered.origin}); evidence kept in ${path}`);
    return path;
  }

  /** Serves the HTTP protocol above. `port` 0 picks a free port. */
  async listen(port: number, host = '127.0.0.1'): Promise<WitnessServer> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        send(res, 500, { error: err instanceof Error ? err.message : String(err) });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    return new WitnessServer(server, `http://${host.includes(':') ? `[${host}]` : host}:${bound}`, bound);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://witness').pathname;
    if (req.method === 'GET' && path === '/key') {
      send(res, 200, { name: this.name, publicKey: toHex(this.#keys.publicKey), keyId: this.keyId, pem: this.publicKeyPem });
      return;
    }
    if (req.method === 'GET' && path === '/logs') {
      send(res, 200, { logs: Object.fromEntries(Object.entries(this.#state.logs).map(([o, s]) => [o, s.checkpoint])) });
      return;
    }
    if (req.method === 'POST' && path === '/add-checkpoint') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY) {
          send(res, 413, { error: `request body over ${MAX_BODY} bytes` });
          return;
        }
        chunks.push(chunk as Buffer);
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        send(res, 400, { error: 'the request body is not JSON' });
        return;
      }
      const reply = await this.add(body);
      send(res, reply.status, reply.body);
      return;
    }
    send(res, 404, { error: `no ${req.method ?? ''} ${path}` });
  }
}

export class WitnessServer {
  constructor(
    private readonly server: Server,
    /** Base URL, e.g. `http://127.0.0.1:7380`. */
    readonly url: string,
    readonly port: number,
  ) {}

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
