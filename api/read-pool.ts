/**
 * The API's reads on their own threads. A free-text search or a wide count runs inside
 * SQLite for as long as it needs, and on the node's main thread that would hold ingest, MQTT
 * and syslog for all of it (#16: text search must not block ingest). Here each read thread
 * holds a read-only connection (store/sqlite-reader.ts; WAL lets readers run beside the
 * writer on the last committed snapshot), and the main thread only posts the query and
 * waits for the answer.
 *
 * The wall-clock budget is kept by the pool, not by the query: a read still running at
 * `budgetMs` is answered `TIMEOUT`, its thread is terminated and replaced, and what else was
 * queued on it is sent to the replacement. better-sqlite3 has no `sqlite3_interrupt`, and V8
 * ends a terminated thread only once SQLite hands control back (the statement's next row or
 * its end), so a retired thread may run on for a while; at most `maxRetired` such threads
 * may exist at once, and beyond that reads are refused (`UNAVAILABLE`) rather than let a
 * client pile up CPU work the node cannot stop.
 */
import { Worker } from 'node:worker_threads';
import { STORE_READS, StoreError, type DeadLetterRecord, type Page, type Store, type StoreErrorCode, type StoreRead } from '../store/index.js';
import { ApiError } from './errors.js';

export interface ReadPoolOptions {
  /** Folder of the node's `vigil.db` (it must exist: the node's own store creates it). */
  dataDir: string;
  /** Read threads. @default 1 */
  threads?: number;
  /** Longest one read may run, milliseconds. @default 10000 */
  budgetMs?: number;
  /** Terminated threads still finishing a statement, at most; beyond, reads are refused. @default 2 */
  maxRetired?: number;
}

interface Call {
  id: number;
  method: StoreRead;
  args: unknown[];
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

interface Member {
  worker: Worker;
  pending: Map<number, Call>;
  /** The thread has opened its connection. */
  ready: boolean;
  started: Promise<void>;
}

type Reply = { id: number; value: unknown } | { id: number; error: string; code?: StoreErrorCode };

export class ReadPool {
  private readonly dataDir: string;
  private readonly size: number;
  private readonly budgetMs: number;
  private readonly maxRetired: number;
  private readonly members: Member[] = [];
  private retired = 0;
  private next = 0;
  private closed = false;
  /** Reads answered TIMEOUT (each retired a thread). */
  timeouts = 0;

  constructor(options: ReadPoolOptions) {
    this.dataDir = options.dataDir;
    this.size = options.threads ?? 1;
    this.budgetMs = options.budgetMs ?? 10_000;
    this.maxRetired = options.maxRetired ?? 2;
    for (const [k, v] of Object.entries({ threads: this.size, budgetMs: this.budgetMs, maxRetired: this.maxRetired })) {
      if (!Number.isInteger(v) || v < 1) throw new ApiError('BAD_INPUT', `read pool ${k}: expected a positive whole number, got ${String(v)}`);
    }
  }

  /** Start the threads now rather than at the first read; resolves when they can serve. */
  async start(): Promise<void> {
    while (this.members.length < this.size && this.retired < this.maxRetired) this.members.push(this.spawn());
    await Promise.all(this.members.map((m) => m.started));
  }

  /** Threads currently terminated but still inside a SQLite statement. */
  get retiredRunning(): number {
    return this.retired;
  }

