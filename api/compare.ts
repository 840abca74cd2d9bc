// compareImages(): full-reference similarity of two images of one size (A the reference).
import fs from 'node:fs';
import { readRgb } from '../common/image.js';
import { dataError } from '../common/errors.js';
import { SSIM_WINDOW, fsimBoth, luma, planesFromInterleaved, rmseRgb, ssim } from '../metrics/similarity.js';

export interface Similarity {
  rmse: number;
  ssim: number;
  fsim: number;
  fsimc: number;
}

/** RMSE, SSIM, FSIM and FSIMc of two image files, as `divsyn compare` prints them. */
export async function compareImages(fileA: string, fileB: string): Promise<Similarity> {
  for (const f of [fileA, fileB]) if (!fs.existsSync(f)) throw dataError(`image '${f}' does not exist`);
  const a = await readRgb(fileA);
  const b = await readRgb(fileB);
  if (a.width !== b.width || a.height !== b.height) throw dataError(`images differ in size (HxW): '${fileA}' is ${a.height}x${a.width}, '${fileB}' is ${b.height}x${b.width}`);
  if (a.width < SSIM_WINDOW || a.height < SSIM_WINDOW) throw dataError(`images are ${a.height}x${a.width} (HxW): SSIM needs at least ${SSIM_WINDOW}x${SSIM_WINDOW} pixels`);
  const pa = planesFromInterleaved(a.data, a.width, a.height);
  const pb = planesFromInterleaved(b.data, b.width, b.height);
  const { fsim, fsimc } = fsimBoth(pa, pb);
  return { rmse: rmseRgb(pa, pb), ssim: ssim(luma(pa), luma(pb), a.width, a.height), fsim, fsimc };
}
