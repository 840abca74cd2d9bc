// Latent drop-out codes (issue 6): the channel mask of hand-picked codes in the graph, gradients reaching
// only the branches the assignment matched, the same code giving the same image, separate branches chosen
// by the nearest training code, and interpolation strips whose ends are the codes' own images.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Graph, emitModel, initParams } from '../graph/index.js';
import { codeDropout } from '../graph/models/latent.js';
import { emitProgram, generatorParams, trainingPrograms } from '../graph/programs/index.js';
import { GeneratorSpec, PIXELS_ONLY } from '../graph/spec.js';
import { defaultTrainingOptions } from '../graph/families/index.js';
import { readGenerator, writeGenerator } from '../runtime/model-file.js';
import { floatTensor } from '../runtime/session.js';
import { trainingCodes } from '../train/codes.js';
import { genericPalette } from '../common/palettes.js';
import { runModel } from './helpers/gradcheck.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { divsyn, tempDir, tinyTrainArgs } from './helpers/cli.js';

test('the code keeps channel c iff z_c > r, scaled by 1/(1-r), the same at every pixel', async (t) => {
  const g = new Graph();
  const x = g.input('x', [2, 4, 2, 2]);
  const code = g.input('code', [2, 4]);
  const y = codeDropout(x, code, 0.5);
  const ones = new Float32Array(32).fill(1);
  const r = await runModel(emitModel(g, { outputs: [['y', y]], params: 'initializers' }), {
    x: floatTensor(ones, [2, 4, 2, 2]),
    code: floatTensor(Float32Array.of(0.2, 0.7, 0.5, 0.51, 1, 0, 0.9, 0.49), [2, 4]),
  });
  const expected = [0, 2, 0, 2, 2, 0, 2, 0].flatMap((v) => [v, v, v, v]);
  t.deepEqual(Array.from(r.y), expected);
});

const S = 32;
function latentSpec(sharing: 'shared' | 'separate', branches = 3, depth = 1): GeneratorSpec {
  const codeDim = 4; // module width below 128 px
  return {
    model: 'latent',
    classes: genericPalette(2),
    height: S,
    width: S,
    channels: codeDim,
    norm: 'none',
    latent: { branches, depth, dropRate: 0.5, sharing, noise: false, codeDim, codes: Array.from(trainingCodes(3, branches, codeDim, 'binary')) },
  };
}

function batchData(c = 2) {
  const layout = new Float32Array(c * S * S);
  for (let p = 0; p < S * S; p++) layout[(p % S < 10 ? 0 : 1) * S * S + p] = 1;
  const image = new Float32Array(3 * S * S).map((_, i) => (i % 7) / 7);
  const neighbour = new Float32Array(3 * S * S).map((_, i) => (i % 5) / 5);
  return { layout, image, neighbour };
}

test('gradients reach only the branches the assignment matched (separate branches); the loss is the matched entries of the loss matrix', async (t) => {
  const spec = latentSpec('separate');
  const o = { ...defaultTrainingOptions(spec, { diversity: 'none', perceptual: PIXELS_ONLY }), neighbours: 1 };
  const p = trainingPrograms(spec, o);
  const values = initParams(p.gradients.graph.params, 1);
  const { layout, image, neighbour } = batchData();
  const d = spec.latent!.codeDim;
  const feeds: Record<string, ReturnType<typeof floatTensor>> = {
    layout: floatTensor(layout, [1, 2, S, S]),
    image: floatTensor(image, [1, 3, S, S]),
    neighbours: floatTensor(neighbour, [1, 3, S, S]),
    code: floatTensor(Float32Array.from(spec.latent!.codes), [3, d]),
  };
  for (const x of p.gradients.inputs) if (x.spec.role === 'param') feeds[x.spec.name] = floatTensor(values.get(x.spec.name.replace(/^param\./, ''))!, x.spec.shape as number[]);
  const losses = (await runModel(emitProgram(p.lossMatrix!), feeds)).losses; // [1, 3 branches, 2 targets]
  t.is(losses.length, 6);
  // branch 1 learns the photo, branch 2 the neighbour; branch 0 nothing
  const assignment = Float32Array.of(0, 0, 1, 0, 0, 1);
  const r = await runModel(emitProgram(p.gradients), { ...feeds, assignment: floatTensor(assignment, [1, 3, 2]) });
  t.true(Math.abs(r.loss[0] - (losses[2] + losses[5])) < 1e-6, `${r.loss[0]} vs ${losses[2] + losses[5]}`);
  const norm = (prefix: string) =>
    Object.entries(r)
      .filter(([k]) => k.startsWith(`grad.${prefix}`))
      .reduce((s, [, v]) => s + v.reduce((a, x) => a + x * x, 0), 0);
  t.is(norm('branch0.'), 0, 'an unmatched branch gets no gradient');
  t.true(norm('branch1.') > 0 && norm('branch2.') > 0, 'matched branches learn');
  t.true(norm('module0.') > 0, 'the shared layers before the split learn from the matched branches');
});

