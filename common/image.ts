// Images in and out: decode PNG/JPG to 8-bit RGB (alpha dropped), read single-channel index PNGs, encode
// PNG (atomic writes), float CHW planes to and from 8-bit RGB, tiling into strips and grids, and the
// palette colours of layouts. Pixel data is interleaved HWC: RGB images hold width*height*3 bytes,
// index maps width*height values.
import sharp from 'sharp';
import { ClassInfo, GeneratorSpec } from '../graph/spec.js';
import { conditionPicture } from './conditions.js';
import { UserError, dataError } from './errors.js';
import { writeFileAtomicAsync } from './files.js';
import { indicesToColors } from './label-maps.js';

export { indicesToColors };

/** An 8-bit image, interleaved rows (channels 3 = RGB, 1 = index or grey). */
export interface Image8 {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

export type RgbImage = Image8 & { channels: 3 };

/** A decoded file: either colour (RGB) or a single-channel map of integer values (8- or 16-bit). */
export type DecodedImage = { kind: 'rgb'; data: Uint8Array; width: number; height: number } | { kind: 'index'; data: Uint8Array | Uint16Array; width: number; height: number };

function describe(e: unknown): string {
  return ((e as Error).message ?? String(e)).split('\n')[0];
}

function fileError(file: string, e: unknown): UserError {
  if (e instanceof UserError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return dataError(`image '${file}' does not exist`);
  return dataError(`image '${file}' cannot be decoded: ${describe(e)}`);
}

/** Decodes any PNG/JPG to RGB bytes (grey is expanded, alpha dropped). Truncated files are errors. */
export async function readRgb(file: string | Buffer, name = typeof file === 'string' ? file : '<buffer>'): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(file, { failOn: 'truncated' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  } catch (e) {
    throw fileError(name, e);
  }
}

/**
 * Decodes a label file. A single-channel image without a colour palette (grey PNG of 1, 2, 4, 8 or 16
 * bits; an alpha channel is dropped) is an index map whose values are used as they are; everything else
 * (colour PNG, palette PNG, JPG of any kind) is decoded to RGB.
 */
export async function readLabelImage(file: string | Buffer, name = typeof file === 'string' ? file : '<buffer>'): Promise<DecodedImage> {
  try {
    const meta = await sharp(file).metadata();
    const grey = meta.format === 'png' && !meta.isPalette && (meta.channels === 1 || (meta.channels === 2 && meta.hasAlpha));
    if (!grey) {
      const img = await readRgb(file, name);
      return { kind: 'rgb', data: img.data, width: img.width, height: img.height };
    }
    return { kind: 'index', ...(await readGreyValues(file, meta.bitsPerSample ?? 8)) };
  } catch (e) {
    throw fileError(name, e);
  }
}

/**
 * The stored values of a grey PNG. libvips decodes every grey PNG to 16 bits without loss when asked for
 * grey16 (plain 8-bit output keeps the high byte of a 16-bit file), and scales 1-, 2- and 4-bit values up
 * to the full range: the scale is undone exactly, so a 4-bit map holding 11 reads 11, not 187.
 */
async function readGreyValues(file: string | Buffer, bits: number): Promise<{ data: Uint8Array | Uint16Array; width: number; height: number }> {
  const { data, info } = await sharp(file, { failOn: 'truncated' }).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  // (a view needs an even offset; sharp's buffers have one, a copy covers any other)
  const wide = data.byteOffset % 2 ? new Uint16Array(Uint8Array.from(data).buffer) : new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const stride = info.channels;
  if (bits === 16) {
    const values = new Uint16Array(n);
    for (let i = 0; i < n; i++) values[i] = wide[i * stride];
    return { data: values, width: info.width, height: info.height };
  }
  const scale = 65535 / (2 ** bits - 1);
  const values = new Uint8Array(n);
  for (let i = 0; i < n; i++) values[i] = Math.round(wide[i * stride] / scale);
  return { data: values, width: info.width, height: info.height };
}

/**
 * PNG bytes of an RGB or single-channel (grey, e.g. class indices) 8-bit image. zlib level 3: `divsyn
 * sample` encodes every image it makes, so encoding speed counts more than the last bytes of size.
 */
export async function encodePng(img: Image8): Promise<Buffer> {
  if (img.data.length !== img.width * img.height * img.channels) throw new Error(`encodePng: ${img.data.length} bytes for ${img.width}x${img.height}x${img.channels}`);
  let s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: img.channels } });
  if (img.channels === 1) s = s.toColourspace('b-w');
  return s.png({ compressionLevel: 3 }).toBuffer();
}

