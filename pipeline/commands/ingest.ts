/**
 * `vigil ingest FILE --format …`: stream a file to a running node's `POST /ingest`.
 The work is pipeline/client/ (ingest.ts reads and converts,
 * http.ts posts); this is the command line.
 *
 * Exit status: 0 when every record was stored; 2 when the file was read to the end but
 * some records were rejected (here or by the node); 1 on a failure (bad option,
 * unreadable file, node unreachable or answering out of contract).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { FILE_FORMATS, type FileFormat } from '../../collectors/index.js';
import { INPUT_KINDS, type InputKind } from '../../events/index.js';
import { exitCodeOf, runIngest, type IngestOptions } from '../client/ingest.js';
import { intOption } from './options.js';

export function register(program: Command): void {
  program
    .command('ingest')
    .description('send a file of events to a running node (POST /ingest), converting CSV, candump and the public data sets on the way')
    .argument('<file>', 'the file to read')
    .addOption(new Option('--format <format>', 'the file format').choices(FILE_FORMATS).makeOptionMandatory())
    .option('--url <url>', "the node's base URL", 'http://127.0.0.1:4000')
    .option('--out <file>', 'write the converted JSON input lines to this file instead of posting them')
    .option('--labels <file>', 'write the labels of a data set (ton-iot, j1939, odds) as NDJSON {"id","label","attack"}')
    .option('--rejects <file>', 'write each rejected record (line, reason, raw) as NDJSON')
    .option('--map <pairs>', 'csv: target=column pairs, e.g. ts=time,device=id,metrics.temperature=temp')
    .addOption(new Option('--kind <kind>', 'csv: the input kind of every row').choices(INPUT_KINDS).default('telemetry'))
    .option('--entity <id>', 'the vehicle (candump, j1939) or device (ton-iot, odds) id; default from the file name')
    .option('--start <time>', 'epoch ms or ISO-8601 time that relative candump/J1939 times and ODDS rows count from (default 2020-01-01T00:00:00Z)', timeOption)
    .option('--token <token>', 'bearer token for the node: a sensor key (`vigil sensor create`) where it requires keys')
    .option('--batch-bytes <n>', 'largest request body in bytes (under 1 MiB)', intOption('--batch-bytes', 1024, 1_048_575), 512 * 1024)
    .option('--batch-lines <n>', 'most lines per request', intOption('--batch-lines', 1, 100_000), 2000)
    .option('--concurrency <n>', 'requests in flight at once', intOption('--concurrency', 1, 16), 2)
    .option('--json', 'print the summary as one JSON object on stdout')
    .addHelpText(
      'after',
      '\nExit status: 0 all stored; 2 read to the end but some records rejected; 1 failure.\n' +
        'candump/J1939 times below 1e8 s are relative and count from --start; larger ones are epoch seconds.',
    )
    .action(async (file: string, opts: CliOptions) => {
      const options: IngestOptions = {
        file,
        format: opts.format,
        url: opts.url,
        maxBatchBytes: opts.batchBytes,
        maxBatchLines: opts.batchLines,
        concurrency: opts.concurrency,
        ...(opts.out !== undefined ? { out: opts.out } : {}),
        ...(opts.labels !== undefined ? { labels: opts.labels } : {}),
        ...(opts.rejects !== undefined ? { rejects: opts.rejects } : {}),
        ...(opts.map !== undefined ? { map: opts.map } : {}),
        ...(opts.format === 'csv' ? { kind: opts.kind } : {}),
        ...(opts.entity !== undefined ? { entity: opts.entity } : {}),
        ...(opts.start !== undefined ? { start: opts.start } : {}),
        ...(opts.token !== undefined ? { token: opts.token } : {}),
      };
      const summary = await runIngest(options);
      if (opts.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
      process.exitCode = exitCodeOf(summary);
    });
}

interface CliOptions {
  format: FileFormat;
  url: string;
  out?: string;
  labels?: string;
  rejects?: string;
  map?: string;
  kind: InputKind;
  entity?: string;
  start?: number;
  token?: string;
  batchBytes: number;
  batchLines: number;
  concurrency: number;
  json?: boolean;
}

function timeOption(value: string): number {
  const ms = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`--start: expected epoch milliseconds or an ISO-8601 time, got ${JSON.stringify(value)}`);
  return ms;
}
