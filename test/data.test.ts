// Data: images, label maps, datasets, augmentation and the batch loader. Files are written into temp dirs.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../graph/random.js';
import { UserError } from '../common/errors.js';
import { augmentPair, cropFlipBytes, drawCropFlip, loadSize } from '../train/augment.js';
import { alignedDataset, cityscapesDataset, fixtureDataset, openDataset, pairsDataset, Dataset, Sample } from '../train/datasets.js';
import { resizeBilinear, resizeNearest } from '../train/resize.js';
import { encodePng, readLabelImage, readRgb, rgbToPlanar, chwToRgb, writePng, indicesToColors } from '../common/image.js';
import { colorsToIndices, FAR_DISTANCE2, oneHot, readLabelMap, writeIndexPng } from '../train/labels.js';
import { BatchLoader, batchOpener, epochOrder, evalItems, positionOfStep } from '../train/loader.js';
import { cityscapes, cmpFacades, genericPalette } from '../common/palettes.js';
import { tempDir } from './helpers/cli.js';

const CMP = cmpFacades();

/** A blocky layout: class of pixel (x, y) from 8×8 blocks, every class present. */
function blockLayout(w: number, h: number, classes: number, block = 8): Uint8Array {
  const l = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) l[y * w + x] = (Math.floor(x / block) * 5 + Math.floor(y / block) * 3) % classes;
  return l;
}

/** A photo that encodes its pixel's coordinates: R = x, G = y, B = 128. */
function coordPhoto(w: number, h: number): Uint8Array {
  const p = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      p[3 * (y * w + x)] = x;
      p[3 * (y * w + x) + 1] = y;
      p[3 * (y * w + x) + 2] = 128;
    }
  return p;
}

async function writeJpeg(file: string, rgb: Uint8Array, w: number, h: number, quality = 75): Promise<void> {
  await sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality })
    .toFile(file);
}

/** Concatenates two RGB images side by side (A | B). */
function sideBySide(a: Uint8Array, b: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(2 * w * h * 3);
  for (let y = 0; y < h; y++) {
    out.set(a.subarray(y * w * 3, (y + 1) * w * 3), y * 2 * w * 3);
    out.set(b.subarray(y * w * 3, (y + 1) * w * 3), (y * 2 + 1) * w * 3);
  }
  return out;
}

const userError = (t: { true(v: boolean, m?: string): void }, e: unknown, ...parts: string[]) => {
  t.true(e instanceof UserError, `expected a UserError, got ${String(e)}`);
  for (const p of parts) t.true(String((e as Error).message).includes(p), `'${(e as Error).message}' should name '${p}'`);
  t.true(!(e as Error).message.includes('\n'), 'one line');
};

/** What f throws (undefined if it returns). */
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

// ---------------------------------------------------------------------------------------------------
// images

test('images: PNG round trip of RGB and single-channel images; JPG decodes to RGB; alpha dropped', async (t) => {
  const d = tempDir('divsyn-data-');
  const rgb = coordPhoto(20, 10);
  await writePng(path.join(d, 'a.png'), { data: rgb, width: 20, height: 10, channels: 3 });
  const back = await readRgb(path.join(d, 'a.png'));
  t.deepEqual([back.width, back.height, back.channels], [20, 10, 3]);
  t.deepEqual(back.data, rgb);
  const idx = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  await writePng(path.join(d, 'i.png'), { data: idx, width: 4, height: 3, channels: 1 });
  const li = await readLabelImage(path.join(d, 'i.png'));
  t.is(li.kind, 'index');
  t.deepEqual([...li.data], [...idx]);
  await writeJpeg(path.join(d, 'b.jpg'), rgb, 20, 10, 95);
  const j = await readRgb(path.join(d, 'b.jpg'));
  t.is(j.data.length, 20 * 10 * 3);
  const rgba = Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]);
  await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } })
    .png()
    .toFile(path.join(d, 'rgba.png'));
  t.deepEqual([...(await readRgb(path.join(d, 'rgba.png'))).data], [10, 20, 30, 40, 50, 60]);
  t.true((await encodePng({ data: rgb, width: 20, height: 10, channels: 3 })).subarray(1, 4).toString() === 'PNG');
  t.false(
    fs.readdirSync(d).some((f) => f.endsWith('.tmp')),
    'no temp files left',
  );
});

