/**
 * Compiles VigilAnchor.sol with the pinned npm `solc` (node-only, for the build script and
 * the test that holds contract.ts to the source). The settings are part of what is pinned:
 * the same compiler, source and settings give the same bytecode byte for byte.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AnchorError } from './errors.js';

export const CONTRACT_SOURCE_FILE = 'VigilAnchor.sol';
export const CONTRACT_NAME = 'VigilAnchor';
/** The solc release the committed bytecode comes from (package.json pins the same, exactly). */
export const SOLC_VERSION = '0.8.37';

/**
 * `cancun`: the newest EVM version that every major chain and L2 has taken, so one bytecode
 * deploys anywhere. No metadata hash: it would tie the bytecode to the file's path.
 */
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
} as const;

export interface CompiledContract {
  compiler: string;
  abi: unknown[];
  bytecode: `0x${string}`;
}

interface SolcOutput {
  errors?: Array<{ severity: string; formattedMessage: string }>;
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

export function compileAnchorContract(source: string = readFileSync(new URL(`./${CONTRACT_SOURCE_FILE}`, import.meta.url), 'utf8')): CompiledContract {
  const solc = createRequire(import.meta.url)('solc') as { version(): string; compile(input: string): string };
  const version = solc.version();
  if (!version.startsWith(`${SOLC_VERSION}+`)) throw new AnchorError('COMPILE_ERROR', `solc ${SOLC_VERSION} expected, ${version} installed`);
  const input = { language: 'Solidity', sources: { [CONTRACT_SOURCE_FILE]: { content: source } }, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new AnchorError('COMPILE_ERROR', errors.map((e) => e.formattedMessage).join('\n'));
  const c = output.contracts?.[CONTRACT_SOURCE_FILE]?.[CONTRACT_NAME];
  if (!c) throw new AnchorError('COMPILE_ERROR', `solc produced no ${CONTRACT_NAME}`);
  return { compiler: version, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}
