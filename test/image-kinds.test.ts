// Every kind of image file users have, read right (common/image.ts, train/labels.ts): grey index maps of
// 1 to 16 bits with their exact values, grey+alpha, palette PNGs, RGB and RGBA of 8 and 16 bits, JPEG in
// colour and grey. The PNGs are built byte by byte (test/helpers/png.ts).
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { UserError } from '../common/errors.js';
import { readLabelImage, readRgb } from '../common/image.js';
import { cmpFacades } from '../common/palettes.js';
import { ClassInfo } from '../graph/spec.js';
import { readLabelMap } from '../train/labels.js';
import { pairsDataset } from '../train/datasets.js';
import { PngImage, pngBytes } from './helpers/png.js';
import { tempDir } from './helpers/cli.js';

const CMP = cmpFacades();

function writePngFile(dir: string, name: string, img: PngImage): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, pngBytes(img));
  return file;
}

test('grey index maps of 1, 2, 4, 8 and 16 bits read as the values stored, not rescaled', async (t) => {
  const d = tempDir('divsyn-kinds-');
  const cases: [PngImage['depth'], number[]][] = [
    [1, [0, 1, 1, 0]],
    [2, [0, 1, 2, 3]],
    [4, [0, 1, 11, 15]],
    [8, [0, 1, 11, 255]],
    [16, [1, 514, 771, 65535]],
  ];
  for (const [depth, values] of cases) {
    const file = writePngFile(d, `g${depth}.png`, { width: 2, height: 2, depth, colourType: 0, samples: values });
    const img = await readLabelImage(file);
    t.is(img.kind, 'index', `${depth} bits`);
    t.deepEqual([...img.data], values, `${depth} bits`);
    t.deepEqual([img.width, img.height], [2, 2]);
  }
});

test('a 16-bit index map: values 1..12 are the CMP label ids; 514 and 771 are no class, not 2 and 3', async (t) => {
  const d = tempDir('divsyn-kinds-');
  const ids = Array.from({ length: 12 }, (_, i) => i + 1);
  const ok = writePngFile(d, 'ids16.png', { width: 4, height: 3, depth: 16, colourType: 0, samples: ids });
  t.deepEqual([...(await readLabelMap(ok, CMP)).indices], [...Array(12).keys()]);
  const high = writePngFile(d, 'high16.png', { width: 2, height: 1, depth: 16, colourType: 0, samples: [514, 771] });
  const e = await readLabelMap(high, CMP).catch((x: unknown) => x);
  t.true(e instanceof UserError);
  t.regex((e as Error).message, /high16\.png.*value 514 at pixel \(0, 0\)/);
  // a palette whose label ids are above 255 reads them as they are
  const wide: ClassInfo[] = [
    { name: 'low', color: [0, 0, 0], ids: [514] },
    { name: 'high', color: [255, 255, 255], ids: [771] },
  ];
  t.deepEqual([...(await readLabelMap(high, wide)).indices], [0, 1]);
});

test('grey+alpha index maps (8 and 16 bits): the grey values, whatever the alpha', async (t) => {
  const d = tempDir('divsyn-kinds-');
  const a8 = writePngFile(d, 'ga8.png', { width: 2, height: 2, depth: 8, colourType: 4, samples: [0, 255, 1, 0, 11, 128, 255, 255] });
  t.deepEqual([...(await readLabelImage(a8)).data], [0, 1, 11, 255]);
  const a16 = writePngFile(d, 'ga16.png', { width: 2, height: 2, depth: 16, colourType: 4, samples: [1, 65535, 514, 0, 771, 9, 65535, 65535] });
  const img = await readLabelImage(a16);
  t.is(img.kind, 'index');
  t.deepEqual([...img.data], [1, 514, 771, 65535]);
});

