/** The `vigil` command as an operator runs it: a child process of bin/vigil.js. */
import { execFile } from 'node:child_process';
import { vigilBin } from './helpers.js';

export interface VigilRun {
  /** The exit code (1 when the process could not say, e.g. killed at the timeout). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `vigil ...args` in `cwd`; never rejects, a failure is in `code`. */
export function runVigil(args: readonly string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<VigilRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [vigilBin, ...args], { ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}), timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
