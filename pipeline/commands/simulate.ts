/**
 * `vigil simulate`: labelled city traffic written to an events file and a separate labels
 * file (DESIGN.md, "The vigil command"). The same options give byte-identical files.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { ATTACK_TYPES, CitySimulator, DEFAULT_START, DEV_PROFILES, HELD_OUT_PROFILES, cityProfile, simulate, type AttackType, type SimulatorCounts } from '../../collectors/index.js';
import { intOption, numberOption } from './options.js';

interface SimulateOptions {
  seed: number;
  vehicles: number;
  devices: number;
  duration: number;
  attackRate: number;
  start: number;
  out: string;
  labels: string;
  network?: string;
  profile: string;
  attacks?: AttackType[];
  quiet?: boolean;
}

function attacksOption(value: string): AttackType[] {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = list.filter((a) => !(ATTACK_TYPES as readonly string[]).includes(a));
  if (list.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`--attacks: expected a comma-separated list of ${ATTACK_TYPES.join(', ')}, got ${JSON.stringify(value)}`);
  return list as AttackType[];
}

function profileOption(value: string): string {
  try {
    cityProfile(value);
  } catch {
    throw new InvalidArgumentError(`--profile: expected default, ${DEV_PROFILES.join(', ')}, ${HELD_OUT_PROFILES.join(', ')} or random:N, got ${JSON.stringify(value)}`);
  }
  return value;
}

function isoOption(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value) || Number.isNaN(ms) || ms < Date.UTC(2000, 0, 1)) {
    throw new InvalidArgumentError(`--start: expected an ISO-8601 time from 2000 on such as ${DEFAULT_START}, got ${JSON.stringify(value)}`);
  }
  return ms;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('write labelled smart-city traffic (vehicle BSMs, IoT telemetry, network and login events, injected attacks)')
    .option('--seed <N>', 'random seed: the same seed and options give byte-identical files', intOption('--seed', 0, Number.MAX_SAFE_INTEGER), 1)
    .option('--vehicles <N>', 'honest vehicles', intOption('--vehicles', 0, 5_000), 100)
    .option('--devices <N>', 'IoT devices', intOption('--devices', 0, 10_000), 50)
    .option('--duration <SECONDS>', 'simulated seconds', numberOption('--duration', 0.1, 31 * 86_400), 60)
    .option('--attack-rate <F>', 'target fraction of events that are attacks (0 to 0.5)', numberOption('--attack-rate', 0, 0.5), 0.05)
    .option('--start <ISO>', 'simulated start time', isoOption, Date.parse(DEFAULT_START))
    .option('--out <EVENTS.ndjson>', 'events file (NDJSON, the input formats of DESIGN.md)', 'events.ndjson')
    .option('--labels <LABELS.ndjson>', 'labels file: {"id","label","attack"} per event, in the same order', 'labels.ndjson')
    .option(
      '--profile <NAME>',
      `the city: default (the 13 x 13 Singapore grid); development ${DEV_PROFILES.join(', ')}; held out (final report only) ${HELD_OUT_PROFILES.join(', ')}; random:N (drawn from seed N)`,
      profileOption,
      'default',
    )
    .option('--network <CITY.geojson>', 'also write the city file: roads with speed_limit, RSUs with range_m, the service area (GeoJSON)')
    .option('--attacks <TYPE,...>', `inject only these attack types (default all: ${ATTACK_TYPES.join(', ')})`, attacksOption)
    .option('--quiet', 'no progress on stderr')
    .action(async (opts: SimulateOptions) => {
      const started = performance.now();
      const simOptions = { profile: opts.profile, seed: opts.seed, vehicles: opts.vehicles, devices: opts.devices, attackRate: opts.attackRate, start: opts.start, ...(opts.attacks ? { attacks: opts.attacks } : {}) };
      const files: FileHandle[] = [];
      try {
        const events = await open(opts.out, 'w');
        files.push(events);
        const labels = await open(opts.labels, 'w');
        files.push(labels);
        const run = simulate({ ...simOptions, duration: opts.duration });
        let written = 0;
        let lastReport = started;
        let step = run.next();
        while (!step.done) {
          const chunk = step.value;
          if (chunk.events.length > 0) await events.write(`${chunk.events.join('\n')}\n`);
          if (chunk.labels.length > 0) await labels.write(`${chunk.labels.join('\n')}\n`);
          written += chunk.events.length;
          const now = performance.now();
          if (!opts.quiet && now - lastReport > 2_000) {
            const done = (chunk.until - opts.start) / 1000;
            process.stderr.write(`simulate: ${done.toFixed(0)}/${opts.duration} s simulated, ${written} events\n`);
            lastReport = now;
          }
          step = run.next();
        }
        if (opts.network !== undefined) {
          const city = await open(opts.network, 'w');
          files.push(city);
          await city.write(`${JSON.stringify(new CitySimulator({ ...simOptions, vehicles: 0, devices: 0 }).cityFile())}\n`);
        }
        if (!opts.quiet) process.stderr.write(`${summary(step.value, opts, performance.now() - started)}\n`);
      } finally {
        await Promise.all(files.map((f) => f.close()));
      }
    });
}

function summary(counts: SimulatorCounts, opts: SimulateOptions, elapsedMs: number): string {
  const total = counts.normal + counts.attack;
  const share = total > 0 ? ((100 * counts.attack) / total).toFixed(1) : '0.0';
  return `simulate: wrote ${total} events (${counts.attack} attack, ${share}%; ${counts.windows} silent-device windows) (profile ${opts.profile}) to ${opts.out}, labels to ${opts.labels} in ${(elapsedMs / 1000).toFixed(1)} s`;
}
