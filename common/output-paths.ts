// Output paths checked before any work, so that a run does not train for hours and then fail to write:
// the place must be inside a writable folder (its nearest existing ancestor a folder, not a file), and not
// under the kernel's virtual file systems (/proc, /sys, /dev), where files are not files and Node's
// recursive mkdir spins for ever.
import fs from 'node:fs';
import path from 'node:path';
import { outputError } from './errors.js';

const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev'];

const under = (p: string, root: string) => p === root || p.startsWith(root + path.sep);

function virtualRoot(p: string): string | undefined {
  return VIRTUAL_ROOTS.find((r) => under(p, r));
}

/** The nearest ancestor of `p` that exists (p itself included), resolved through links. */
function nearestExisting(p: string): { at: string; stat: fs.Stats } {
  for (let at = p; ; at = path.dirname(at)) {
    try {
      return { at, stat: fs.statSync(at) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a file stands where a folder of the path should be; the walk up finds it
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      if (path.dirname(at) === at) throw e;
    }
  }
}

function checkPlace(target: string, option: string, isDir: boolean): void {
  const full = path.resolve(target);
  const shown = `${option} '${target}'`;
  const root = virtualRoot(full);
  if (root) throw outputError(`${shown} is under ${root}, which holds no ordinary files: give a path on a disk`);
  let found: { at: string; stat: fs.Stats };
  try {
    found = nearestExisting(full);
  } catch (e) {
    throw outputError(`${shown} cannot be checked (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const real = fs.realpathSync(found.at);
  const realRoot = virtualRoot(real);
  if (realRoot) throw outputError(`${shown} leads under ${realRoot} (through '${found.at}'), which holds no ordinary files: give a path on a disk`);
  if (found.at === full) {
    if (isDir && !found.stat.isDirectory()) throw outputError(`${shown} is a file, not a folder`);
    if (!isDir && found.stat.isDirectory()) throw outputError(`${shown} is a folder, not a file`);
    if (!isDir) return checkWritable(path.dirname(full), shown);
    return checkWritable(full, shown);
  }
  if (!found.stat.isDirectory()) throw outputError(`${shown} cannot be made: '${found.at}' is a file, not a folder`);
  checkWritable(found.at, shown);
}

function checkWritable(dir: string, shown: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw outputError(`${shown} cannot be written: the folder '${dir}' is ${code === 'EROFS' ? 'on a read-only file system' : 'not writable'} (${code})`);
  }
}

/**
 * A file the command will write (its folders made as needed): a UserError naming the option unless it can
 * be. It does not say whether an existing file may be replaced; that is the command's --force.
 */
export function checkOutputFile(file: string, option = '--out'): void {
  checkPlace(file, option, false);
}

/** A folder the command will write into (made as needed), checked like checkOutputFile. */
export function checkOutputDir(dir: string, option = '--out'): void {
  checkPlace(dir, option, true);
}
