// The dataset check before step 1 (train/dataset-check.ts) and the off-palette measure behind it
// (train/labels.ts, onPaletteShare): label maps, JPEG'd or not, are on the palette; the fixture's photos
// and noise are not. Bad items are all reported at once with their reasons and can be skipped; swapped
// sides and a dataset root with split folders are refused with what to give instead.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { UserError } from '../common/errors.js';
import { indicesToColors, writePng } from '../common/image.js';
import { cmpFacades } from '../common/palettes.js';
import { Rng } from '../graph/random.js';
import { fixtureItem } from '../fixtures/facades.js';
import { alignedDataset, fixtureDataset, openDataset, pairsDataset, withoutFiles } from '../train/datasets.js';
import { badFiles, badItemsError, checkDataset } from '../train/dataset-check.js';
import { ON_PALETTE_MIN, colorsToIndices, onPaletteShare } from '../train/labels.js';
import { BatchLoader } from '../train/loader.js';
import { tempDir } from './helpers/cli.js';

const CMP = cmpFacades();
const S = 64;

async function jpegRoundTrip(rgb: Uint8Array, w: number, h: number, quality: number): Promise<Uint8Array> {
  const bytes = await sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
  return new Uint8Array((await sharp(bytes).raw().toBuffer()).buffer);
}

function noise(w: number, h: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: w * h * 3 }, () => rng.int(256));
}

const layoutColours = (index: number, size: number) => indicesToColors(fixtureItem('train', index, size).layout, CMP);

test('off-palette measure: label maps (PNG, JPEG) are on the palette; the fixture photos and noise are not', async (t) => {
  const shares = { png: [] as number[], jpeg: [] as number[], photo: [] as number[], noise: [] as number[] };
  for (let i = 0; i < 8; i++) {
    const lay = layoutColours(i, 256);
    shares.png.push(onPaletteShare(lay, 256, 256, CMP));
    shares.jpeg.push(onPaletteShare(await jpegRoundTrip(lay, 256, 256, 75), 256, 256, CMP));
    shares.photo.push(onPaletteShare(fixtureItem('train', i, 256).photo, 256, 256, CMP));
    shares.noise.push(onPaletteShare(noise(256, 256, i), 256, 256, CMP));
  }
  const range = (v: number[]) => `${Math.min(...v).toFixed(3)}..${Math.max(...v).toFixed(3)}`;
  t.log(`on-palette share at 256 px: label maps PNG ${range(shares.png)}, JPEG q75 ${range(shares.jpeg)}; fixture photos ${range(shares.photo)}; noise ${range(shares.noise)}`);
  t.true(Math.min(...shares.png) > 0.95);
  t.true(Math.min(...shares.jpeg) > ON_PALETTE_MIN + 0.1, 'JPEG label maps well above the bound');
  t.true(Math.max(...shares.photo) < ON_PALETTE_MIN / 2, 'photos well below it');
  t.true(Math.max(...shares.noise) < 0.05, 'noise far below it');
  // noise read as a label map: many of its pixels are near some palette colour, but it is named for what it is
  const rgb = noise(S, S, 9);
  const near = colorsToIndices(rgb, S, S, CMP, 'noise.png');
  t.regex(near.warning ?? '', /^label map 'noise\.png': only \d+\.\d% of its pixels are on the palette .*looks like a photo or noise, not a label map/);
  // a clean label map has no warning
  t.is(colorsToIndices(layoutColours(0, S), S, S, CMP, 'ok.png').warning, undefined);
});

