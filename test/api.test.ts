// The library's API as an integrator uses it: a layout from an index array gives the images of the same
// map read from a file (index PNG, colour PNG, bytes); train() stopped by an AbortSignal resumes to the
// file of an uninterrupted run; evaluate() returns report.json's object; exportTraining() its files;
// faults are UserErrors of a kind.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';
import { indicesToColors, writePng } from '../common/image.js';
import { cmpFacades } from '../common/palettes.js';
import { fixtureLayout } from '../fixtures/facades.js';
import { writeIndexPng } from '../train/labels.js';
import { evaluate, exportTraining, openGenerator, sample, train } from '../index.js';
import { tempDir } from './helpers/cli.js';
import { initGenerators } from './helpers/generators.js';

const S = 32;
const dir = tempDir();
const files = initGenerators(dir, ['pix2pix', 'latent --with-noise']);
const indices = fixtureLayout('test', 0, S);
const indexPng = path.join(dir, 'facade.png');
const colourPng = path.join(dir, 'facade-colour.png');
const written = Promise.all([writeIndexPng(indexPng, indices, S, S, cmpFacades()), writePng(colourPng, { data: indicesToColors(indices, cmpFacades()), width: S, height: S, channels: 3 })]);
const tiny = { model: 'pix2pix', data: 'fixture', size: '32', width: 4, threads: 1 } as const;

