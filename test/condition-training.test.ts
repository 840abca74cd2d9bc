// Models conditioned on normal maps and landmark heat maps (issue 24), end to end through
// train/condition-training.ts: a latent model trained briefly on each input gives different images for
// different codes and the same image for the same code; the file says its input kind (metadata, the
// reader, divsyn info); sampling, the web sampler and the evaluation hook take the condition; label-map
// options on such a model are usage errors.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';
import { readGeneratorInfo } from '../common/generator-info.js';
import { variationScheme } from '../common/variation.js';
import { readGenerator } from '../runtime/model-file.js';
import { openSampler } from '../runtime/open-sampler.js';
import { variationInputs } from '../graph/families/index.js';
import { sampleLayouts } from '../runtime/sampler.js';
import { conditionInputs } from '../train/condition-data.js';
import { checkInputOptions, conditionGeneratorSpec, trainOnConditions } from '../train/condition-training.js';
import { conditionSpec } from '../graph/condition.js';
import { evaluateOnConditions } from '../metrics/condition-eval.js';
import { conditionFromPoints } from '../web/conditions.js';
import { divsyn, tempDir } from './helpers/cli.js';

const S = 32;
const tiny = { height: S, width: S, channels: 8, seed: 4, branches: 3, splitDepth: 1, steps: 12, checkpointEvery: 1000, threads: 1 };

/** A latent model trained on the bundled data of `input`, once per input for all the tests below. */
const trained = new Map<string, Promise<string>>();
function latentOn(input: 'image' | 'landmarks'): Promise<string> {
  if (!trained.has(input)) {
    const out = path.join(tempDir(), 'run');
    trained.set(
      input,
      trainOnConditions({ ...tiny, model: 'latent', input, data: 'fixture', out, ...(input === 'landmarks' ? { sigma: 1.5, neighbours: 2, theta: 0.9 } : {}) }).then(() =>
        path.join(out, 'generator.onnx'),
      ),
    );
  }
  return trained.get(input)!;
}

test.after.always(async () => {
  for (const p of trained.values()) fs.rmSync(path.dirname(path.dirname(await p)), { recursive: true, force: true });
});

const meanAbs = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

for (const input of ['image', 'landmarks'] as const) {
  test(`latent on ${input}: different codes give different images, the same code the same image`, async (t) => {
    const file = await latentOn(input);
    const { spec } = readGenerator(file);
    t.is(spec.condition?.kind, input);
    const [cond] = await conditionInputs('fixture', spec.condition!, S, S);
    const g = await openSampler(file, { threads: 1 });
    try {
      const scheme = variationScheme(spec);
      const per = cond.condition.length;
      const twice = new Float32Array(3 * per);
      for (let k = 0; k < 3; k++) twice.set(cond.condition, k * per);
      const z = [scheme.draw(1, cond.stem, 0), scheme.draw(1, cond.stem, 1), scheme.draw(1, cond.stem, 0)];
      const out = await g.generatePacked(twice, Float32Array.from(z.flatMap((v) => Array.from(v))), 3);
      const img = (k: number) => out.subarray(k * 3 * S * S, (k + 1) * 3 * S * S);
      t.deepEqual(img(0), img(2));
      t.true(meanAbs(img(0), img(1)) > 1e-3, `codes 0 and 1 differ by ${meanAbs(img(0), img(1))}`);
      // the condition matters: another item's condition gives another image for the same code
      const [, other] = await conditionInputs('fixture', spec.condition!, S, S);
      const third = await g.generatePacked(other.condition, z[0], 1);
      t.true(meanAbs(third, img(0)) > 1e-3);
    } finally {
      await g.release();
    }
  });
}

test('the file says its input kind: divsyn.condition, the condition input in divsyn.inputs, the reader and divsyn info', async (t) => {
  const file = await latentOn('landmarks');
  const info = readGeneratorInfo(fs.readFileSync(file), file);
  t.deepEqual(info.classes, []);
  t.deepEqual(info.architecture.condition, { kind: 'landmarks', channels: 68, range: [0, 1], sigma: 1.5 });
  t.deepEqual(info.inputs[0], { name: 'condition', kind: 'landmarks', shape: ['N', 68, S, S], axes: ['sample', 'point', 'y', 'x'], values: 'heat-map', range: [0, 1], sigma: 1.5 });
  t.deepEqual(
    info.inputs.map((v) => v.name),
    ['condition', 'code'],
  );
  t.is(info.training?.input, 'landmarks');
  const text = divsyn('info', file);
  t.is(text.status, 0, text.stderr);
  t.regex(text.stdout, /^input: {3}landmarks \(68 heat maps, σ 1\.5 px\)$/m);
  t.regex(text.stdout, /^ {2}condition float32 \[N, 68, 32, 32\] {2}\(sample, point, y, x\) {2}heat-map in \[0, 1\]$/m);
  t.notRegex(text.stdout, /^classes:/m);
  const json = JSON.parse(divsyn('info', await latentOn('image'), '--json').stdout);
  t.is(json.inputs[0].kind, 'image');
  t.deepEqual(json.architecture.condition, { kind: 'image', channels: 3, range: [-1, 1] });
});

