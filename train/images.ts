// Image files and resampling: decode PNG/JPG to 8-bit RGB (alpha dropped), read single-channel index
// PNGs, encode PNG (atomic writes), and resize (separable bilinear for photos, nearest for layouts).
// Pixel data is interleaved HWC: RGB images hold width*height*3 bytes, index maps width*height values.
import sharp from 'sharp';
import { UserError, writeFileAtomic } from '../runtime/files.js';

/** An 8-bit image, interleaved rows (channels 3 = RGB, 1 = index or grey). */
export interface Image8 {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** A decoded file: either colour (RGB) or a single-channel map of integer values (8- or 16-bit). */
export type DecodedImage =
  | { kind: 'rgb'; data: Uint8Array; width: number; height: number }
  | { kind: 'index'; data: Uint8Array | Uint16Array; width: number; height: number };

function describe(e: unknown): string {
  return ((e as Error).message ?? String(e)).split('\n')[0];
}

function fileError(file: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`image '${file}' does not exist`);
  return new UserError(`image '${file}' cannot be decoded: ${describe(e)}`);
}

/** Decodes any PNG/JPG to RGB bytes (grey is expanded, alpha dropped). Truncated files are errors. */
export async function readRgb(file: string | Buffer, name = typeof file === 'string' ? file : '<buffer>'): Promise<Image8 & { channels: 3 }> {
  try {
    const { data, info } = await sharp(file, { failOn: 'truncated' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  } catch (e) {
    throw fileError(name, e);
  }
}

/**
 * Decodes a label file. A single-channel image without a colour palette (grey PNG, 8 or 16 bit; an
 * alpha channel is dropped) is an index map whose values are used as they are; everything else
 * (colour PNG, palette PNG, JPG of any kind) is decoded to RGB.
 */
export async function readLabelImage(file: string): Promise<DecodedImage> {
  try {
    const meta = await sharp(file).metadata();
    const grey = meta.format === 'png' && !meta.isPalette && (meta.channels === 1 || (meta.channels === 2 && meta.hasAlpha));
    if (!grey) {
      const img = await readRgb(file);
      return { kind: 'rgb', data: img.data, width: img.width, height: img.height };
    }
    const wide = meta.depth === 'ushort';
    const { data, info } = await sharp(file, { failOn: 'truncated' })
      .extractChannel(0)
      .raw(wide ? { depth: 'ushort' } : {})
      .toBuffer({ resolveWithObject: true });
    const n = info.width * info.height;
    let values: Uint8Array | Uint16Array;
    if (wide) {
      values = new Uint16Array(n);
      const view = new DataView(data.buffer, data.byteOffset, data.length);
      for (let i = 0; i < n; i++) values[i] = view.getUint16(2 * i, true);
    } else values = new Uint8Array(data.buffer, data.byteOffset, n);
    return { kind: 'index', data: values, width: info.width, height: info.height };
  } catch (e) {
    throw fileError(file, e);
  }
}

/** PNG bytes of an RGB or single-channel (grey, e.g. class indices) 8-bit image. */
export async function encodePng(img: Image8): Promise<Buffer> {
  if (img.data.length !== img.width * img.height * img.channels) throw new Error(`encodePng: ${img.data.length} bytes for ${img.width}x${img.height}x${img.channels}`);
  let s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: img.channels } });
  if (img.channels === 1) s = s.toColourspace('b-w');
  return s.png({ compressionLevel: 6 }).toBuffer();
}

/** Writes a PNG atomically (write beside, then rename). */
export async function writePng(file: string, img: Image8): Promise<void> {
  writeFileAtomic(file, await encodePng(img));
}

/** RGB Uint8 HWC → Float32 CHW in [0, 1], written at `out[offset…]`. */
export function rgbToPlanar(rgb: Uint8Array, width: number, height: number, out = new Float32Array(3 * width * height), offset = 0): Float32Array {
  const n = width * height;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[offset + i] = rgb[j] / 255;
    out[offset + n + i] = rgb[j + 1] / 255;
    out[offset + 2 * n + i] = rgb[j + 2] / 255;
  }
  return out;
}