/** Writes a PNG atomically (common/files.ts: write beside, fsync, rename; opts as writeFileAtomic's), encoding and writing off the event loop's thread. */
export async function writePng(file: string, img: Image8, opts: { syncDir?: boolean } = {}): Promise<void> {
  await writeFileAtomicAsync(file, await encodePng(img), opts);
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

/** [3, H, W] floats in [0, 1] (clipped) at `chw[offset…]` to interleaved 8-bit RGB. */
export function chwToRgb(chw: Float32Array, height: number, width: number, offset = 0): RgbImage {
  const hw = height * width;
  const data = new Uint8Array(hw * 3);
  // A plane at a time, and v·255 + 0.5 truncated, which for a float32 v in (0, 1) is Math.round(v·255)
  // (test/image.test.ts checks each rounding boundary): `divsyn sample` converts every image it makes.
  for (let c = 0; c < 3; c++) {
    const plane = chw.subarray(offset + c * hw, offset + (c + 1) * hw);
    for (let p = 0, q = c; p < hw; p++, q += 3) {
      const v = plane[p];
      data[q] = v <= 0 ? 0 : v >= 1 ? 255 : (v * 255 + 0.5) | 0;
    }
  }
  return { data, width, height, channels: 3 };
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
  return { data, width, height, channels: 3 };
}

/** One row of a sample grid: the images shown first (a layout, a photo), then generated images [n, 3, H, W]. */
export interface GridRow {
  lead: RgbImage[];
  images: Float32Array;
}

/** Rows of equally many images, one row per layout, tiled as `tile` does; with labels, one above each column (and one left of each row). */
export function sampleGrid(rows: GridRow[], height: number, width: number, columnLabels?: string[], rowLabels?: string[]): RgbImage {
  const per = 3 * height * width;
  const cells = rows.flatMap((r) => [...r.lead, ...Array.from({ length: r.images.length / per }, (_, k) => chwToRgb(r.images, height, width, k * per))]);
  const body = tile(cells, cells.length / rows.length);
  return columnLabels || rowLabels ? withLabels(body, { width, height }, 2, columnLabels ?? [], rowLabels) : body;
}

/** A one-hot layout [C, H, W] in its palette's colours; a pixel of no class (all ≤ 0.5) is black. */
export function layoutToRgb(onehot: Float32Array, layout: { classes: ClassInfo[]; height: number; width: number }): RgbImage {
  const hw = layout.height * layout.width;
  const indices = new Int32Array(hw).fill(-1);
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < layout.classes.length; c++) {
      if (onehot[c * hw + p] > 0.5) {
        indices[p] = c;
        break;
      }
    }
  }
  return { data: indicesToColors(indices, layout.classes), width: layout.width, height: layout.height, channels: 3 };
}

/** A model's conditioning input [C, H, W] as a picture: a layout in its palette's colours, a normal map or heat maps as common/conditions.ts draws them. */
export function conditionToRgb(planes: Float32Array, spec: GeneratorSpec): RgbImage {
  if (!spec.condition) return layoutToRgb(planes, spec);
  return { data: conditionPicture(spec.condition.kind, planes, spec.condition.channels, spec.width, spec.height), width: spec.width, height: spec.height, channels: 3 };
}

/** A 3x5 pixel font (rows of three bits, top to bottom): digits, letters, and the signs labels use. */
const GLYPHS: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001001010010',
  '8': '111101111101111',
  '9': '111101111001111',
  a: '010101111101101',
  b: '110101110101110',
  c: '011100100100011',
  d: '110101101101110',
  e: '111100110100111',
  f: '111100110100100',
  g: '011100101101011',
  h: '101101111101101',
  i: '111010010010111',
  j: '001001001101010',
  k: '101101110101101',
  l: '100100100100111',
  m: '101111111101101',
  n: '110101101101101',
  o: '010101101101010',
  p: '110101110100100',
  q: '010101101110011',
  r: '110101110101101',
  s: '011100010001110',
  t: '111010010010010',
  u: '101101101101111',
  v: '101101101101010',
  w: '101101111111101',
  x: '101101010101101',
  y: '101101010010010',
  z: '111001010100111',
  '-': '000000111000000',
  '.': '000000000000010',
  '=': '000111000111000',
  '+': '000010111010000',
  _: '000000000000111',
  ' ': '000000000000000',
};
const GLYPH_SCALE = 2;
const GLYPH_W = 3 * GLYPH_SCALE;
const GLYPH_H = 5 * GLYPH_SCALE;

