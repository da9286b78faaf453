/**
 * Vigil's configuration, normalised once at start (STYLE.md 6): defaults filled in, every
 * value validated, and a wrong option fails with a message naming it.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.number().int().min(0).max(65_535);

export const configSchema = z.strictObject({
  /** Where the database, ledger and model live. @default './data' */
  dataDir: z.string().min(1).default('./data'),
  api: z
    .strictObject({
      /** @default '127.0.0.1' */
      host: z.string().min(1).default('127.0.0.1'),
      /** @default 4000 */
      port: port.default(4000),
      /** Largest POST /ingest body, bytes. @default 33554432 */
      maxBodyBytes: z.number().int().min(1024).default(32 * 1024 * 1024),
    })
    .prefault({}),
  validation: z
    .strictObject({
      /** Largest single input record, bytes. @default 65536 */
      maxRecordBytes: z.number().int().min(64).default(65_536),
      /** Allowed clock skew into the future, milliseconds. @default 600000 */
      maxFutureMs: z.number().int().min(0).default(600_000),
      /** Earliest accepted timestamp, epoch milliseconds. @default 946684800000 */
      minTimestampMs: z.number().int().min(0).default(Date.UTC(2000, 0, 1)),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** Inputs waiting to be stored before collectors are slowed or refused. @default 100000 */
      queueCapacity: z.number().int().min(1).default(100_000),
      /** Most inputs per store transaction. @default 20000 */
      maxBatchItems: z.number().int().min(1).default(20_000),
      /** Largest dead-letter raw input kept, bytes. @default 65536 */
      maxDeadLetterBytes: z.number().int().min(0).default(65_536),
    })
    .prefault({}),
  demo: z
    .strictObject({
      /** Run the city simulator into the pipeline. @default false */
      enabled: z.boolean().default(false),
      seed: z.number().int().default(1),
      vehicles: z.number().int().min(1).max(100_000).default(100),
      devices: z.number().int().min(0).max(100_000).default(50),
      attackRate: z.number().min(0).max(1).default(0.05),
    })
    .prefault({}),
});

export type VigilConfig = z.infer<typeof configSchema>;
export type VigilConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

export function resolveConfig(input: unknown): VigilConfig {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]].join('.') : issue.path.join('.');
    throw new ConfigError(key, `configuration ${key}: ${issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}
