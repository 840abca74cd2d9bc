// The layout files a path names: a file, or a folder's PNG and JPG files (hidden ones left out) in name order.
import fs from 'node:fs';
import path from 'node:path';
import { dataError } from './errors.js';

export const LAYOUT_IMAGE = /\.(png|jpe?g)$/i;

export function listLayoutFiles(p: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw dataError(`layouts '${p}' do not exist`);
  }
  if (st.isFile()) return [p];
  const files = fs
    .readdirSync(p)
    .filter((f) => LAYOUT_IMAGE.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(p, f));
  if (!files.length) throw dataError(`layouts folder '${p}' holds no PNG or JPG files`);
  return files;
}