/** Writes text (lower-cased; unknown characters as blanks) in dark grey into img with its top-left corner at (x, y). */
function drawText(img: RgbImage, text: string, x: number, y: number): void {
  [...text.toLowerCase()].forEach((ch, i) => {
    const bits = GLYPHS[ch] ?? GLYPHS[' '];
    for (let gy = 0; gy < GLYPH_H; gy++)
      for (let gx = 0; gx < GLYPH_W; gx++) {
        if (bits[Math.floor(gy / GLYPH_SCALE) * 3 + Math.floor(gx / GLYPH_SCALE)] !== '1') continue;
        const px = x + i * (GLYPH_W + GLYPH_SCALE) + gx;
        const py = y + gy;
        if (px >= 0 && px < img.width && py < img.height) img.data.fill(64, (py * img.width + px) * 3, (py * img.width + px) * 3 + 3);
      }
  });
}

/** Width in pixels of text written by drawText. */
const textWidth = (text: string) => Math.max(0, text.length * (GLYPH_W + GLYPH_SCALE) - GLYPH_SCALE);

/**
 * A label as lines no wider than `width` pixels: broken after spaces, commas and hyphens, and a word
 * wider than the cell at its characters (so that a long label never runs into its neighbour's column).
 */
export function wrapLabel(label: string, width: number): string[] {
  const perLine = Math.max(1, Math.floor((width + GLYPH_SCALE) / (GLYPH_W + GLYPH_SCALE)));
  const lines: string[] = [];
  let line = '';
  for (const word of label.match(/[^ ,-]*[ ,-]*/g)!.filter(Boolean)) {
    if ((line + word).trimEnd().length <= perLine) {
      line += word;
      continue;
    }
    if (line.trim()) lines.push(line.trimEnd());
    // a separator that would not fit is left at the break
    line = word.trimEnd().length <= perLine ? word : word.replace(/[ ,]+$/, '');
    while (line.length > perLine) {
      lines.push(line.slice(0, perLine));
      line = line.slice(perLine);
    }
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines.length ? lines : [''];
}

/** A tiled body with a label above each column (wrapped to its width) and, optionally, one left of each row. */
function withLabels(body: RgbImage, cell: { width: number; height: number }, gap: number, columnLabels: string[], rowLabels: string[] = []): RgbImage {
  const left = rowLabels.length ? Math.max(...rowLabels.map(textWidth)) + 2 * gap : 0;
  const wrapped = columnLabels.map((label) => wrapLabel(label, cell.width));
  const lineCount = Math.max(1, ...wrapped.map((lines) => lines.length));
  const top = lineCount * (GLYPH_H + gap) + gap;
  const out: RgbImage = { data: new Uint8Array((body.width + left) * (body.height + top) * 3).fill(255), width: body.width + left, height: body.height + top, channels: 3 };
  for (let y = 0; y < body.height; y++) out.data.set(body.data.subarray(y * body.width * 3, (y + 1) * body.width * 3), ((y + top) * out.width + left) * 3);
  wrapped.forEach((lines, c) =>
    lines.forEach((line, l) => drawText(out, line, left + c * (cell.width + gap) + Math.max(0, Math.floor((cell.width - textWidth(line)) / 2)), gap + l * (GLYPH_H + gap))),
  );
  rowLabels.forEach((label, r) => drawText(out, label, gap, top + r * (cell.height + gap) + Math.max(0, Math.floor((cell.height - GLYPH_H) / 2))));
  return out;
}

/**
 * Images i = 0… in rows of `columns`, with each column numbered above it and each row numbered on the left
 * by the index of its first image, so image i sits at row label + column label.
 */
export function labelledGrid(images: RgbImage[], columns: number, gap = 2): RgbImage {
  const cols = Math.max(1, Math.min(columns, images.length));
  const rows = Math.ceil(images.length / cols);
  const body = tile(images, cols, gap);
  return withLabels(
    body,
    images[0],
    gap,
    Array.from({ length: cols }, (_, c) => String(c)),
    Array.from({ length: rows }, (_, r) => String(r * cols)),
  );
}