test("sampling takes conditions: divsyn sample's engine, the web sampler from a point file, and the evaluation hook", async (t) => {
  const file = await latentOn('landmarks');
  const { spec } = readGenerator(file);
  const out = tempDir();
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const items = (await conditionInputs('fixture', spec.condition!, S, S)).slice(0, 2);
  const r = await sampleLayouts(
    items.map((it) => ({ stem: it.stem, source: it.source, onehot: it.condition })),
    2,
    {
      model: file,
      classes: [],
      input: { name: 'condition', channels: 68 },
      height: S,
      width: S,
      out,
      count: 2,
      seed: 0,
      scheme: variationScheme(spec),
      inputs: variationInputs(spec),
      fixed: new Map(),
      batch: 2,
      ep: 'cpu',
      threads: 1,
    },
  );
  t.is(r.images, 4);
  t.true(fs.existsSync(path.join(out, `${items[0].stem}_1.png`)));

  // a point file of the model's pixels through the web entry, as a studio page would feed it
  const pts = `version: 1\nn_points: 68\n{\n${Array.from({ length: 68 }, (_, i) => `${8 + (i % 17)} ${6 + Math.floor(i / 17) * 5}`).join('\n')}\n}\n`;
  const sampler = await openSampler(file, { threads: 1 });
  try {
    const condition = conditionFromPoints(sampler.info, pts, 'drawn.pts');
    t.is(condition.length, 68 * S * S);
    const { images } = await sampler.sample(condition, { seed: 3, stem: 'drawn', count: 2 });
    t.is(images.length, 2 * 3 * S * S);
    t.throws(() => conditionFromPoints(sampler.info, '1 2\n3 4\n', 'two.txt'), { instanceOf: UserError, message: /two\.txt: 2 points; this model takes 68/ });
  } finally {
    await sampler.release();
  }

  const report = await evaluateOnConditions({ model: file, data: 'fixture', count: 2, seed: 0, items: 2, threads: 1 });
  t.true(report.diversity.diversity > 0);
  t.true(report.accuracy.ssim.best >= report.accuracy.ssim.mean);
  t.is(report.diversity.linking, undefined);
  t.is(report.realism, undefined);
});

test('crn on normal maps trains with augmentation and no noise: one image per condition', async (t) => {
  const out = path.join(tempDir(), 'run');
  t.teardown(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));
  const r = await trainOnConditions({ ...tiny, steps: 4, model: 'crn', input: 'image', data: 'fixture', out, augment: true });
  t.is(r.steps, 4);
  const info = readGeneratorInfo(fs.readFileSync(path.join(out, 'generator.onnx')));
  t.deepEqual(
    info.inputs.map((v) => `${v.name}:${v.kind}`),
    ['condition:image'],
  );
  t.true(Number.isFinite(r.lastLosses.G_content));
});

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError && e.exitCode === 2) return e.message;
    throw e;
  }
  throw new Error('no usage error');
};

test('label-map options on a model fed normal maps or landmarks are usage errors naming the option', (t) => {
  const check = (given: string[], o: { model?: 'latent' | 'crn' | 'pix2pix' | 'crn-multi'; input?: 'image' | 'landmarks' | 'labels'; command?: string; diversity?: string } = {}) =>
    checkInputOptions({ model: o.model ?? 'latent', input: o.input ?? 'landmarks', command: o.command ?? 'train', given: new Set(given), values: { diversity: o.diversity } });
  t.regex(
    usage(() => check(['lambda'])),
    /^--lambda bounds the diversity loss per class: it does not apply to --input landmarks$/,
  );
  t.regex(
    usage(() => check(['withNoise'], { input: 'image' })),
    /^--with-noise adds the per-class noise, one knob per class: it does not apply to --input image$/,
  );
  t.regex(
    usage(() => check(['palette'])),
    /--palette names the classes of label maps/,
  );
  t.regex(
    usage(() => check(['format'])),
    /--format reads label-map datasets/,
  );
  t.regex(
    usage(() => check(['noise'], { command: 'sample' })),
    /--noise sets a class’s noise/,
  );
  t.regex(
    usage(() => check(['segmenter'], { command: 'eval' })),
    /--segmenter measures realism/,
  );
  t.notThrows(() => check(['segmenter', 'neighbours', 'theta', 'sigma'])); // train's --segmenter is the content loss's network
  t.regex(
    usage(() => check(['diversity'], { diversity: 'bounded' })),
    /^--diversity bounded needs label maps: its per-class noise has one knob per class, and --input landmarks has no classes \(use --diversity none\)$/,
  );
  t.notThrows(() => check(['diversity'], { diversity: 'none' }));
  t.regex(
    usage(() => check([], { model: 'pix2pix' })),
    /^--input landmarks applies to --model crn and latent, not --model pix2pix$/,
  );
  t.regex(
    usage(() => check(['sigma'], { input: 'image' })),
    /^--sigma applies to --input landmarks/,
  );
  t.regex(
    usage(() => check(['sigma'], { input: 'labels' })),
    /^--sigma applies to --input landmarks/,
  );
  t.notThrows(() => check(['lambda', 'palette'], { input: 'labels', model: 'pix2pix' }));
  // the family's own check, where a spec is built with noise anyway
  t.regex(
    usage(() => conditionGeneratorSpec({ model: 'crn-multi', height: S, width: S, seed: 0 }, conditionSpec('image'))),
    /--input image applies to --model crn and latent, not --model crn-multi/,
  );
});
