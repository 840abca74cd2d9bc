// The browser entry (web/index.ts, divsyn/web): esbuild bundles it for the browser (and refuses a module
// with a node: import); the bundle, run under onnxruntime-web's WASM backend in Node, samples every model
// kind as onnxruntime-node runs the same file through the runtime's own runner; its layouts from indices
// and from palette colours are those `divsyn sample` reads from files.
import test from 'ava';
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ortWeb from 'onnxruntime-web';
import { indicesToColors, writePng } from '../common/image.js';
import { UserError } from '../common/errors.js';
import { readGeneratorInfo } from '../common/generator-info.js';
import { packVariations } from '../common/variation.js';
import { fixtureLayout } from '../fixtures/facades.js';
import { openSampler } from '../runtime/open-sampler.js';
import { oneHot, readLabelMap, writeIndexPng } from '../train/labels.js';
import { repoRoot, tempDir } from './helpers/cli.js';
import { initGenerators } from './helpers/generators.js';
import type * as WebEntry from '../web/index.js';

const S = 32;
const dir = tempDir();
const files = initGenerators(dir);
const webEntry = path.join(repoRoot, 'dist', 'web', 'index.js');

/** The browser bundle of the web entry, as a file Node can import. */
async function bundle(): Promise<{ file: string; inputs: string[] }> {
  const file = path.join(dir, 'divsyn-web.mjs');
  const r = await build({ entryPoints: [webEntry], bundle: true, platform: 'browser', format: 'esm', outfile: file, metafile: true, logLevel: 'silent' });
  return { file, inputs: Object.keys(r.metafile.inputs) };
}
const bundled = bundle();

test('esbuild bundles the web entry for the browser, without onnxruntime, sharp or a node: module', async (t) => {
  const { file, inputs } = await bundled;
  t.true(fs.statSync(file).size > 0);
  t.true(
    inputs.some((i) => i.endsWith('dist/common/generator-info.js')),
    'the bundle holds the reader',
  );
  t.deepEqual(
    inputs.filter((i) => /onnxruntime|sharp|p-queue|^node:/.test(i)),
    [],
  );
});

test('esbuild refuses a browser bundle of a module with a node: import (the check above can fail)', async (t) => {
  const e = await t.throwsAsync(build({ entryPoints: [path.join(repoRoot, 'dist', 'runtime', 'onnx-file.js')], bundle: true, platform: 'browser', write: false, logLevel: 'silent' }));
  t.regex(e?.message ?? '', /Could not resolve "node:fs"/);
});

/** Two fixture layouts per file, and for each three drawn samples and the deterministic one. */
const layoutIndices = [fixtureLayout('test', 0, S), fixtureLayout('test', 1, S)];

for (const name of Object.keys(files)) {
  test(`${name}: the bundled web entry under onnxruntime-web (WASM) gives onnxruntime-node's images within 1e-5`, async (t) => {
    ortWeb.env.wasm.numThreads = 1;
    const web = (await import(pathToFileURL((await bundled).file).href)) as typeof WebEntry;
    const bytes = fs.readFileSync(files[name]);
    const sampler = await web.createSampler(bytes, ortWeb, { sessionOptions: { executionProviders: ['wasm'] }, batch: 3 });
    const layouts = layoutIndices.map((indices) => web.layoutFromIndices(sampler.info, indices).onehot);
    const jobs = layouts.flatMap((onehot, i) => [0, 1, 2].map((k) => ({ onehot, z: sampler.scheme.draw(7, `layout${i}`, k) })).concat([{ onehot, z: sampler.scheme.zero() }]));
    const images = await sampler.generate(
      jobs.map((j) => j.onehot),
      jobs.map((j) => j.z),
    );
    await sampler.release();

    const runner = await openSampler(bytes, { threads: 1 });
    const reference = await runner.generatePacked(packVariations(jobs.map((j) => j.onehot)), packVariations(jobs.map((j) => j.z)), jobs.length);
    await runner.release();

    t.is(images.length, jobs.length * 3 * S * S);
    let worst = 0;
    for (let i = 0; i < images.length; i++) worst = Math.max(worst, Math.abs(images[i] - reference[i]));
    t.log(`largest difference ${worst}`);
    t.true(worst <= 1e-5, `largest difference ${worst}`);
    // the comparison means something: samples of a layout differ, and the images are not flat
    const per = 3 * S * S;
    const sample = (j: number) => images.subarray(j * per, (j + 1) * per);
    let apart = 0;
    for (let i = 0; i < per; i++) apart = Math.max(apart, Math.abs(sample(0)[i] - sample(1)[i]));
    t.true(apart > 1e-3, `samples 0 and 1 differ by at most ${apart}`);
    t.true(Math.max(...sample(0)) - Math.min(...sample(0)) > 0.05);
  });
}

