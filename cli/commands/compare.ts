// divsyn compare: full-reference similarity of two images (RMSE, SSIM, FSIM, FSIMc) as one JSON line.
import fs from 'node:fs';
import { readRgb } from '../../common/image.js';
import { dataError } from '../../common/errors.js';
import { SSIM_WINDOW, fsimBoth, luma, planesFromInterleaved, rmseRgb, ssim } from '../../metrics/similarity.js';
import { defineCommand } from '../command.js';

export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'Print {"rmse", "ssim", "fsim", "fsimc"} of two images of one size (A is the reference).',
  options: {},
  positional: { min: 2, max: 2, names: 'A.png B.png' },
  async run({ positional }) {
    const [fileA, fileB] = positional;
    for (const f of [fileA, fileB]) if (!fs.existsSync(f)) throw dataError(`image '${f}' does not exist`);
    const a = await readRgb(fileA);
    const b = await readRgb(fileB);
    if (a.width !== b.width || a.height !== b.height) throw dataError(`images differ in size (HxW): '${fileA}' is ${a.height}x${a.width}, '${fileB}' is ${b.height}x${b.width}`);
    if (a.width < SSIM_WINDOW || a.height < SSIM_WINDOW) throw dataError(`images are ${a.height}x${a.width} (HxW): SSIM needs at least ${SSIM_WINDOW}x${SSIM_WINDOW} pixels`);
    const pa = planesFromInterleaved(a.data, a.width, a.height);
    const pb = planesFromInterleaved(b.data, b.width, b.height);
    const { fsim, fsimc } = fsimBoth(pa, pb);
    console.log(JSON.stringify({ rmse: rmseRgb(pa, pb), ssim: ssim(luma(pa), luma(pb), a.width, a.height), fsim, fsimc }));
  },
});