const thrown = async (f: () => Promise<unknown>): Promise<UserError> => {
  try {
    await f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
};

test('a layout from an index array gives the images of the same map read from an index PNG, a colour PNG and PNG bytes', async (t) => {
  await written;
  const g = await openGenerator(files['pix2pix'], { threads: 1 });
  try {
    t.is(g.kind, 'pix2pix');
    t.deepEqual([g.height, g.width, g.classes.length], [S, S, 12]);
    t.deepEqual(
      g.inputs.map((v) => [v.name, v.kind]),
      [
        ['layout', 'labels'],
        ['noise', 'noise'],
      ],
    );
    const fromArray = await g.layout(indices, { stem: 'facade' });
    const fromFiles = await Promise.all([g.layout(indexPng), g.layout(colourPng, { stem: 'facade' }), g.layout(fs.readFileSync(indexPng), { stem: 'facade' })]);
    const reference = await g.sample(fromArray, { count: 3, seed: 4 });
    t.is(reference.length, 3);
    t.notDeepEqual(reference[0].image.data, reference[1].image.data, 'samples differ');
    for (const layout of fromFiles) {
      t.is(layout.stem, 'facade');
      t.deepEqual(layout.indices, fromArray.indices);
      const images = await g.sample(layout, { count: 3, seed: 4 });
      t.deepEqual(
        images.map((s) => s.image.data),
        reference.map((s) => s.image.data),
      );
    }
    // several layouts in one batch: each layout's samples as sample() gives them alone
    const other = await g.layout(fixtureLayout('test', 1, S), { stem: 'other' });
    const [mine, theirs] = await g.sampleBatch([fromArray, other], { count: 3, seed: 4 });
    t.deepEqual(
      mine.map((s) => s.image.data),
      reference.map((s) => s.image.data),
    );
    t.deepEqual(
      theirs.map((s) => s.record),
      (await g.sample(other, { count: 3, seed: 4 })).map((s) => s.record),
    );
    // the record is what was fed: fixing a class sets its noise and nothing else
    const fixed = await g.sample(fromArray, { count: 1, seed: 4, noise: { facade: 0.5 } });
    t.is(fixed[0].record.noise?.facade, 0.5);
    t.is(fixed[0].record.noise?.window, reference[0].record.noise?.window);
    t.like(fixed[0].record, { stem: 'facade', seed: 4, k: 0 });
    const sweep = await g.sweep(fromArray, { class: 'facade', steps: 3 });
    t.deepEqual(
      sweep.map((s) => s.record.noise?.facade),
      [-1, 0, 1],
    );
    t.is((await thrown(() => g.layout([1, 2, 3]))).kind, 'data');
    t.is((await thrown(() => g.sweep(fromArray, { class: 'tree' }))).kind, 'usage');
    t.is((await thrown(() => g.interpolate(fromArray, { from: 0, to: 1 }))).kind, 'usage');
  } finally {
    await g.release();
  }
});

test('latent models: interpolate walks between two training codes, and records the code fed', async (t) => {
  const g = await openGenerator(files['latent --with-noise'], { threads: 1 });
  try {
    const layout = await g.layout(indices);
    const strip = await g.interpolate(layout, { from: 0, to: 1, steps: 4 });
    t.is(strip.length, 4);
    const codes = strip.map((s) => s.record.code!);
    t.notDeepEqual(codes[0], codes[3]);
    for (const [i, c] of codes[1].entries()) t.true(Math.abs(c - (2 * codes[0][i] + codes[3][i]) / 3) < 1e-6);
  } finally {
    await g.release();
  }
});

test('train() stopped by an AbortSignal resumes to the same generator file as an uninterrupted run', async (t) => {
  const whole = path.join(dir, 'whole');
  const parts = path.join(dir, 'parts');
  const options = { ...tiny, steps: 12, checkpointEvery: 4 };
  const full = await train({ ...options, out: whole });
  t.false(full.stopped);
  t.is(full.steps, 12);

  const controller = new AbortController();
  const seen: number[] = [];
  const first = await train(
    { ...options, out: parts },
    {
      signal: controller.signal,
      onProgress: (s) => {
        seen.push(s.step);
        if (s.step === 6) controller.abort();
      },
    },
  );
  t.true(first.stopped);
  t.is(first.steps, 6);
  t.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  const logs: string[] = [];
  const rest = await train({ out: parts, resume: true, threads: 1 }, { onLog: (m) => logs.push(m) });
  t.false(rest.stopped);
  t.is(rest.steps, 12);
  t.true(
    logs.some((m) => /steps 6\.\.12/.test(m)),
    logs.join('\n'),
  );
  t.true(fs.readFileSync(rest.generator).equals(fs.readFileSync(full.generator)), 'the resumed run wrote other bytes');
});

test('train(), sample(), evaluate() and exportTraining() check their options objects as the CLI checks flags', async (t) => {
  t.regex((await thrown(() => train({ ...tiny, out: path.join(dir, 'bad'), steps: 0 }))).message, /option --steps: 0 is below the minimum 1/);
  t.is((await thrown(() => train({ ...tiny, out: path.join(dir, 'bad'), steps: 1.5 }))).kind, 'usage');
  // an object from JavaScript may hold anything: an unknown key is refused, not ignored
  t.regex((await thrown(() => train({ ...tiny, out: path.join(dir, 'bad'), stepz: 3 } as never))).message, /unknown option 'stepz'/);
  t.regex((await thrown(() => train({ ...tiny, resume: true, force: true, out: path.join(dir, 'bad') }))).message, /--resume or --force/);
  t.is((await thrown(() => sample({ model: path.join(dir, 'missing.onnx'), layouts: 'fixture', out: path.join(dir, 's') }))).kind, 'model');
  t.is((await thrown(() => evaluate({ model: [files['pix2pix']], data: path.join(dir, 'nowhere'), out: path.join(dir, 'e') }))).kind, 'data');
});

test('evaluate() returns the report it writes as report.json; exportTraining() the files it writes', async (t) => {
  const out = path.join(dir, 'eval');
  const progress: number[] = [];
  const report = await evaluate({ model: [files['pix2pix']], data: 'fixture', limit: 2, count: 2, threads: 1, out }, { onProgress: (done) => progress.push(done) });
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')), JSON.parse(JSON.stringify(report)));
  t.is(report.layouts, 2);
  t.is(report.models.length, 1);
  t.deepEqual(progress, [1, 2]);
  const written = await exportTraining({ model: 'crn', classes: 3, size: '32', width: 4, out: path.join(dir, 'export') });
  t.deepEqual(written.map((f) => path.basename(f)).sort(), ['forward_loss.onnx', 'gradients.onnx', 'init.onnx', 'manifest.json', 'train_step.onnx']);
  for (const f of written) t.true(path.isAbsolute(f) && fs.statSync(f).size > 0, f);
});