test('images: truncated, corrupt and missing files are UserErrors naming the file', async (t) => {
  const d = tempDir('divsyn-data-');
  const rgb = coordPhoto(64, 64);
  await writeJpeg(path.join(d, 'full.jpg'), rgb, 64, 64);
  const bytes = fs.readFileSync(path.join(d, 'full.jpg'));
  fs.writeFileSync(path.join(d, 'trunc.jpg'), bytes.subarray(0, bytes.length >> 1));
  fs.writeFileSync(path.join(d, 'junk.png'), 'not an image');
  for (const f of ['trunc.jpg', 'junk.png', 'missing.png']) {
    const file = path.join(d, f);
    userError(t, await readRgb(file).catch((e) => e), file);
    userError(t, await readLabelMap(file, CMP).catch((e) => e), file);
  }
});

test('images: nearest and bilinear resizing', (t) => {
  // nearest: 2x2 → 4x4 replicates, 4x4 → 2x2 picks pixel centres
  const src = Uint8Array.of(1, 2, 3, 4);
  t.deepEqual([...resizeNearest(src, 2, 2, 1, 4, 4)], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  const big = Uint8Array.from({ length: 16 }, (_, i) => i);
  t.deepEqual([...resizeNearest(big, 4, 4, 1, 2, 2)], [5, 7, 13, 15]);
  // bilinear: a constant stays constant at any scale; halving averages; a ramp stays monotone
  const flat = new Uint8Array(30 * 20 * 3).fill(77);
  t.true(resizeBilinear(flat, 30, 20, 3, 47, 11).every((v) => v === 77));
  const checker = new Uint8Array(8 * 8 * 3);
  for (let i = 0; i < 64; i++) checker.fill(((i % 8) + Math.floor(i / 8)) % 2 ? 200 : 0, 3 * i, 3 * i + 3);
  const half = resizeBilinear(checker, 8, 8, 3, 4, 4);
  for (let y = 1; y < 3; y++) for (let x = 1; x < 3; x++) t.is(half[3 * (y * 4 + x)], 100, 'antialiased halving of a checkerboard is grey (away from the border)');
  const ramp = coordPhoto(100, 4);
  const up = resizeBilinear(ramp, 100, 4, 3, 173, 4);
  for (let x = 1; x < 173; x++) t.true(up[3 * x] >= up[3 * (x - 1)]);
  t.deepEqual(resizeBilinear(ramp, 100, 4, 3, 100, 4), ramp);
  // planar conversion round trip
  const p = coordPhoto(5, 3);
  t.deepEqual(chwToRgb(rgbToPlanar(p, 5, 3), 3, 5).data, p);
});

// ---------------------------------------------------------------------------------------------------
// labels

test('labels: a JPEG colour label map reads back as the right classes (nearest palette colour), without a warning', async (t) => {
  const d = tempDir('divsyn-data-');
  const W = 128;
  const H = 96;
  const B = 16;
  const truth = blockLayout(W, H, 12, B);
  for (const q of [75, 95]) {
    const file = path.join(d, `labels${q}.jpg`);
    await writeJpeg(file, indicesToColors(truth, CMP), W, H, q);
    const map = await readLabelMap(file, CMP);
    t.deepEqual([map.width, map.height], [W, H]);
    let wrong = 0;
    let interiorWrong = 0;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        if (map.indices[i] === truth[i]) continue;
        wrong++;
        if (x % B >= 3 && x % B < B - 3 && y % B >= 3 && y % B < B - 3) interiorWrong++;
      }
    // 4:2:0 chroma subsampling blends the saturated label colours at class borders: those 1-2 pixels
    // may go to a neighbouring class; nothing inside a region does, and no warning is raised.
    t.log(`JPEG q${q} label map: ${((100 * wrong) / (W * H)).toFixed(1)}% of pixels off (all at class borders), ${map.far} far in flat areas`);
    t.is(interiorWrong, 0);
    t.true(wrong < 0.08 * W * H);
    t.true(map.far < 0.002 * W * H);
    t.is(map.warning, undefined);
  }
  // the fixture's own layouts as JPEG: no warning either
  const { fixtureItem } = await import('../fixtures/facades.js');
  for (let i = 0; i < 4; i++) {
    const it = fixtureItem('train', i, 256);
    const file = path.join(d, `fixture${i}.jpg`);
    await writeJpeg(file, indicesToColors(it.layout, CMP), 256, 256, 75);
    t.is((await readLabelMap(file, CMP)).warning, undefined, file);
  }
  // JPEG-like noise of ±20 per channel everywhere: still exact
  const rng = new Rng(3, 'noise');
  const noisy = indicesToColors(truth, CMP).map((v) => Math.max(0, Math.min(255, v + Math.round(rng.range(-20, 20)))));
  const m2 = colorsToIndices(noisy, W, H, CMP, 'noisy');
  t.deepEqual(m2.indices, truth);
  t.is(m2.far, 0);
});