/** Float32 CHW (values in [0, 1], clipped) → RGB Uint8 HWC. */
export function planarToRgb(planar: Float32Array, width: number, height: number, offset = 0): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(3 * n);
  for (let i = 0, j = 0; i < n; i++, j += 3)
    for (let c = 0; c < 3; c++) {
      const v = planar[offset + c * n + i];
      out[j + c] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0;
    }
  return out;
}

/** Nearest-neighbour resize (pixel centres: source = floor((x + 0.5)·w/W)); any channel count. */
export function resizeNearest<T extends Uint8Array | Uint16Array>(src: T, w: number, h: number, channels: number, W: number, H: number): T {
  const out = new (src.constructor as { new (n: number): T })(W * H * channels);
  if (W === w && H === h) {
    out.set(src);
    return out;
  }
  const xs = new Int32Array(W);
  for (let x = 0; x < W; x++) xs[x] = Math.min(w - 1, Math.floor(((x + 0.5) * w) / W)) * channels;
  for (let y = 0; y < H; y++) {
    const row = Math.min(h - 1, Math.floor(((y + 0.5) * h) / H)) * w * channels;
    let o = y * W * channels;
    if (channels === 1) for (let x = 0; x < W; x++) out[o++] = src[row + xs[x]];
    else for (let x = 0; x < W; x++) for (let c = 0; c < channels; c++) out[o++] = src[row + xs[x] + c];
  }
  return out;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array; // count[i] weights per output i, at i*maxCount
  max: number;
}

/** Triangle-filter taps (half-pixel centres); the support widens when shrinking (antialiased, as PIL's BILINEAR). */
function bilinearTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const max = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * max);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    let lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    let total = 0;
    const ws: number[] = [];
    for (let j = lo; j < hi; j++) {
      const wgt = Math.max(0, 1 - Math.abs((j + 0.5 - centre) / support));
      ws.push(wgt);
      total += wgt;
    }
    // trim zero weights at both ends
    let a = 0;
    let b = ws.length;
    while (a < b && ws[a] === 0) a++;
    while (b > a && ws[b - 1] === 0) b--;
    if (a === b) {
      // cannot happen for support ≥ 1, but keep a valid tap
      a = 0;
      b = 1;
      ws[0] = 1;
      total = 1;
    }
    lo += a;
    start[i] = lo;
    count[i] = b - a;
    for (let k = a; k < b; k++) weights[i * max + k - a] = ws[k] / total;
  }
  return { start, count, weights, max };
}

/** Bilinear resize of 8-bit interleaved images (antialiased when shrinking), separable, rounded. */
export function resizeBilinear(src: Uint8Array, w: number, h: number, channels: number, W: number, H: number): Uint8Array {
  if (W === w && H === h) return src.slice();
  const tx = bilinearTaps(w, W);
  const ty = bilinearTaps(h, H);
  // horizontal pass: h rows × W columns (float)
  const mid = new Float32Array(h * W * channels);
  if (W === w) mid.set(src);
  else if (channels === 3)
    for (let y = 0; y < h; y++) {
      const srow = y * w * 3;
      let m = y * W * 3;
      for (let x = 0; x < W; x++, m += 3) {
        let p = srow + tx.start[x] * 3;
        const n = tx.count[x];
        const wo = x * tx.max;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        for (let k = 0; k < n; k++, p += 3) {
          const wgt = tx.weights[wo + k];
          a0 += wgt * src[p];
          a1 += wgt * src[p + 1];
          a2 += wgt * src[p + 2];
        }
        mid[m] = a0;
        mid[m + 1] = a1;
        mid[m + 2] = a2;
      }
    }
  else for (let y = 0; y < h; y++) {
    const srow = y * w * channels;
    const mrow = y * W * channels;
    for (let x = 0; x < W; x++) {
      const s = tx.start[x];
      const n = tx.count[x];
      const wo = x * tx.max;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weights[wo + k] * src[srow + (s + k) * channels + c];
        mid[mrow + x * channels + c] = acc;
      }
    }
  }
  const out = new Uint8Array(H * W * channels);
  const rowLen = W * channels;
  const acc = new Float32Array(rowLen);
  for (let y = 0; y < H; y++) {
    const s = ty.start[y];
    const n = ty.count[y];
    const wo = y * ty.max;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const wgt = ty.weights[wo + k];
      const m = (s + k) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += wgt * mid[m + i];
    }
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const v = Math.round(acc[i]);
      out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
