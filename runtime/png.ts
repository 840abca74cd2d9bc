// Images out: float CHW in [0, 1] to 8-bit RGB, tiling into strips and grids, atomic PNG writes (sharp).
import sharp from 'sharp';
import { writeFileAtomic } from './files.js';

export interface RgbImage {
  /** Interleaved RGB, 8 bits per channel. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** [3, H, W] floats in [0, 1] (clipped) to interleaved 8-bit RGB. */
export function chwToRgb(chw: Float32Array, height: number, width: number, offset = 0): RgbImage {
  const hw = height * width;
  const data = new Uint8Array(hw * 3);
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < 3; c++) {
      const v = chw[offset + c * hw + p];
      data[p * 3 + c] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
  }
  return { data, width, height };
}

/** Images of one size in a grid of `cols` columns, separated by `gap` white pixels. */
export function tile(images: RgbImage[], cols: number, gap = 2): RgbImage {
  const { width: w, height: h } = images[0];
  const rows = Math.ceil(images.length / cols);
  const width = cols * w + (cols - 1) * gap;
  const height = rows * h + (rows - 1) * gap;
  const data = new Uint8Array(width * height * 3).fill(255);
  images.forEach((img, i) => {
    const x0 = (i % cols) * (w + gap);
    const y0 = Math.floor(i / cols) * (h + gap);
    for (let y = 0; y < h; y++) data.set(img.data.subarray(y * w * 3, (y + 1) * w * 3), ((y0 + y) * width + x0) * 3);
  });
  return { data, width, height };
}

/** Write a PNG atomically (runtime/files.ts: temporary file, then rename). */
export async function writePng(file: string, img: RgbImage): Promise<void> {
  const png = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 3 })
    .toBuffer();
  writeFileAtomic(file, png);
}