test("layouts from indices and from palette colours (RGB, RGBA) are the one-hot maps of the same layout's files", async (t) => {
  const web = await import('../web/index.js');
  const info = readGeneratorInfo(fs.readFileSync(files.crn));
  const indices = fixtureLayout('test', 2, S);
  const indexFile = path.join(dir, 'index.png');
  const colourFile = path.join(dir, 'colour.png');
  await writeIndexPng(indexFile, indices, S, S, info.classes);
  const rgb = indicesToColors(indices, info.classes);
  await writePng(colourFile, { data: rgb, width: S, height: S, channels: 3 });
  const fromFile = oneHot((await readLabelMap(indexFile, info.classes)).indices, 12);
  t.deepEqual(oneHot((await readLabelMap(colourFile, info.classes)).indices, 12), fromFile);
  t.deepEqual(web.layoutFromIndices(info, indices).onehot, fromFile);
  t.deepEqual(web.layoutFromIndices(info, Array.from(indices)).onehot, fromFile);
  t.deepEqual(web.layoutFromRgb(info, { data: rgb, width: S, height: S }).onehot, fromFile);
  const rgba = new Uint8ClampedArray(4 * S * S).map((_, i) => (i % 4 === 3 ? 0 : rgb[3 * Math.floor(i / 4) + (i % 4)]));
  t.deepEqual(web.layoutFromRgb(info, { data: rgba, width: S, height: S }).onehot, fromFile);
  t.true(
    fromFile.some((v, i) => v === 1 && i >= S * S),
    'the layout has more than one class',
  );

  const refused = (f: () => unknown, pattern: RegExp) => t.regex(t.throws(f, { instanceOf: UserError })?.message ?? '', pattern);
  refused(() => web.layoutFromIndices(info, indices.subarray(1), 'map.bin'), /map\.bin: 1023 class indices for a 32x32 model/);
  refused(
    () =>
      web.layoutFromIndices(
        info,
        Array.from(indices, (v, i) => (i === 33 ? 12 : v)),
        'map.bin',
      ),
    /map\.bin: value 12 at pixel \(1, 1\) is not a class index \(0\.\.11\)/,
  );
  refused(() => web.layoutFromRgb(info, { data: rgb, width: 16, height: 64 }, 'canvas'), /canvas: 16x64 pixels for a model of 32x32/);
});

test("toRgba gives a sample's pixels as opaque RGBA bytes, as divsyn writes its PNGs", async (t) => {
  const { toRgba } = await import('../web/index.js');
  const { chwToRgb } = await import('../common/image.js');
  const images = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => Math.sin(i) * 0.8 + 0.5);
  const rgba = toRgba(images, 4, 5, 1);
  const rgb = chwToRgb(images, 4, 5, 3 * 4 * 5).data;
  t.deepEqual(
    [...rgba].filter((_, i) => i % 4 !== 3),
    [...rgb],
  );
  t.true([...rgba].every((v, i) => i % 4 !== 3 || v === 255));
});

test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