test('labels: many pixels far from every palette colour give a warning naming the file', async (t) => {
  const W = 50;
  const H = 40;
  const truth = blockLayout(W, H, 12);
  const rgb = indicesToColors(truth, CMP);
  /** A grey patch of w×h pixels. */
  const grey = (w: number, h: number) => {
    const c = rgb.slice();
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) c.set([128, 128, 128], 3 * (y * W + x));
    return c;
  };
  // (the patch's last row and column touch other colours: edge pixels, not counted)
  const few = colorsToIndices(grey(3, 3), W, H, CMP, 'few.png'); // 4 of 2000 pixels
  t.is(few.far, 4);
  t.is(few.warning, undefined);
  const many = colorsToIndices(grey(11, 11), W, H, CMP, 'photos/many.png'); // 100 of 2000: 5%
  t.is(many.far, 100);
  t.truthy(many.warning);
  t.true(many.warning!.includes('photos/many.png') && many.warning!.includes('5.0%') && many.warning!.includes('(128,128,128)'), many.warning);
  t.false(many.warning!.includes('\n'));
  t.is(FAR_DISTANCE2, 4800);
  // a label map in another palette (Cityscapes colours read as CMP), through a file: the warning names it
  const d = tempDir('divsyn-data-');
  const file = path.join(d, 'city.png');
  await writePng(file, { data: indicesToColors(blockLayout(W, H, 20), cityscapes()), width: W, height: H, channels: 3 });
  const m = await readLabelMap(file, CMP);
  t.true(m.warning?.includes(file), m.warning);
});

test('labels: index PNGs: class indices, label ids through the palette, out-of-range values are UserErrors', async (t) => {
  const d = tempDir('divsyn-data-');
  const gen = genericPalette(5);
  const ok = path.join(d, 'ok.png');
  await writePng(ok, { data: Uint8Array.of(0, 1, 2, 3, 4, 4), width: 3, height: 2, channels: 1 });
  t.deepEqual([...(await readLabelMap(ok, gen)).indices], [0, 1, 2, 3, 4, 4]);
  const bad = path.join(d, 'bad.png');
  await writePng(bad, { data: Uint8Array.of(0, 1, 2, 3, 5, 4), width: 3, height: 2, channels: 1 });
  userError(t, await readLabelMap(bad, gen).catch((e) => e), bad, 'value 5', '(1, 1)');
  // CMP's label ids are 1..12: 0 is no class, 12 is shop
  const cmp = path.join(d, 'cmp.png');
  await writePng(cmp, { data: Uint8Array.of(1, 12, 3), width: 3, height: 1, channels: 1 });
  t.deepEqual([...(await readLabelMap(cmp, CMP)).indices], [0, 11, 2]);
  userError(t, await readLabelMap(ok, CMP).catch((e) => e), ok, 'value 0');
  // writeIndexPng writes what readLabelMap reads back, for palettes with and without ids
  const l = blockLayout(16, 16, 12, 4);
  await writeIndexPng(path.join(d, 'w.png'), l, 16, 16, CMP);
  t.deepEqual((await readLabelMap(path.join(d, 'w.png'), CMP)).indices, l);
  const l5 = blockLayout(16, 16, 5, 4);
  await writeIndexPng(path.join(d, 'w5.png'), l5, 16, 16, gen);
  t.deepEqual((await readLabelMap(path.join(d, 'w5.png'), gen)).indices, l5);
});

