// The layout files a path names: a file, or a folder's PNG and JPG files (hidden ones left out) in name order.
import fs from 'node:fs';
import path from 'node:path';
import { dataError } from './errors.js';

export const LAYOUT_IMAGE = /\.(png|jpe?g)$/i;

export interface LayoutListing {
  /** Where `p` and the files are read from (default: the process's folder); they are named as given. */
  cwd?: string;
  /** The files a folder's listing keeps (condition files: normal maps, point files), and their name in errors. */
  ext?: RegExp;
  what?: string;
  /** The option that gave `p`, for errors (default --layouts). */
  option?: string;
}

export function listLayoutFiles(p: string, o: LayoutListing = {}): string[] {
  const { cwd = '.', ext = LAYOUT_IMAGE, what = 'PNG or JPG files', option = '--layouts' } = o;
  let st: fs.Stats;
  try {
    st = fs.statSync(path.resolve(cwd, p));
  } catch {
    throw dataError(`${option} '${p}' does not exist`);
  }
  if (st.isFile()) return [p];
  const files = fs
    .readdirSync(path.resolve(cwd, p))
    .filter((f) => ext.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(p, f));
  if (!files.length) throw dataError(`${option} folder '${p}' holds no ${what}`);
  return files;
}