test('separate branches: the file runs the branch of the nearest training code; the same code gives the same image', async (t) => {
  const spec = latentSpec('separate');
  const file = path.join(tempDir(), 'latent.onnx');
  writeGenerator(file, spec, initParams(generatorParams(spec), 2));
  const back = readGenerator(file).spec;
  t.deepEqual(back.latent, spec.latent, 'the training codes and the split travel in the metadata');
  const bytes = new Uint8Array(fs.readFileSync(file));
  const { layout } = batchData();
  const d = spec.latent!.codeDim;
  const code = (i: number, jitter = 0) => Float32Array.from(spec.latent!.codes.slice(i * d, (i + 1) * d).map((v) => v + jitter));
  const image = async (z: Float32Array) => (await runModel(bytes, { layout: floatTensor(layout, [1, 2, S, S]), code: floatTensor(z, [1, d]) })).image;
  const [a, b, a2, aNear] = await Promise.all([image(code(0)), image(code(1)), image(code(0)), image(code(0, 0.01))]);
  t.deepEqual(a, a2);
  t.notDeepEqual(a, b);
  t.deepEqual(aNear, a, 'a code near training code 0 (no channel flips) picks its branch');
});

test("train latent with neighbours; sample --code-interp: the strip starts and ends at the training codes' images", async (t) => {
  const dir = tempDir();
  const run = path.join(dir, 'run');
  const r = divsyn(...tinyTrainArgs(8, 'latent'), '--branches', '3', '--neighbours', '2', '--theta', '0.5', '--steps', '3', '--warmup', '1', '--out', run);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /neighbours: θ 0\.5, up to 2 per input/);
  t.true(fs.existsSync(path.join(run, 'neighbours.json')), 'the neighbour table is cached');
  const log = fs
    .readFileSync(path.join(run, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.true(log[2].lr < log[0].lr, 'poly decay');
  const model = path.join(run, 'generator.onnx');
  const train = path.join(dir, 'train');
  const interp = path.join(dir, 'interp');
  t.is(divsyn('sample', '--model', model, '--layouts', 'fixture', '--count', '3', '--codes', 'train', '--out', train).status, 0);
  const s = divsyn('sample', '--model', model, '--layouts', 'fixture', '--count', '1', '--code-interp', '0,2', '--out', interp);
  t.is(s.status, 0, s.stderr);
  const stem = 'facade_test_0000';
  const strip = await sharp(path.join(interp, `${stem}_interp.png`))
    .raw()
    .toBuffer({ resolveWithObject: true });
  t.is(strip.info.width, 8 * S + 7 * 2, 'eight images with the tile gap');
  const tileOf = (k: number) => {
    const out = Buffer.alloc(S * S * 3);
    for (let y = 0; y < S; y++) strip.data.copy(out, y * S * 3, (y * strip.info.width + k * (S + 2)) * 3, (y * strip.info.width + k * (S + 2) + S) * 3);
    return out;
  };
  for (const [k, code] of [
    [0, 0],
    [7, 2],
  ]) {
    const own = await sharp(path.join(train, `${stem}_${code}.png`))
      .raw()
      .toBuffer();
    t.true(own.equals(tileOf(k)), `strip end ${k} is training code ${code}'s image`);
  }
  t.not(divsyn('sample', '--model', model, '--layouts', 'fixture', '--code-interp', '0,9', '--out', path.join(dir, 'bad')).status, 0);
});

test('latent with noise: the noisy pass learns the same assigned targets, weighted by --noise-content', async (t) => {
  const base = latentSpec('shared');
  const spec: GeneratorSpec = { ...base, latent: { ...base.latent!, noise: true } };
  const o = defaultTrainingOptions(spec, { perceptual: PIXELS_ONLY, noiseContentWeight: 2 });
  t.is(o.diversity, 'bounded');
  const step = trainingPrograms(spec, o).trainStep;
  const { layout, image } = batchData();
  const d = spec.latent!.codeDim;
  const feeds: Record<string, ReturnType<typeof floatTensor>> = {
    layout: floatTensor(layout, [1, 2, S, S]),
    image: floatTensor(image, [1, 3, S, S]),
    code: floatTensor(Float32Array.from(spec.latent!.codes), [3, d]),
    assignment: floatTensor(Float32Array.of(0, 1, 0), [1, 3, 1]), // branch 1 learns the photo
  };
  for (const [name, { spec: io, value }] of initialValues(step, 2, 1e-4)) feeds[name] = floatTensor(value, io.shape as number[]);
  const bytes = emitProgram(step);
  const run = async (noise: number[]) => runModel(bytes, { ...feeds, noise: floatTensor(Float32Array.from(noise), [1, 2]) });
  // zero noise: G(l, n) is G(l, 0), so both passes' assigned losses agree exactly
  const zero = await run([0, 0]);
  t.is(zero['loss.G_assigned_noise'][0], zero['loss.G_assigned'][0]);
  const noisy = await run([0.9, -0.7]);
  const [total, assigned, assignedNoise, div] = ['loss.G', 'loss.G_assigned', 'loss.G_assigned_noise', 'loss.G_div'].map((k) => noisy[k][0]);
  t.not(assignedNoise, assigned, 'the noise changes the noisy pass');
  t.true(Math.abs(assigned - zero['loss.G_assigned'][0]) <= 1e-6 * assigned, 'G(l, 0) and its loss do not depend on the noise');
  t.true(Math.abs(total - (assigned + 2 * assignedNoise + o.beta * div)) <= 1e-5 * total, `${total} vs ${assigned} + 2·${assignedNoise} + β·${div}`);
});