test('labels: Cityscapes label ids map to the 19 train classes and void', async (t) => {
  const d = tempDir('divsyn-data-');
  const cs = cityscapes();
  const file = path.join(d, 'x_gtFine_labelIds.png');
  await writePng(file, { data: Uint8Array.of(7, 0, 26, 33, 11, 1, 23, 255), width: 4, height: 2, channels: 1 });
  const err = await readLabelMap(file, cs).catch((e) => e);
  userError(t, err, file, 'value 255', '0..');
  await writePng(file, { data: Uint8Array.of(7, 0, 26, 33, 11, 1, 23, 6), width: 4, height: 2, channels: 1 });
  const names = [...(await readLabelMap(file, cs)).indices].map((i) => cs[i].name);
  t.deepEqual(names, ['road', 'void', 'car', 'bicycle', 'building', 'void', 'sky', 'void']);
  t.is(cs.length, 20);
});

test('labels: one-hot', (t) => {
  const o = oneHot(Uint8Array.of(0, 2, 1, 2), 3);
  t.deepEqual([...o], [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1]);
  const into = new Float32Array(2 + 12).fill(9);
  oneHot(Uint8Array.of(0, 2, 1, 2), 3, into, 2);
  t.deepEqual([...into.subarray(2)], [...o]);
  t.throws(() => oneHot(Uint8Array.of(3), 3));
});

// ---------------------------------------------------------------------------------------------------
// datasets

test('datasets: pix2pix aligned folders split A|B in both directions', async (t) => {
  const d = tempDir('divsyn-data-');
  const W = 32;
  const H = 24;
  const truth = blockLayout(W, H, 12);
  const photo = coordPhoto(W, H);
  const labels = indicesToColors(truth, CMP);
  fs.mkdirSync(path.join(d, 'ab'));
  fs.mkdirSync(path.join(d, 'ba'));
  await writePng(path.join(d, 'ab', 'p1.png'), { data: sideBySide(labels, photo, W, H), width: 2 * W, height: H, channels: 3 });
  await writePng(path.join(d, 'ba', 'p1.png'), { data: sideBySide(photo, labels, W, H), width: 2 * W, height: H, channels: 3 });
  for (const [dir, direction] of [
    ['ab', 'AtoB'],
    ['ba', 'BtoA'],
  ] as const) {
    const ds = openDataset({ data: path.join(d, dir), format: 'pix2pix', direction, classes: CMP });
    t.is(ds.length, 1);
    t.is(ds.stem(0), 'p1');
    const s = await ds.load(0);
    t.deepEqual([s.width, s.height], [W, H]);
    t.deepEqual(s.layout, truth, direction);
    t.deepEqual(s.photo, photo, direction);
  }
  // the wrong direction reads the photo as labels: a warning names the file
  const wrong = await alignedDataset(path.join(d, 'ba'), 'AtoB', CMP).load(0);
  t.true(wrong.warning?.includes(path.join(d, 'ba', 'p1.png')), wrong.warning);
  // default direction is AtoB
  t.deepEqual((await openDataset({ data: path.join(d, 'ab'), classes: CMP }).load(0)).layout, truth);
});

