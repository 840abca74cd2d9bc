// pix2pix augmentation on layout and photo alike: a random S×S crop of the (already enlarged, 286/256·S)
// pair and a random horizontal flip. Typed-array code.
import { Rng } from '../graph/random.js';

export interface Pair {
  /** Class index per pixel [H, W]. */
  classes: Uint8Array;
  /** RGB [3, H, W] in [0, 1]. */
  photo: Float32Array;
  height: number;
  width: number;
}

/** The enlarged size pix2pix crops from: 286 for 256. */
export function loadSize(size: number): number {
  return Math.round((286 / 256) * size);
}

export function cropFlip(p: Pair, size: number, rng: Rng): Pair {
  const x0 = rng.int(p.width - size + 1);
  const y0 = rng.int(p.height - size + 1);
  const flip = rng.uniform() < 0.5;
  const classes = new Uint8Array(size * size);
  const photo = new Float32Array(3 * size * size);
  const hwIn = p.height * p.width;
  const hwOut = size * size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = flip ? x0 + size - 1 - x : x0 + x;
      const src = (y0 + y) * p.width + sx;
      const dst = y * size + x;
      classes[dst] = p.classes[src];
      for (let c = 0; c < 3; c++) photo[c * hwOut + dst] = p.photo[c * hwIn + src];
    }
  }
  return { classes, photo, height: size, width: size };
}

/** Write the one-hot encoding [C, H, W] of a class map into out at offset. */
export function oneHotInto(out: Float32Array, offset: number, classes: Uint8Array, numClasses: number): void {
  const hw = classes.length;
  out.fill(0, offset, offset + numClasses * hw);
  for (let p = 0; p < hw; p++) out[offset + classes[p] * hw + p] = 1;
}