/** A pairs folder of `n` fixture items (PNG layouts in CMP colours, PNG photos). */
async function pairsFolder(d: string, n: number): Promise<void> {
  fs.mkdirSync(path.join(d, 'layouts'), { recursive: true });
  fs.mkdirSync(path.join(d, 'photos'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const it = fixtureItem('train', i, S);
    await writePng(path.join(d, 'layouts', `f${i}.png`), { data: indicesToColors(it.layout, CMP), width: S, height: S, channels: 3 });
    await writePng(path.join(d, 'photos', `f${i}.png`), { data: it.photo, width: S, height: S, channels: 3 });
  }
}

test('bad items are all reported at once, each with its reason; skipping them leaves a dataset that loads', async (t) => {
  const d = tempDir('divsyn-check-');
  const n = 8;
  await pairsFolder(d, n);
  const photo = (i: number) => path.join(d, 'photos', `f${i}.png`);
  const layout = (i: number) => path.join(d, 'layouts', `f${i}.png`);
  const bytes = fs.readFileSync(photo(2));
  fs.writeFileSync(photo(2), bytes.subarray(0, bytes.length >> 1)); // truncated
  await writePng(layout(4), { data: noise(S, S, 4), width: S, height: S, channels: 3 }); // noise as a layout
  await writePng(photo(6), { data: new Uint8Array(32 * 32 * 3), width: 32, height: 32, channels: 3 }); // another size
  const ds = pairsDataset(d, CMP);
  const progress: number[] = [];
  const check = await checkDataset(ds, { concurrency: 2, onProgress: (done, total) => progress.push(done / total) });
  t.is(progress.length, n);
  t.is(progress.at(-1), 1);
  t.deepEqual(
    check.bad.map((b) => b.index),
    [2, 4, 6],
  );
  t.regex(check.bad[0].reason, /photos\/f2\.png' cannot be decoded/);
  t.regex(check.bad[1].reason, /layouts\/f4\.png': only .* looks like a photo or noise/);
  t.regex(check.bad[2].reason, /layouts\/f6\.png' is 64x64 but its photo '.*photos\/f6\.png' is 32x32/);
  t.deepEqual(badFiles(check), [layout(2), photo(2), layout(4), photo(4), layout(6), photo(6)]);
  const message = badItemsError(check, ds.description).message.split('\n');
  t.is(message.length, 4);
  t.regex(message[0], /^3 of 8 items of pairs folder '.*' \(8 pairs\) cannot be used \(--skip-bad trains without them\):$/);
  t.true(message[1].includes('f2.png') && message[2].includes('f4.png') && message[3].includes('f6.png'));
  // skipped: the others in their order; a full epoch through the loader reads none of the bad ones
  const kept = withoutFiles(ds, badFiles(check));
  t.is(kept.length, 5);
  t.deepEqual(
    Array.from({ length: kept.length }, (_, i) => kept.stem(i)),
    ['f0', 'f1', 'f3', 'f5', 'f7'],
  );
  t.regex(kept.description, /\(8 pairs\), 3 skipped$/);
  t.deepEqual((await checkDataset(kept)).bad, []);
  const loader = new BatchLoader({ dataset: kept, width: S, batch: 5, seed: 1, augment: false, onWarning: () => {} });
  const batch = await loader.next();
  loader.close();
  t.deepEqual([...batch.stems].sort(), ['f0', 'f1', 'f3', 'f5', 'f7']);
  // the same list on a resumed run skips the same items, in the same order
  const again = withoutFiles(pairsDataset(d, CMP), badFiles(check));
  t.deepEqual(
    Array.from({ length: again.length }, (_, i) => again.stem(i)),
    ['f0', 'f1', 'f3', 'f5', 'f7'],
  );
});

test('a dataset with nothing but bad items offers no skipping', async (t) => {
  const d = tempDir('divsyn-check-');
  await pairsFolder(d, 2);
  for (const i of [0, 1]) await writePng(path.join(d, 'layouts', `f${i}.png`), { data: noise(S, S, i), width: S, height: S, channels: 3 });
  const ds = pairsDataset(d, CMP);
  const check = await checkDataset(ds);
  t.regex(badItemsError(check, ds.description).message, /^2 of 2 items of .* cannot be used:\n/);
  t.throws(() => withoutFiles(ds, badFiles(check)), { instanceOf: UserError, message: /no item is left/ });
});

/** A pix2pix folder of aligned fixture items, layout on the `side`. */
async function alignedFolder(d: string, n: number, side: 'A' | 'B'): Promise<void> {
  fs.mkdirSync(d, { recursive: true });
  for (let i = 0; i < n; i++) {
    const it = fixtureItem('train', i, S);
    const [left, right] = side === 'A' ? [indicesToColors(it.layout, CMP), it.photo] : [it.photo, indicesToColors(it.layout, CMP)];
    const both = new Uint8Array(2 * S * S * 3);
    for (let y = 0; y < S; y++) {
      both.set(left.subarray(y * S * 3, (y + 1) * S * 3), y * 2 * S * 3);
      both.set(right.subarray(y * S * 3, (y + 1) * S * 3), (y * 2 + 1) * S * 3);
    }
    await writePng(path.join(d, `p${i}.png`), { data: both, width: 2 * S, height: S, channels: 3 });
  }
}

test('swapped sides: a pix2pix folder read the wrong way round names --direction; swapped pairs folders are named', async (t) => {
  const d = tempDir('divsyn-check-');
  await alignedFolder(path.join(d, 'facades'), 4, 'B'); // as CMP Facades from pix2pix: photo left, labels right
  const wrong = await checkDataset(alignedDataset(path.join(d, 'facades'), 'AtoB', CMP)).catch((e: unknown) => e);
  t.true(wrong instanceof UserError);
  t.regex(
    (wrong as Error).message,
    /^pix2pix folder '.*facades' \(4 pairs, AtoB\): in 4 of 4 items the layout looks like a photo and the photo like a label map; the layouts are the right \(B\) halves: use --direction BtoA$/,
  );
  t.deepEqual((await checkDataset(alignedDataset(path.join(d, 'facades'), 'BtoA', CMP))).bad, []);
  // without the check, the loader's warning for such an item names --direction too
  const read = await alignedDataset(path.join(d, 'facades'), 'AtoB', CMP).load(0);
  t.regex(read.warning ?? '', /looks like a photo or noise, not a label map .*; if the layouts are the right \(B\) halves, use --direction BtoA$/);
  // pairs: the two folders' contents swapped
  const p = path.join(d, 'pairs');
  await pairsFolder(p, 3);
  fs.renameSync(path.join(p, 'layouts'), path.join(p, 'x'));
  fs.renameSync(path.join(p, 'photos'), path.join(p, 'layouts'));
  fs.renameSync(path.join(p, 'x'), path.join(p, 'photos'));
  const swapped = await checkDataset(pairsDataset(p, CMP)).catch((e: unknown) => e);
  t.regex((swapped as Error).message, /in 3 of 3 items the layout looks like a photo .*are the two folders swapped\?$/);
});

test('a dataset root with split folders is named with its splits', async (t) => {
  const d = tempDir('divsyn-check-');
  await alignedFolder(path.join(d, 'facades', 'train'), 1, 'A');
  await alignedFolder(path.join(d, 'facades', 'test'), 1, 'A');
  fs.mkdirSync(path.join(d, 'facades', 'val'));
  const root = path.join(d, 'facades');
  t.throws(() => openDataset({ data: root, format: 'pix2pix', classes: CMP }), {
    instanceOf: UserError,
    message: `pix2pix data folder '${root}' is a dataset root with the split folders test/, train/, val/: give one of them as --data, e.g. --data ${path.join(root, 'test')}`,
  });
  await pairsFolder(path.join(d, 'pairs', 'train'), 1);
  t.throws(() => openDataset({ data: path.join(d, 'pairs'), format: 'pairs', classes: CMP }), {
    instanceOf: UserError,
    message: /^pairs data folder '.*pairs' is a dataset root with the split folders train\/: give one/,
  });
});

test('the fixture passes the check', async (t) => {
  const check = await checkDataset(fixtureDataset(CMP, 'test'));
  t.deepEqual([check.items, check.bad.length, check.warnings.length], [50, 0, 0]);
});