test('datasets: clear UserErrors for missing and empty folders, odd widths, corrupt files', async (t) => {
  const d = tempDir('divsyn-data-');
  const missing = path.join(d, 'nope');
  userError(
    t,
    (() => {
      try {
        openDataset({ data: missing, format: 'pix2pix', classes: CMP });
      } catch (e) {
        return e;
      }
    })(),
    missing,
    'does not exist',
  );
  fs.mkdirSync(path.join(d, 'empty'));
  fs.writeFileSync(path.join(d, 'empty', 'readme.txt'), 'x');
  userError(
    t,
    (() => {
      try {
        alignedDataset(path.join(d, 'empty'), 'AtoB', CMP);
      } catch (e) {
        return e;
      }
    })(),
    path.join(d, 'empty'),
    'no .jpg or .png',
  );
  fs.mkdirSync(path.join(d, 'odd'));
  await writePng(path.join(d, 'odd', 'o.png'), { data: coordPhoto(33, 8), width: 33, height: 8, channels: 3 });
  const odd = path.join(d, 'odd', 'o.png');
  userError(
    t,
    await alignedDataset(path.join(d, 'odd'), 'AtoB', CMP)
      .load(0)
      .catch((e) => e),
    odd,
    '33x8',
    'even',
  );
  fs.mkdirSync(path.join(d, 'bad'));
  fs.writeFileSync(path.join(d, 'bad', 'x.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
  userError(
    t,
    await alignedDataset(path.join(d, 'bad'), 'BtoA', CMP)
      .load(0)
      .catch((e) => e),
    path.join(d, 'bad', 'x.jpg'),
  );
  userError(
    t,
    (() => {
      try {
        openDataset({ data: d, format: 'bogus' as never, classes: CMP });
      } catch (e) {
        return e;
      }
    })(),
    'bogus',
  );
});

test('datasets: pairs folders match by name; unmatched and wrong-size pairs name the files', async (t) => {
  const d = tempDir('divsyn-data-');
  const W = 20;
  const H = 12;
  const truth = blockLayout(W, H, 12, 4);
  fs.mkdirSync(path.join(d, 'layouts'));
  fs.mkdirSync(path.join(d, 'photos'));
  await writePng(path.join(d, 'layouts', 'a.png'), { data: indicesToColors(truth, CMP), width: W, height: H, channels: 3 });
  await writeIndexPng(path.join(d, 'layouts', 'b.png'), truth, W, H, CMP);
  await writePng(path.join(d, 'photos', 'a.png'), { data: coordPhoto(W, H), width: W, height: H, channels: 3 });
  await writeJpeg(path.join(d, 'photos', 'b.jpg'), coordPhoto(W, H), W, H);
  const ds = pairsDataset(d, CMP);
  t.deepEqual([ds.length, ds.stem(0), ds.stem(1)], [2, 'a', 'b']);
  for (let i = 0; i < 2; i++) {
    const s = await ds.load(i);
    t.deepEqual(s.layout, truth);
    t.is(s.photo.length, W * H * 3);
  }
  t.deepEqual((await ds.load(0)).photo, coordPhoto(W, H));
  // a photo of another size
  await writePng(path.join(d, 'photos', 'a.png'), { data: coordPhoto(W, H + 1), width: W, height: H + 1, channels: 3 });
  userError(
    t,
    await pairsDataset(d, CMP)
      .load(0)
      .catch((e) => e),
    path.join(d, 'layouts', 'a.png'),
    path.join(d, 'photos', 'a.png'),
    `${W}x${H + 1}`,
  );
  // a layout without photo, a photo without layout
  await writePng(path.join(d, 'layouts', 'c.png'), { data: indicesToColors(truth, CMP), width: W, height: H, channels: 3 });
  userError(
    t,
    thrown(() => pairsDataset(d, CMP)),
    path.join(d, 'layouts', 'c.png'),
    'no photo',
  );
  fs.renameSync(path.join(d, 'layouts', 'c.png'), path.join(d, 'c.png'));
  fs.copyFileSync(path.join(d, 'photos', 'b.jpg'), path.join(d, 'photos', 'z.jpg'));
  userError(
    t,
    thrown(() => pairsDataset(d, CMP)),
    path.join(d, 'photos', 'z.jpg'),
    'no layout',
  );
  fs.rmSync(path.join(d, 'photos'), { recursive: true });
  userError(
    t,
    thrown(() => pairsDataset(d, CMP)),
    path.join(d, 'photos'),
    'does not exist',
  );
});

test('datasets: cityscapes root with gtFine labelIds and leftImg8bit photos', async (t) => {
  const d = tempDir('divsyn-data-');
  const cs = cityscapes();
  const W = 16;
  const H = 8;
  const ids = Uint8Array.from({ length: W * H }, (_, i) => [7, 0, 26, 11, 23][i % 5]);
  for (const [city, stem] of [
    ['aachen', 'aachen_000000_000019'],
    ['bonn', 'bonn_000001_000002'],
  ]) {
    fs.mkdirSync(path.join(d, 'gtFine', 'train', city), { recursive: true });
    fs.mkdirSync(path.join(d, 'leftImg8bit', 'train', city), { recursive: true });
    await writePng(path.join(d, 'gtFine', 'train', city, `${stem}_gtFine_labelIds.png`), { data: ids, width: W, height: H, channels: 1 });
    await writePng(path.join(d, 'gtFine', 'train', city, `${stem}_gtFine_color.png`), { data: coordPhoto(W, H), width: W, height: H, channels: 3 });
    await writePng(path.join(d, 'leftImg8bit', 'train', city, `${stem}_leftImg8bit.png`), { data: coordPhoto(W, H), width: W, height: H, channels: 3 });
  }
  const ds = openDataset({ data: d, format: 'cityscapes', classes: cs, split: 'train' });
  t.deepEqual([ds.length, ds.stem(0), ds.stem(1)], [2, 'aachen_000000_000019', 'bonn_000001_000002']);
  const s = await ds.load(1);
  t.deepEqual(
    [...s.layout.subarray(0, 5)].map((i) => cs[i].name),
    ['road', 'void', 'car', 'building', 'sky'],
  );
  t.deepEqual(s.photo, coordPhoto(W, H));
  userError(
    t,
    (() => {
      try {
        cityscapesDataset(d, 'val', cs);
      } catch (e) {
        return e;
      }
    })(),
    path.join(d, 'gtFine', 'val'),
  );
  userError(
    t,
    (() => {
      try {
        cityscapesDataset(
          d,
          'train',
          CMP.map(({ name, color }) => ({ name, color })),
        );
      } catch (e) {
        return e;
      }
    })(),
    '--palette cityscapes',
  );
  fs.rmSync(path.join(d, 'leftImg8bit', 'train', 'bonn', 'bonn_000001_000002_leftImg8bit.png'));
  userError(
    t,
    (() => {
      try {
        cityscapesDataset(d, 'train', cs);
      } catch (e) {
        return e;
      }
    })(),
    'bonn_000001_000002_gtFine_labelIds.png',
    'no photo',
  );
});

test('datasets: the fixture as a dataset (12 classes required; appearance per epoch on train)', async (t) => {
  const ds = fixtureDataset(CMP, 'train');
  t.is(ds.length, 400);
  const a = await ds.load(3, { width: 40, height: 40, epoch: 0 });
  const b = await ds.load(3, { width: 40, height: 40, epoch: 1 });
  t.deepEqual(a.layout, b.layout);
  t.notDeepEqual(a.photo, b.photo);
  const test1 = fixtureDataset(CMP, 'test');
  t.deepEqual((await test1.load(0, { width: 40, epoch: 0 })).photo, (await test1.load(0, { width: 40, epoch: 5 })).photo);
  userError(
    t,
    (() => {
      try {
        openDataset({ data: 'fixture', classes: genericPalette(5) });
      } catch (e) {
        return e;
      }
    })(),
    'cmp-facades',
  );
});

// ---------------------------------------------------------------------------------------------------
// augmentation

test('augment: crop and flip move layout and photo together', (t) => {
  const S = 32;
  const L = loadSize(S);
  t.is(loadSize(256), 286);
  // already at load size: no resampling, so the crop is exact
  const layout = blockLayout(L, L, 12, 3);
  const photo = coordPhoto(L, L);
  let flips = 0;
  for (let seed = 0; seed < 20; seed++) {
    const r = augmentPair({ layout, photo, width: L, height: L }, new Rng(seed, 'a'), S);
    const c = drawCropFlip(new Rng(seed, 'a'), L, L, S, S);
    t.deepEqual([r.x0, r.y0, r.flip], [c.x0, c.y0, c.flip]);
    flips += r.flip ? 1 : 0;
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const sx = r.photo[3 * (y * S + x)];
        const sy = r.photo[3 * (y * S + x) + 1];
        t.is(sx, r.flip ? r.x0 + S - 1 - x : r.x0 + x);
        t.is(sy, r.y0 + y);
        if (r.layout[y * S + x] !== layout[sy * L + sx]) t.fail(`seed ${seed}: layout at (${x}, ${y}) is not the photo's source pixel`);
      }
  }
  t.true(flips > 3 && flips < 17, `${flips} flips in 20`);
  // a hand-made flip
  t.deepEqual([...cropFlipBytes(Uint8Array.of(1, 2, 3, 4, 5, 6), 3, 2, 1, { x0: 1, y0: 0, flip: true }, 2, 2)], [3, 2, 6, 5]);
});

test('augment: with resizing, the photo still matches the layout away from class edges', (t) => {
  const W = 80;
  const H = 60;
  const S = 48;
  const layout = blockLayout(W, H, 12, 10);
  const photo = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) photo.fill(layout[i] * 20, 3 * i, 3 * i + 3); // colour encodes the class
  for (let seed = 0; seed < 5; seed++) {
    const r = augmentPair({ layout, photo, width: W, height: H }, new Rng(seed, 'b'), S);
    let bad = 0;
    for (let i = 0; i < S * S; i++) if (Math.abs(r.photo[3 * i] - r.layout[i] * 20) > 2) bad++;
    t.true(bad < 0.4 * S * S, `seed ${seed}: ${bad} pixels disagree`); // at block edges (blended)
    // edge pixels are blends: none disagrees where its 3x3 neighbourhood is of one class
    for (let y = 1; y < S - 1; y++)
      for (let x = 1; x < S - 1; x++) {
        const c = r.layout[y * S + x];
        let uniform = true;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (r.layout[(y + dy) * S + x + dx] !== c) uniform = false;
        if (uniform && Math.abs(r.photo[3 * (y * S + x)] - c * 20) > 2) t.fail(`seed ${seed}: (${x}, ${y}) class ${c}, photo ${r.photo[3 * (y * S + x)]}`);
      }
  }
  // no augmentation: resized to S×S exactly
  const n = augmentPair({ layout, photo, width: W, height: H }, new Rng(0, 'c'), S, S, { crop: false, flip: false });
  t.deepEqual(n.layout, resizeNearest(layout, W, H, 1, S, S));
});

