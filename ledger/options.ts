/**
 * The writer's options (STYLE.md 6): what `Ledger.open` takes, normalised once into the
 * complete configuration the writer and its recovery use.
 */
import { LedgerError } from './errors.js';
import { PRIVATE_KEY_FILE } from './files.js';
import { WitnessPool, type NormalisedWitnessPolicy, type WitnessPolicy } from './witness-client.js';

/** Compatible with pino and console. */
export interface LedgerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LedgerOptions {
  /** The data directory; created if absent. */
  dir: string;
  /** Cut a checkpoint once this many entries are uncovered. @default 10000 */
  checkpointEvery?: number;
  /** …or once the oldest uncovered entry is this many milliseconds old. @default 1000 */
  checkpointIntervalMs?: number;
  /** Epoch milliseconds, for checkpoint times. @default Date.now */
  clock?: () => number;
  /** @default warnings and errors to stderr, info dropped */
  logger?: LedgerLogger;
  /**
   * The log's name, the first line of every checkpoint. Fixed by the first checkpoint.
   * @default `vigil/` + the first 16 hex digits of the public key
   */
  origin?: string;
  /** Witnesses that must co-sign a checkpoint before it counts as published. @default none */
  witnesses?: WitnessPolicy;
  /**
   * The signing key's file (absolute, or relative to `dir`); made, mode 0600, if absent.
   * The public key is always `dir/public.pem`, where verifiers look. @default 'private.pem'
   */
  keyPath?: string;
}

/** The options complete and checked. */
export interface LedgerConfig {
  dir: string;
  checkpointEvery: number;
  checkpointIntervalMs: number;
  clock: () => number;
  logger: LedgerLogger;
  origin: string | undefined;
  witnesses: NormalisedWitnessPolicy | undefined;
  keyPath: string;
}

const stderrLogger: LedgerLogger = {
  info: () => {},
  warn: (m) => process.stderr.write(`ledger: ${m}\n`),
  error: (m) => process.stderr.write(`ledger: ${m}\n`),
};

/** Options normalised once, failing at start with the option's name (STYLE.md 6). */
export function normaliseLedgerOptions(options: LedgerOptions): LedgerConfig {
  const bad = (name: string, want: string, got: unknown): never => {
    throw new LedgerError('INVALID_ARGUMENT', `option ${name} must be ${want}, got ${JSON.stringify(got)}`);
  };
  if (typeof options !== 'object' || options === null) bad('options', 'an object', options);
  if (typeof options.dir !== 'string' || options.dir === '') bad('dir', 'a directory path', options.dir);
  const every = options.checkpointEvery ?? 10_000;
  if (!Number.isSafeInteger(every) || every < 1) bad('checkpointEvery', 'a positive integer', every);
  const interval = options.checkpointIntervalMs ?? 1000;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 1 || interval > 2 ** 31 - 1) {
    bad('checkpointIntervalMs', 'milliseconds between 1 and 2^31-1', interval);
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') bad('clock', 'a function', typeof options.clock);
  if (options.keyPath !== undefined && (typeof options.keyPath !== 'string' || options.keyPath === '')) bad('keyPath', 'a file path', options.keyPath);
  if (options.origin !== undefined && !/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(options.origin)) {
    bad('origin', '1-255 printable ASCII characters', options.origin);
  }
  return {
    dir: options.dir,
    checkpointEvery: every,
    checkpointIntervalMs: interval,
    clock: options.clock ?? Date.now,
    logger: options.logger ?? stderrLogger,
    origin: options.origin,
    witnesses: options.witnesses ? WitnessPool.normalise(options.witnesses) : undefined,
    keyPath: options.keyPath ?? PRIVATE_KEY_FILE,
  };
}
