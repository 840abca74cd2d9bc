// divsyn compare: api/compare.ts's compareImages() as one JSON line.
import { compareImages } from '../../api/compare.js';
import { defineCommand } from '../command.js';

export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'Print {"rmse", "ssim", "fsim", "fsimc"} of two images of one size (A is the reference).',
  options: {},
  positional: { min: 2, max: 2, names: 'A.png B.png' },
  async run({ positional }) {
    console.log(JSON.stringify(await compareImages(positional[0], positional[1])));
  },
});