// ---------------------------------------------------------------------------------------------------
// loader

/** A small in-memory dataset whose photos encode the item index. */
function memoryDataset(n: number, size: number): Dataset & { loads: number } {
  const ds = {
    description: 'memory',
    classes: genericPalette(4),
    length: n,
    loads: 0,
    stem: (i: number) => `m${i}`,
    async load(i: number): Promise<Sample> {
      ds.loads++;
      const layout = blockLayout(size, size, 4, 4).map((v) => (v + i) % 4);
      const photo = coordPhoto(size, size).map((v, k) => (k % 3 === 2 ? i : v));
      await new Promise((r) => setTimeout(r, (i * 7) % 3)); // finish out of order
      return { stem: `m${i}`, layout, photo, width: size, height: size };
    },
  };
  return ds;
}

test('loader: batches in a seeded epoch order; reproducible, resumable from a step or (epoch, index)', async (t) => {
  const S = 16;
  const B = 3;
  const n = 10;
  const ds = memoryDataset(n, 24);
  const collect = async (l: BatchLoader, k: number) => {
    const out = [];
    for (let i = 0; i < k; i++) out.push(await l.next());
    l.close();
    return out;
  };
  const full = await collect(new BatchLoader({ dataset: ds, width: S, batch: B, seed: 5 }), 12);
  t.is(full[0].layout.length, B * 4 * S * S);
  t.is(full[0].image.length, B * 3 * S * S);
  t.true(full[0].image.every((v) => v >= 0 && v <= 1));
  // one-hot: the class channels sum to 1 at every pixel
  for (let p = 0; p < S * S; p += 13) t.is(full[0].layout[p] + full[0].layout[S * S + p] + full[0].layout[2 * S * S + p] + full[0].layout[3 * S * S + p], 1);
  // each epoch visits every item once, in the order epochOrder gives
  const stream = full.flatMap((b) => b.stems);
  for (let e = 0; e < 3; e++)
    t.deepEqual(
      stream.slice(e * n, e * n + n),
      epochOrder(n, 5, e).map((i) => `m${i}`),
    );
  t.notDeepEqual(epochOrder(n, 5, 0), epochOrder(n, 5, 1));
  t.deepEqual(full.map((b) => [b.epoch, b.index]).slice(0, 5), [
    [0, 0],
    [0, 3],
    [0, 6],
    [0, 9],
    [1, 2],
  ]);
  // same seed: same batches, whatever the prefetch depth and concurrency
  const again = await collect(new BatchLoader({ dataset: ds, width: S, batch: B, seed: 5, prefetch: 0, concurrency: 1 }), 12);
  t.deepEqual(
    again.map((b) => [b.stems, b.layout, b.image]),
    full.map((b) => [b.stems, b.layout, b.image]),
  );
  // resumed at step 7 (through the trainer-shaped opener) and at (epoch 1, index 2) = step 4
  const resumed = await collect(batchOpener({ dataset: ds, width: S, batch: B, seed: 5, prefetch: 3 })(7), 5);
  t.deepEqual(
    resumed.map((b) => [b.step, b.stems, b.layout, b.image]),
    full.slice(7).map((b) => [b.step, b.stems, b.layout, b.image]),
  );
  const fromPos = await collect(new BatchLoader({ dataset: ds, width: S, batch: B, seed: 5 }, { epoch: 1, index: 2 }), 2);
  t.deepEqual(
    fromPos.map((b) => b.image),
    full.slice(4, 6).map((b) => b.image),
  );
  t.deepEqual(positionOfStep(7, B, n), { epoch: 2, index: 1 });
  const l = new BatchLoader({ dataset: ds, width: S, batch: B, seed: 5 }, 7);
  t.deepEqual(l.position(), { step: 7, epoch: 2, index: 1 });
  t.is(l.epochOf(7), 2);
  l.close();
  // another seed: another order
  const other = await collect(new BatchLoader({ dataset: ds, width: S, batch: B, seed: 6 }), 4);
  t.notDeepEqual(
    other.flatMap((b) => b.stems),
    stream.slice(0, 12),
  );
});

