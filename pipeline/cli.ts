/**
 * The `vigil` command. Each sub-command lives in `pipeline/commands/<name>.ts` and is
 * loaded lazily, so `vigil verify` does not pay for TensorFlow.js and `vigil start` does
 * not pay for what it does not run.
 */
import { Command, CommanderError } from 'commander';

type Registrar = (program: Command) => void;

/** command name → the file in ./commands whose `register(program)` adds it. */
const commands: Record<string, string> = {
  start: 'start',
  simulate: 'simulate',
  ingest: 'ingest',
  // ledger (issue 4)
  verify: 'ledger',
  prove: 'ledger',
  'verify-proof': 'ledger',
  witness: 'ledger',
  // detector (issue 5)
  train: 'detector',
  eval: 'detector',
  // api (issue 6)
  token: 'token',
  // the city file (issue 13)
  city: 'city',
  // collectors' credentials (issue 16)
  sensor: 'sensor',
  // Sigma rules as files (issue 18)
  rules: 'rules',
  // detector workers of the Kafka bus (issue 17)
  worker: 'worker',
  // the transport authority's decisions as training feedback (issue 19)
  overrules: 'feedback',
  // misbehaviour reports for a V2X Misbehaviour Authority (issue 19)
  v2x: 'v2x',
};
const loadCommand = (file: string): Promise<{ register: Registrar }> => import(`./commands/${file}.js`);

export async function main(argv: string[]): Promise<number> {
  const program = new Command('vigil')
    .description('Vigil: a security monitor for smart cities')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const wanted = argv[2];
  const loaded = new Set<string>();
  const load = async (name: string): Promise<void> => {
    const file = commands[name];
    if (!file || loaded.has(file)) return;
    loaded.add(file);
    const mod = await loadCommand(file).catch((err: unknown) => {
      if (isMissingModule(err)) return undefined; // that part is not built yet
      throw err;
    });
    mod?.register(program);
  };
  if (wanted && wanted in commands) await load(wanted);
  else for (const name of Object.keys(commands)) await load(name);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function isMissingModule(err: unknown): boolean {
  return (
    err instanceof Error &&
    'code' in err &&
    (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') &&
    /pipeline[/\\]commands[/\\]/.test(err.message)
  );
}

const code = await main(process.argv);
if (code !== 0) process.exitCode = code;
