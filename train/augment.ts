// pix2pix augmentation on layout and photo alike (and on a normal map or landmark points with their photo): resize to the load size round(286/256·S) (nearest for
// the layout, bilinear for the photo), a random S×S crop and a random horizontal flip, all drawn from a
// seeded Rng so that a position in the data stream always gets the same crop. Typed-array code.
import { Rng } from '../graph/random.js';
import { resizeBilinear, resizeNearest } from './resize.js';
import { mirrorPoints } from '../common/conditions.js';

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

/** A normal map (RGB bytes, R: x) and its photo, of one size. */
export interface NormalsPhoto {
  normals: Uint8Array;
  photo: Uint8Array;
  width: number;
  height: number;
}

/**
 * augmentPair for a normal map: both resized bilinearly, cropped and flipped alike. A mirrored normal map
 * points the other way in x, so the flip also negates x (v → 255 − v, exactly −x in [-1, 1]).
 */
export function augmentNormals(p: NormalsPhoto, rng: Rng, outW: number, outH = outW, o: AugmentOptions = {}): NormalsPhoto & CropFlip {
  const crop = o.crop ?? true;
  const W = crop ? loadSize(outW) : outW;
  const H = crop ? loadSize(outH) : outH;
  const normals = resizeBilinear(p.normals, p.width, p.height, 3, W, H);
  const photo = resizeBilinear(p.photo, p.width, p.height, 3, W, H);
  const c = crop ? drawCropFlip(rng, W, H, outW, outH, o.flip ?? true) : { x0: 0, y0: 0, flip: (o.flip ?? true) && rng.uniform() < 0.5 };
  const n = cropFlipBytes(normals, W, H, 3, c, outW, outH);
  if (c.flip) for (let i = 0; i < n.length; i += 3) n[i] = 255 - n[i];
  return { normals: n, photo: cropFlipBytes(photo, W, H, 3, c, outW, outH), width: outW, height: outH, ...c };
}

/** Landmark points [x0, y0, …] in a photo's pixels (pixel i's centre at i), and the photo. */
export interface PointsPhoto {
  points: Float32Array;
  photo: Uint8Array;
  width: number;
  height: number;
}

/** Points of a w×h image in a W×H resize of it (half-pixel centres, as resizeBilinear samples). */
export function scalePoints(points: Float32Array, w: number, h: number, W: number, H: number): Float32Array {
  const out = new Float32Array(points.length);
  for (let i = 0; i < points.length; i += 2) {
    out[i] = ((points[i] + 0.5) * W) / w - 0.5;
    out[i + 1] = ((points[i + 1] + 0.5) * H) / h - 0.5;
  }
  return out;
}

/**
 * augmentPair for landmarks: the photo resized, cropped and flipped, and the points moved with it. A flip
 * mirrors x and permutes the points by `mirror` (the 68-point scheme's mirror map, common/conditions.ts
 * flipPermutation); without a mirror map there is no flip (the draw is made all the same, so the stream of
 * crops does not depend on it).
 */
export function augmentPoints(p: PointsPhoto, rng: Rng, mirror: readonly number[] | undefined, outW: number, outH = outW, o: AugmentOptions = {}): PointsPhoto & CropFlip {
  const crop = o.crop ?? true;
  const W = crop ? loadSize(outW) : outW;
  const H = crop ? loadSize(outH) : outH;
  const flip = (o.flip ?? true) && mirror !== undefined;
  const photo = resizeBilinear(p.photo, p.width, p.height, 3, W, H);
  const c = crop ? drawCropFlip(rng, W, H, outW, outH, flip) : { x0: 0, y0: 0, flip: rng.uniform() < 0.5 && flip };
  const cropped = scalePoints(p.points, p.width, p.height, W, H);
  for (let i = 0; i < cropped.length; i += 2) {
    cropped[i] -= c.x0;
    cropped[i + 1] -= c.y0;
  }
  return { points: c.flip ? mirrorPoints(cropped, outW, mirror!) : cropped, photo: cropFlipBytes(photo, W, H, 3, c, outW, outH), width: outW, height: outH, ...c };
}
