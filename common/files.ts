// Atomic file writes (write beside the target, then rename, so a crash leaves the last good file) and
// output folders.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** An output directory must be absent or empty unless the user forces it. */
export function prepareOutputDir(dir: string, force: boolean, flag = '--force'): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new UserError(`output '${dir}' exists and is not a directory`);
    if (fs.readdirSync(dir).length && !force) throw new UserError(`output directory '${dir}' is not empty (use ${flag} to write into it)`);
  }
  fs.mkdirSync(dir, { recursive: true });
}
