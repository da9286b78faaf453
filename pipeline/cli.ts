/**
 * The `vigil` command. Each sub-command lives in `pipeline/commands/<name>.ts` and is
 * loaded lazily, so `vigil verify` does not pay for TensorFlow.js and `vigil start` does
 * not pay for what it does not run.
 */
import { Command, CommanderError } from 'commander';

type Registrar = (program: Command) => void;

/** name → loader of a module whose `register(program)` adds that command. */
const commands: Record<string, () => Promise<{ register: Registrar }>> = {
  start: () => import('./commands/start.js'),
  simulate: () => import('./commands/simulate.js'),
  ingest: () => import('./commands/ingest.js'),
  // ledger (issue 4): verify, prove, verify-proof, witness
  verify: () => import('./commands/ledger.js'),
  prove: () => import('./commands/ledger.js'),
  'verify-proof': () => import('./commands/ledger.js'),
  witness: () => import('./commands/ledger.js'),
  // detector (issue 5): train, eval
  train: () => import('./commands/detector.js'),
  eval: () => import('./commands/detector.js'),
  // api (issue 6): token
  token: () => import('./commands/token.js'),
};

export async function main(argv: string[]): Promise<number> {
  const program = new Command('vigil')
    .description('Vigil: a security monitor for smart cities')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const wanted = argv[2];
  const loaded = new Set<string>();
  const load = async (name: string): Promise<void> => {
    const loader = commands[name];
    if (!loader) return;
    const mod = await loader().catch((err: unknown) => {
      if (isMissingModule(err)) return undefined; // that part is not built yet
      throw err;
    });
    if (!mod || loaded.has(String(mod.register))) return;
    loaded.add(String(mod.register));
    mod.register(program);
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