test('loader: decodes ahead of the step; a bad file rejects its batch with a UserError naming it', async (t) => {
  const ds = memoryDataset(8, 20);
  const l = new BatchLoader({ dataset: ds, width: 16, batch: 2, seed: 1, prefetch: 2 });
  await new Promise((r) => setTimeout(r, 30));
  t.is(ds.loads, 4, 'two batches decoded before any was asked for');
  await l.next();
  await new Promise((r) => setTimeout(r, 30));
  t.is(ds.loads, 6);
  l.close();

  const d = tempDir('divsyn-data-');
  const W = 24;
  const labels = indicesToColors(blockLayout(W, W, 12), CMP);
  for (const name of ['a', 'b', 'c']) await writePng(path.join(d, `${name}.png`), { data: sideBySide(coordPhoto(W, W), labels, W, W), width: 2 * W, height: W, channels: 3 });
  fs.writeFileSync(path.join(d, 'b.png'), fs.readFileSync(path.join(d, 'b.png')).subarray(0, 60));
  const files = alignedDataset(d, 'BtoA', CMP);
  const warnings: string[] = [];
  const fl = new BatchLoader({ dataset: files, width: 16, batch: 3, seed: 0, onWarning: (m) => warnings.push(m) });
  userError(t, await fl.next().catch((e) => e), path.join(d, 'b.png'));
  fl.close();
  // the good files load, augmented to 16x16
  const good = new BatchLoader({ dataset: { ...files, length: 1 }, width: 16, batch: 1, seed: 0 });
  const b = await good.next();
  t.is(b.layout.length, 12 * 16 * 16);
  good.close();
  t.deepEqual(warnings, []);
});

