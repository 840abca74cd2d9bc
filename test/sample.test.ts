// divsyn sample as a user runs it: layouts from files, noise independent of --batch, samples.jsonl that
// remakes any image, sweeps and grids.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { fixtureLayout } from '../fixtures/facades.js';
import { writePng, indicesToColors } from '../common/image.js';
import { writeIndexPng } from '../train/labels.js';
import { cmpFacades } from '../common/palettes.js';
import { divsyn, tempDir } from './helpers/cli.js';

const S = 32;
const classes = cmpFacades();

async function setup() {
  const dir = tempDir();
  const model = path.join(dir, 'g.onnx');
  if (divsyn('init', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', String(S), '--width', '4', '--out', model).status !== 0) throw new Error('init failed');
  const layouts = path.join(dir, 'layouts');
  fs.mkdirSync(layouts);
  await writePng(path.join(layouts, 'colour.png'), { data: indicesToColors(fixtureLayout('test', 0, S), classes), width: S, height: S, channels: 3 });
  await writeIndexPng(path.join(layouts, 'index.png'), fixtureLayout('test', 1, S), S, S, classes);
  // another size: resized with a warning
  await writePng(path.join(layouts, 'big.png'), { data: indicesToColors(fixtureLayout('test', 2, 2 * S), classes), width: 2 * S, height: 2 * S, channels: 3 });
  return { dir, model, layouts };
}

async function pixels(file: string): Promise<Buffer> {
  return await sharp(file).raw().toBuffer();
}

test('samples do not depend on --batch; samples.jsonl remakes each image; sweeps and grids', async (t) => {
  const { dir, model, layouts } = await setup();
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const ra = divsyn('sample', '--model', model, '--layouts', layouts, '--count', '3', '--batch', '1', '--out', a, '--sweep', 'window', '--sweep-steps', '5', '--grid');
  t.is(ra.status, 0, ra.stderr);
  t.regex(ra.stderr, /big\.png.*64x64.*resized/);
  t.is(divsyn('sample', '--model', model, '--layouts', layouts, '--count', '3', '--batch', '7', '--threads', '1', '--out', b).status, 0);
  for (const stem of ['colour', 'index', 'big']) {
    for (let k = 0; k < 3; k++) t.true((await pixels(path.join(a, `${stem}_${k}.png`))).equals(await pixels(path.join(b, `${stem}_${k}.png`))), `${stem}_${k}`);
    const sweep = await sharp(path.join(a, `${stem}_sweep_window.png`)).metadata();
    t.is(sweep.width, 5 * S + 4 * 2);
    // one numbered row of 3: a 10-pixel column of row numbers, a 14-pixel row of column numbers
    const grid = await sharp(path.join(a, `${stem}_grid.png`)).metadata();
    t.deepEqual([grid.width, grid.height], [10 + 3 * S + 2 * 2, 14 + S]);
  }
  const lines = fs
    .readFileSync(path.join(a, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.is(lines.length, 9);
  // remake one image from its recorded noise
  const line = lines.find((l) => l.file === 'colour_2.png')!;
  const session = await ort.InferenceSession.create(model);
  const onehot = new Float32Array(12 * S * S);
  fixtureLayout('test', 0, S).forEach((c, p) => (onehot[c * S * S + p] = 1));
  const noise = Float32Array.from(classes.map((c) => line.noise[c.name]));
  const img = (await session.run({ layout: new ort.Tensor('float32', onehot, [1, 12, S, S]), noise: new ort.Tensor('float32', noise, [1, 12]) })).image.data as Float32Array;
  const file = await pixels(path.join(a, 'colour_2.png'));
  let worst = 0;
  for (let p = 0; p < S * S; p++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(file[p * 3 + c] - Math.round(img[c * S * S + p] * 255)));
  t.true(worst <= 1, `remade image differs by ${worst}/255`);
});

test('--noise fixes the named classes; bad values and classes are usage errors', async (t) => {
  const { dir, model, layouts } = await setup();
  const out = path.join(dir, 'n');
  t.is(divsyn('sample', '--model', model, '--layouts', path.join(layouts, 'colour.png'), '--count', '2', '--noise', 'window=0.5,door=-1', '--out', out).status, 0);
  const lines = fs
    .readFileSync(path.join(out, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const l of lines) {
    t.is(l.noise.window, 0.5);
    t.is(l.noise.door, -1);
  }
  t.not(lines[0].noise.facade, lines[1].noise.facade, 'the other classes are random');
  const bad = divsyn('sample', '--model', model, '--layouts', layouts, '--noise', 'window=2', '--out', path.join(dir, 'x'));
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--noise: 'window=2'/);
  const unknown = divsyn('sample', '--model', model, '--layouts', layouts, '--sweep', 'roof', '--out', path.join(dir, 'y'));
  t.is(unknown.status, 2);
  t.regex(unknown.stderr, /unknown class 'roof'/);
  const missing = divsyn('sample', '--model', model, '--layouts', path.join(dir, 'nothing'), '--out', path.join(dir, 'z'));
  t.is(missing.status, 1);
  t.regex(missing.stderr, /nothing/);
});

test('a pix2pix A|B folder with --direction BtoA samples from the B half', async (t) => {
  const { dir, model } = await setup();
  const ab = path.join(dir, 'ab');
  fs.mkdirSync(ab);
  const labels = indicesToColors(fixtureLayout('test', 3, S), classes);
  const pair = new Uint8Array(2 * S * S * 3).fill(128); // A: a grey "photo"
  for (let y = 0; y < S; y++) pair.set(labels.subarray(y * S * 3, (y + 1) * S * 3), (y * 2 * S + S) * 3);
  await writePng(path.join(ab, 'p.png'), { data: pair, width: 2 * S, height: S, channels: 3 });
  const viaPair = path.join(dir, 'o1');
  const viaMap = path.join(dir, 'o2');
  await writePng(path.join(dir, 'p.png'), { data: labels, width: S, height: S, channels: 3 });
  t.is(divsyn('sample', '--model', model, '--layouts', ab, '--direction', 'BtoA', '--count', '1', '--out', viaPair).status, 0);
  t.is(divsyn('sample', '--model', model, '--layouts', path.join(dir, 'p.png'), '--count', '1', '--out', viaMap).status, 0);
  t.true((await pixels(path.join(viaPair, 'p_0.png'))).equals(await pixels(path.join(viaMap, 'p_0.png'))));
});
