// pix2pix augmentation on layout and photo alike: resize to the load size round(286/256·S) (nearest for
// the layout, bilinear for the photo), a random S×S crop and a random horizontal flip, all drawn from a
// seeded Rng so that a position in the data stream always gets the same crop. Typed-array code.
import { Rng } from '../graph/random.js';
import { resizeBilinear, resizeNearest } from './resize.js';

/** The enlarged size pix2pix crops from: 286 for 256. */
export function loadSize(size: number): number {
  return Math.round((286 / 256) * size);
}

/** Where the crop starts and whether it is mirrored. */
export interface CropFlip {
  x0: number;
  y0: number;
  flip: boolean;
}

/** Draws a crop of outW×outH inside inW×inH and a flip (in this order: x0, y0, flip). */
export function drawCropFlip(rng: Rng, inW: number, inH: number, outW: number, outH: number, flip = true): CropFlip {
  const x0 = rng.int(inW - outW + 1);
  const y0 = rng.int(inH - outH + 1);
  const f = rng.uniform() < 0.5;
  return { x0, y0, flip: flip && f };
}

/** Crops outW×outH at (x0, y0), mirrored when flip, from an interleaved image of `channels` channels. */
export function cropFlipBytes(src: Uint8Array, w: number, h: number, channels: number, c: CropFlip, outW: number, outH: number): Uint8Array {
  if (c.x0 < 0 || c.y0 < 0 || c.x0 + outW > w || c.y0 + outH > h) throw new Error(`crop ${outW}x${outH} at (${c.x0}, ${c.y0}) outside ${w}x${h}`);
  const out = new Uint8Array(outW * outH * channels);
  const rowLen = outW * channels;
  for (let y = 0; y < outH; y++) {
    const s = ((c.y0 + y) * w + c.x0) * channels;
    const o = y * rowLen;
    if (!c.flip) out.set(src.subarray(s, s + rowLen), o);
    else if (channels === 1) for (let x = 0; x < outW; x++) out[o + x] = src[s + outW - 1 - x];
    else if (channels === 3)
      for (let x = 0; x < outW; x++) {
        const a = s + (outW - 1 - x) * 3;
        const b = o + x * 3;
        out[b] = src[a];
        out[b + 1] = src[a + 1];
        out[b + 2] = src[a + 2];
      }
    else for (let x = 0; x < outW; x++) for (let k = 0; k < channels; k++) out[o + x * channels + k] = src[s + (outW - 1 - x) * channels + k];
  }
  return out;
}

/** A layout (class indices) and its photo (RGB, interleaved), of one size. */
export interface LayoutPhoto {
  layout: Uint8Array;
  photo: Uint8Array;
  width: number;
  height: number;
}

export interface AugmentOptions {
  /** Random crop from the load size (default true); false resizes straight to the output size. */
  crop?: boolean;
  /** Random horizontal flip (default true). */
  flip?: boolean;
}

/**
 * pix2pix's resize_and_crop + flip, to outW×outH (outH defaults to outW): resize both to
 * round(286/256·out) per side, crop at a random place, mirror half of the time. The layout and the
 * photo get the same crop and flip. A pair already at the load size is not resized.
 */
export function augmentPair(p: LayoutPhoto, rng: Rng, outW: number, outH = outW, o: AugmentOptions = {}): LayoutPhoto & CropFlip {
  if (p.layout.length !== p.width * p.height || p.photo.length !== 3 * p.width * p.height) throw new Error(`augmentPair: layout/photo sizes do not match ${p.width}x${p.height}`);
  const crop = o.crop ?? true;
  const W = crop ? loadSize(outW) : outW;
  const H = crop ? loadSize(outH) : outH;
  const layout = p.width === W && p.height === H ? p.layout : resizeNearest(p.layout, p.width, p.height, 1, W, H);
  const photo = p.width === W && p.height === H ? p.photo : resizeBilinear(p.photo, p.width, p.height, 3, W, H);
  const c = crop ? drawCropFlip(rng, W, H, outW, outH, o.flip ?? true) : { x0: 0, y0: 0, flip: (o.flip ?? true) && rng.uniform() < 0.5 };
  return { layout: cropFlipBytes(layout, W, H, 1, c, outW, outH), photo: cropFlipBytes(photo, W, H, 3, c, outW, outH), width: outW, height: outH, ...c };
}
