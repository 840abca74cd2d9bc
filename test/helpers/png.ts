// PNG files built byte by byte (node:zlib for the data), so tests can make every kind users have (grey of
// 1 to 16 bits, grey+alpha, RGB, RGBA, palette) without trusting the encoder of the decoder under test.
import zlib from 'node:zlib';

/** PNG colour types: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
export type PngColourType = 0 | 2 | 3 | 4 | 6;

const CHANNELS: Record<PngColourType, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export interface PngImage {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16 (as the colour type allows). */
  depth: 1 | 2 | 4 | 8 | 16;
  colourType: PngColourType;
  /** Samples, row-major, channels interleaved (palette images: palette indices). */
  samples: ArrayLike<number>;
  /** Palette colours (colour type 3). */
  palette?: [number, number, number][];
}

/** The bytes of a PNG holding exactly these samples (filter 0 on every row, no interlace). */
export function pngBytes(img: PngImage): Buffer {
  const channels = CHANNELS[img.colourType];
  if (img.samples.length !== img.width * img.height * channels) throw new Error(`pngBytes: ${img.samples.length} samples for ${img.width}x${img.height}x${channels}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(img.width, 0);
  header.writeUInt32BE(img.height, 4);
  header[8] = img.depth;
  header[9] = img.colourType;
  const rowBytes = Math.ceil((img.width * channels * img.depth) / 8);
  const raw = Buffer.alloc(img.height * (1 + rowBytes));
  for (let y = 0; y < img.height; y++) {
    const base = y * (1 + rowBytes) + 1;
    for (let k = 0; k < img.width * channels; k++) {
      const v = img.samples[y * img.width * channels + k];
      if (img.depth === 16) raw.writeUInt16BE(v, base + 2 * k);
      else if (img.depth === 8) raw[base + k] = v;
      else {
        const bit = k * img.depth;
        raw[base + (bit >> 3)] |= v << (8 - img.depth - (bit & 7));
      }
    }
  }
  const parts = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header)];
  if (img.palette) parts.push(chunk('PLTE', Uint8Array.from(img.palette.flat())));
  parts.push(chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
