/** The audit's small file helpers: a file that may be absent, its first line, an error's text. */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { scanLines } from './files.js';

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first line of a file (with its newline), or empty. */
export function firstLine(path: string): Buffer {
  return withFile(
    path,
    (fd) => {
      let buf = Buffer.alloc(0);
      scanLines(fd, 0, fstatSync(fd).size, (chunk, start, end) => {
        buf = Buffer.from(chunk.subarray(start, end + 1));
        return false;
      });
      return buf;
    },
    Buffer.alloc(0),
  );
}

/** Runs `use` on the open file, or returns `absent` when there is no such file. */
export function withFile<T>(path: string, use: (fd: number) => T, absent: T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return absent;
    throw err;
  }
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}
