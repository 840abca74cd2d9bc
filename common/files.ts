// Crash-safe file writes and output folders. A file is written beside its target as .NAME.PID.tmp,
// fsynced, renamed over the target, and the folder fsynced: a crash at any instant leaves the old file or
// the new one, never a mix, and once the call returns the new one survives a power cut. A failed write
// names its file and removes its temporary; a crash's temporaries are removed at the command's next start
// (removeStaleTemporaries). Appended logs (AppendFile) drop a partly written line on failure.
import fs from 'node:fs';
import path from 'node:path';
import { UserError, outputError } from './errors.js';
import { killPoint } from './kill-points.js';

/** Kill points of every atomic write (common/kill-points.ts). */
export const atomicWriteKillPoints = ['file.before-rename'] as const;

/** The error of a failed write, naming the file: the message the user sees (ENOSPC, EACCES, ...). */
export function writeError(file: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  return outputError(`could not write '${file}': ${(e as Error).message}`);
}

const TEMPORARY = /^\..+\.(\d+)\.tmp$/;

function temporaryName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
}

/** Makes a folder (and its parents); errors name it. */
export function makeDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw outputError(`could not make folder '${dir}': ${(e as Error).message}`);
  }
}

/** Makes a folder's entries (new names, renames, removals) durable. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    // some file systems (network and FUSE mounts) cannot sync a folder: their renames are as durable as they get
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let at = 0; at < data.byteLength;) at += fs.writeSync(fd, data, at, data.byteLength - at);
}

/** syncDir false: the caller fsyncs the folder itself, once for many files, before anything relies on them. */
export function writeFileAtomic(file: string, data: Uint8Array | string, opts: { syncDir?: boolean } = {}): void {
  const dir = path.dirname(file);
  makeDir(dir);
  const tmp = temporaryName(file);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAll(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    killPoint('file.before-rename');
    fs.renameSync(tmp, file);
    if (opts.syncDir ?? true) syncDir(dir);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(file, e);
  }
}

/**
 * writeFileAtomic with the write, fsync and rename in libuv's thread pool: the event loop's thread stays
 * free (for the inference results and encodings of a sampling run) while the disk works.
 */
export async function writeFileAtomicAsync(file: string, data: Uint8Array, opts: { syncDir?: boolean } = {}): Promise<void> {
  const dir = path.dirname(file);
  makeDir(dir);
  const tmp = temporaryName(file);
  try {
    const handle = await fs.promises.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    killPoint('file.before-rename');
    await fs.promises.rename(tmp, file);
    if (opts.syncDir ?? true) syncDir(dir);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(file, e);
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporaries (.NAME.PID.tmp) that crashed writers left in dir; those of running processes stay. */
export function removeStaleTemporaries(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // no folder, no temporaries
  }
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    // this process has written nothing yet: a temporary with its id is a crashed namesake's (pids repeat in containers)
    if (m && (Number(m[1]) === process.pid || !processRuns(Number(m[1])))) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** A log file that grows by whole lines: a failed append is cut off again, and sync() makes the lines durable. */
export class AppendFile {
  private size: number;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly fd: number,
  ) {
    this.size = fs.fstatSync(fd).size;
  }

  /** Opens file for appending (truncated first when fresh). */
  static open(file: string, fresh: boolean): AppendFile {
    makeDir(path.dirname(file));
    try {
      return new AppendFile(file, fs.openSync(file, fresh ? 'w' : 'a'));
    } catch (e) {
      throw writeError(file, e);
    }
  }

  append(text: string): void {
    const bytes = Buffer.from(text);
    try {
      writeAll(this.fd, bytes);
      this.size += bytes.byteLength;
    } catch (e) {
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        // the error on its way out says more; readers drop a partial last line
      }
      throw writeError(this.file, e);
    }
  }

  sync(): void {
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      throw writeError(this.file, e);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

/** An output directory must be absent or empty (but for a crash's temporaries) unless the user forces it. */
export function prepareOutputDir(dir: string, force: boolean, flag = '--force'): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw outputError(`output '${dir}' exists and is not a directory`);
    removeStaleTemporaries(dir);
    if (fs.readdirSync(dir).length && !force) throw outputError(`output directory '${dir}' is not empty (use ${flag} to write into it)`);
  }
  makeDir(dir);
}