test('loader: the fixture through the loader; evalItems on files', async (t) => {
  const l = new BatchLoader({ dataset: fixtureDataset(), width: 32, batch: 2, seed: 3 });
  const b = await l.next();
  l.close();
  t.is(b.layout.length, 2 * 12 * 32 * 32);
  t.true(b.stems.every((s) => s.startsWith('facade_train_')));
  const items = await evalItems(fixtureDataset(CMP, 'test'), 32, 32, 3);
  t.deepEqual(
    items.map((i) => i.stem),
    ['facade_test_0000', 'facade_test_0001', 'facade_test_0002'],
  );
  t.is(items[0].layout.length, 12 * 32 * 32);
  t.is(items[0].photo.length, 3 * 32 * 32);
  // a file dataset is resized (nearest layout, bilinear photo) to the size asked for
  const d = tempDir('divsyn-data-');
  fs.mkdirSync(path.join(d, 'layouts'));
  fs.mkdirSync(path.join(d, 'photos'));
  await writeIndexPng(path.join(d, 'layouts', 'x.png'), blockLayout(40, 40, 12), 40, 40, CMP);
  await writePng(path.join(d, 'photos', 'x.png'), { data: coordPhoto(40, 40), width: 40, height: 40, channels: 3 });
  const ev = await evalItems(pairsDataset(d, CMP), 20, 20);
  t.deepEqual(oneHot(resizeNearest(blockLayout(40, 40, 12), 40, 40, 1, 20, 20), 12), ev[0].layout);
});