  /** Run one store read on a read thread. */
  call(method: StoreRead, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new ApiError('UNAVAILABLE', 'the API is shutting down'));
    return new Promise((resolve, reject) => {
      this.dispatch({ id: this.next++, method, args, resolve, reject, timer: undefined });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = this.members.splice(0);
    for (const m of all) this.failAll(m, new ApiError('UNAVAILABLE', 'the API is shutting down'));
    await Promise.all(all.map((m) => m.worker.terminate()));
  }

  private dispatch(call: Call): void {
    const member = this.member();
    if (!member) {
      clearTimeout(call.timer);
      call.reject(new ApiError('UNAVAILABLE', `${this.retired} reads past their budget are still being stopped; retry shortly`));
      return;
    }
    member.pending.set(call.id, call);
    const post = (): void => {
      if (member.pending.get(call.id) !== call) return; // failed, or moved to another thread meanwhile
      // The budget is the read's: it starts when a thread can run it, not while one starts.
      clearTimeout(call.timer);
      call.timer = setTimeout(() => this.timedOut(call), this.budgetMs);
      member.worker.postMessage({ id: call.id, method: call.method, args: call.args });
    };
    if (member.ready) post();
    else member.started.then(post, () => {});
  }

  /** The least busy thread, starting one while there are fewer than `size`; none while too many are retired. */
  private member(): Member | undefined {
    if (this.members.length < this.size && this.retired < this.maxRetired) this.members.push(this.spawn());
    let best: Member | undefined;
    for (const m of this.members) if (!best || m.pending.size < best.pending.size) best = m;
    return best;
  }

  private spawn(): Member {
    const worker = new Worker(new URL('./read-worker.js', import.meta.url), { workerData: { dataDir: this.dataDir } });
    // Reads in flight keep the process alive through their promises; an idle pool must not.
    worker.unref();
    let started: () => void = () => {};
    const member: Member = { worker, pending: new Map(), ready: false, started: new Promise<void>((resolve) => (started = resolve)) };
    worker.on('message', (m: Reply | { ready: true } | { error: string }) => {
      if (!('id' in m)) {
        if ('error' in m) this.retire(member, new StoreError('OPEN_FAILED', m.error), false);
        else {
          member.ready = true;
          started();
        }
        return;
      }
      const call = member.pending.get(m.id);
      if (!call) return;
      member.pending.delete(m.id);
      clearTimeout(call.timer);
      if ('error' in m) call.reject(new StoreError(m.code ?? 'READ_FAILED', m.error));
      else call.resolve(m.value);
    });
    worker.on('error', (err) => this.retire(member, new StoreError('READ_FAILED', `read thread failed: ${err.message}`, { cause: err }), false));
    worker.on('exit', () => this.retire(member, new StoreError('READ_FAILED', 'read thread exited'), false));
    return member;
  }

  private timedOut(call: Call): void {
    const member = this.members.find((m) => m.pending.has(call.id));
    if (!member) return;
    member.pending.delete(call.id);
    this.timeouts++;
    call.reject(new ApiError('TIMEOUT', `the read ran past its budget of ${this.budgetMs} ms and was stopped; ask for less`));
    this.retire(member, undefined, true);
  }

  /**
   * Take a thread out of the pool. Terminated on a timeout, its other reads go to another
   * thread (they did nothing wrong); when it failed by itself, they fail with it.
   */
  private retire(member: Member, err: Error | undefined, terminate: boolean): void {
    const i = this.members.indexOf(member);
    if (i === -1) return;
    this.members.splice(i, 1);
    const queued = [...member.pending.values()];
    member.pending.clear();
    if (terminate) {
      this.retired++;
      void member.worker.terminate().finally(() => this.retired--);
      for (const call of queued) this.dispatch(call);
    } else {
      for (const call of queued) {
        clearTimeout(call.timer);
        call.reject(err ?? new StoreError('READ_FAILED', 'read thread failed'));
      }
    }
  }

  private failAll(member: Member, err: Error): void {
    for (const call of member.pending.values()) {
      clearTimeout(call.timer);
      call.reject(err);
    }
    member.pending.clear();
  }
}

/**
 * The reads whose cost grows with the data or the query (searches, counts, lists), which go
 * to the read threads. Lookups by key (`getEvent`, `getAlert(s)`, `getIncident`, `getEntity`,
 * `getAction`) are an index probe of microseconds and stay on the calling thread: a thread
 * round trip would cost them more than it could save, and on a busy machine much more.
 */
export const OFF_THREAD_READS: readonly StoreRead[] = STORE_READS.filter((m) => !/^get/.test(m));

/**
 * The store as the API sees it: its searches and counts through the pool, everything else
 * (lookups by key, writes, tokens, close) on the store itself. A write commits on the node's connection before the
 * mutation answers, so the next read, on a fresh snapshot, sees it.
 */
export function readThrough<S extends Store>(store: S, pool: ReadPool): S {
  const reads = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  for (const method of OFF_THREAD_READS) reads.set(method, (...args) => pool.call(method, args));
  // Structured clone turns a Buffer into a plain Uint8Array: dead letters' raw bytes are made Buffers again.
  reads.set('searchDeadLetters', async (...args) => {
    const page = (await pool.call('searchDeadLetters', args)) as Page<DeadLetterRecord>;
    for (const edge of page.edges) edge.node.raw = Buffer.from(edge.node.raw.buffer, edge.node.raw.byteOffset, edge.node.raw.byteLength);
    return page;
  });
  return new Proxy(store, {
    get(target, prop) {
      const read = reads.get(prop);
      if (read) return read;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
