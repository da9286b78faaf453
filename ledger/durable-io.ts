/**
 * The writer's file-system helpers (node-only): whole writes, directory fsync, truncation
 * with fsync, the pid lock that keeps a second writer off a ledger directory, and the
 * writer's open files.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { open, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { LedgerError } from './errors.js';
import { CHECKPOINTS_FILE, COSIGNATURES_FILE, ENTRIES_FILE, INDEX_FILE } from './files.js';

export async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let at = 0;
  while (at < buf.length) {
    const { bytesWritten } = await fh.write(buf, at, buf.length - at);
    at += bytesWritten;
  }
}

export async function syncDir(dir: string): Promise<void> {
  // New files are durable only once their directory entry is (POSIX fsync on the directory).
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on directories; the data files are still fsynced.
  } finally {
    await fh.close();
  }
}

/** Lock files this process holds: its own pid in one does not make it stale. */
const heldLocks = new Set<string>();

/** A pid lock: a second writer on the same directory would fork the log. */
export async function takeLock(path: string): Promise<void> {
  if (heldLocks.has(path)) throw new LedgerError('IO_ERROR', `another writer in this process has this ledger open (${path})`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      heldLocks.add(path);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new LedgerError('IO_ERROR', `cannot create ${path}`, { cause: err });
    }
    const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new LedgerError('IO_ERROR', `another writer (pid ${pid}) has this ledger open (${path})`);
    }
    // The holder is gone (it crashed): the lock is stale.
    await rm(path, { force: true });
  }
  throw new LedgerError('IO_ERROR', `cannot take the lock ${path}`);
}

export async function releaseLock(path: string): Promise<void> {
  heldLocks.delete(path);
  await rm(path, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}


export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new LedgerError('IO_ERROR', `cannot stat ${path}`, { cause: err });
  }
}

export function withFd<T>(path: string, use: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

export async function truncate(path: string, length: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(length);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The writer's files: four append-only ones and a reader of entries.log. */
export interface LedgerFiles {
  entries: FileHandle;
  index: FileHandle;
  checkpoints: FileHandle;
  cosignatures: FileHandle;
  read: FileHandle;
}

export async function openLedgerFiles(dir: string): Promise<LedgerFiles> {
  const append = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
  const files = {
    entries: await open(join(dir, ENTRIES_FILE), append, 0o600),
    index: await open(join(dir, INDEX_FILE), append, 0o600),
    checkpoints: await open(join(dir, CHECKPOINTS_FILE), append, 0o600),
    cosignatures: await open(join(dir, COSIGNATURES_FILE), append, 0o600),
    read: await open(join(dir, ENTRIES_FILE), 'r'),
  };
  await syncDir(dir);
  return files;
}