test('palette PNGs (4 and 8 bits) are colour label maps: their colours, matched to the palette', async (t) => {
  const d = tempDir('divsyn-kinds-');
  const colours = [CMP[0].color, CMP[2].color, CMP[11].color];
  for (const depth of [4, 8] as const) {
    const file = writePngFile(d, `p${depth}.png`, { width: 4, height: 1, depth, colourType: 3, samples: [0, 1, 2, 1], palette: colours });
    const img = await readLabelImage(file);
    t.is(img.kind, 'rgb');
    t.deepEqual([...img.data], [...colours[0], ...colours[1], ...colours[2], ...colours[1]]);
    t.deepEqual([...(await readLabelMap(file, CMP)).indices], [0, 2, 11, 2]);
  }
});

test('RGB and RGBA PNGs of 8 and 16 bits decode to 8-bit RGB, alpha dropped', async (t) => {
  const d = tempDir('divsyn-kinds-');
  const rgb8 = writePngFile(d, 'rgb8.png', { width: 2, height: 1, depth: 8, colourType: 2, samples: [1, 2, 3, 250, 0, 9] });
  t.deepEqual([...(await readRgb(rgb8)).data], [1, 2, 3, 250, 0, 9]);
  // 16-bit samples v read as round(v / 257)
  const rgb16 = writePngFile(d, 'rgb16.png', { width: 2, height: 1, depth: 16, colourType: 2, samples: [257, 514, 771, 65535, 0, 2570] });
  t.deepEqual([...(await readRgb(rgb16)).data], [1, 2, 3, 255, 0, 10]);
  const rgba8 = writePngFile(d, 'rgba8.png', { width: 2, height: 1, depth: 8, colourType: 6, samples: [1, 2, 3, 0, 250, 0, 9, 255] });
  t.deepEqual([...(await readRgb(rgba8)).data], [1, 2, 3, 250, 0, 9]);
  const rgba16 = writePngFile(d, 'rgba16.png', { width: 2, height: 1, depth: 16, colourType: 6, samples: [257, 514, 771, 1, 65535, 0, 2570, 65535] });
  t.deepEqual([...(await readRgb(rgba16)).data], [1, 2, 3, 255, 0, 10]);
  // as label maps they are colour maps
  const lab = writePngFile(d, 'lab16.png', { width: 2, height: 1, depth: 16, colourType: 6, samples: [...CMP[3].color.map((v) => v * 257), 0, ...CMP[5].color.map((v) => v * 257), 65535] });
  t.deepEqual([...(await readLabelMap(lab, CMP)).indices], [3, 5]);
});

test('JPEG in colour and in grey decodes to RGB; a grey JPEG is a colour map, not an index map', async (t) => {
  const d = tempDir('divsyn-kinds-');
  const w = 16;
  const flat = (rgb: number[]) => Buffer.from(Array.from({ length: w * w }, () => rgb).flat());
  const colour = path.join(d, 'c.jpg');
  await sharp(flat(CMP[2].color), { raw: { width: w, height: w, channels: 3 } })
    .jpeg({ quality: 95 })
    .toFile(colour);
  t.is((await readLabelImage(colour)).kind, 'rgb');
  t.true((await readLabelMap(colour, CMP)).indices.every((c) => c === 2));
  const grey = path.join(d, 'g.jpg');
  await sharp(Buffer.alloc(w * w, 90), { raw: { width: w, height: w, channels: 1 } })
    .jpeg({ quality: 95 })
    .toFile(grey);
  const img = await readRgb(grey);
  t.is(img.data.length, w * w * 3);
  t.true(
    img.data.every((v) => Math.abs(v - 90) <= 1),
    'grey expanded to three equal channels',
  );
  t.is((await readLabelImage(grey)).kind, 'rgb');
});

test('a pairs dataset with 16-bit index layouts trains on the right classes', async (t) => {
  const d = tempDir('divsyn-kinds-');
  fs.mkdirSync(path.join(d, 'layouts'));
  fs.mkdirSync(path.join(d, 'photos'));
  const ids = [1, 12, 3, 7];
  writePngFile(d, 'layouts/a.png', { width: 2, height: 2, depth: 16, colourType: 0, samples: ids });
  writePngFile(d, 'photos/a.png', { width: 2, height: 2, depth: 8, colourType: 2, samples: Array(12).fill(100) });
  const s = await pairsDataset(d, CMP).load(0);
  t.deepEqual([...s.layout], [0, 11, 2, 6]);
});
