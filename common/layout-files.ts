// The layout files a path names: a file, or a folder's PNG and JPG files (hidden ones left out) in name order.
import fs from 'node:fs';
import path from 'node:path';
import { dataError } from './errors.js';

export const LAYOUT_IMAGE = /\.(png|jpe?g)$/i;

/**
 * `p` and the files are named as given; both are read relative to `cwd` (default: the process's). `ext`
 * and `what`: the files a folder's listing keeps, and their name in errors (condition files: normal maps,
 * point files).
 */
export function listLayoutFiles(p: string, cwd = '.', ext: RegExp = LAYOUT_IMAGE, what = 'PNG or JPG files'): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(path.resolve(cwd, p));
  } catch {
    throw dataError(`layouts '${p}' do not exist`);
  }
  if (st.isFile()) return [p];
  const files = fs
    .readdirSync(path.resolve(cwd, p))
    .filter((f) => ext.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(p, f));
  if (!files.length) throw dataError(`layouts folder '${p}' holds no ${what}`);
  return files;
}
