// The noise channel and the diversity losses against hand-computed cases.
import test from 'ava';
import * as G from '../graph/index.js';
import { Graph } from '../graph/index.js';
import { diversityLoss, DiversityMode } from '../graph/losses.js';
import { noiseChannel } from '../graph/models/pix2pix.js';
import { floatTensor } from '../runtime/session.js';
import { runModel } from './helpers/gradcheck.js';
import { emitProgram, trainingPrograms } from '../graph/programs/index.js';
import { defaultTrainingOptions } from '../graph/families/index.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { genericPalette } from '../common/palettes.js';

// 2 samples, 3 classes, 2x2 pixels. Sample 0: classes 0,0,1,1 (class 2 absent); sample 1: 0,1,2,2.
const labels = [
  [0, 0, 1, 1],
  [0, 1, 2, 2],
];
const layout = new Float32Array(2 * 3 * 4);
labels.forEach((ls, n) => ls.forEach((c, p) => (layout[(n * 3 + c) * 4 + p] = 1)));
const noise = Float32Array.of(0.5, -1, 0.25, -0.2, 0.8, 1);

test('the noise channel holds n^c at every pixel of class c, different per class', async (t) => {
  const g = new Graph();
  const l = g.input('layout', ['N', 3, 2, 2]);
  const z = g.input('noise', ['N', 3]);
  const out = await runModel(G.emitModel(g, { outputs: [['ch', noiseChannel(l, z)]], params: 'inputs' }), {
    layout: floatTensor(layout, [2, 3, 2, 2]),
    noise: floatTensor(noise, [2, 3]),
  });
  const expected = labels.flatMap((ls, n) => ls.map((c) => noise[n * 3 + c]));
  t.deepEqual(
    Array.from(out.ch).map((v) => +v.toFixed(6)),
    expected.map((v) => +v.toFixed(6)),
  );
  t.not(out.ch[0], out.ch[2], 'two classes of one sample get different values');
});

// images a = G(l,0), b = G(l,n): 3 channels; |a-b| per pixel, mean over RGB:
// sample 0: pixels 0.3, 0.1, 0.4, 0.0; sample 1: 0.2, 0.6, 0.1, 0.3
const diffs = [
  [0.3, 0.1, 0.4, 0.0],
  [0.2, 0.6, 0.1, 0.3],
];
const a = new Float32Array(2 * 3 * 4);
const b = new Float32Array(2 * 3 * 4);
diffs.forEach((ds, n) =>
  ds.forEach((d, p) => {
    // channel values whose mean |difference| over RGB is d: differences d, d, d with mixed signs
    for (let ch = 0; ch < 3; ch++) b[(n * 3 + ch) * 4 + p] = ch === 1 ? -d : d;
  }),
);

async function loss(mode: DiversityMode, lambda: number[], pool = 1, second = b): Promise<number> {
  const g = new Graph();
  const l = g.input('layout', [2, 3, 2, 2]);
  const z = g.input('noise', [2, 3]);
  const ta = g.input('a', [2, 3, 2, 2]);
  const tb = g.input('b', [2, 3, 2, 2]);
  const y = diversityLoss(l, z, ta, tb, { mode, lambda, pool });
  const out = await runModel(G.emitModel(g, { outputs: [['loss', y]], params: 'inputs' }), {
    layout: floatTensor(layout, [2, 3, 2, 2]),
    noise: floatTensor(noise, [2, 3]),
    a: floatTensor(a, [2, 3, 2, 2]),
    b: floatTensor(second, [2, 3, 2, 2]),
  });
  return out.loss[0];
}

// class-wise L1: sample 0: c0 (0.3+0.1)/2 = 0.2, c1 (0.4+0)/2 = 0.2, c2 absent;
//                sample 1: c0 0.2, c1 0.6, c2 (0.1+0.3)/2 = 0.2
test('bounded (eq. 7): Σ_c |n^c| max(0, λ_c − ‖Δ‖^c) over present classes, batch mean', async (t) => {
  const lambda = [0.3, 0.5, 0.25];
  const s0 = 0.5 * (0.3 - 0.2) + 1 * (0.5 - 0.2); // class 2 absent: nothing
  const s1 = 0.2 * (0.3 - 0.2) + 0.8 * 0 + 1 * (0.25 - 0.2); // class 1 exceeds its bound
  t.true(Math.abs((await loss('bounded', lambda)) - (s0 + s1) / 2) < 1e-6);
});

test('--diversity-pool: distances between block means, classes weighted by their share of the block', async (t) => {
  const lambda = [0.3, 0.5, 0.25];
  // one 2x2 block per sample: channel means ±(mean d) = ±0.2 (sample 0), ±0.3 (sample 1), for every class in it
  const s0 = 0.5 * (0.3 - 0.2) + 1 * (0.5 - 0.2);
  const s1 = 0.2 * (0.3 - 0.3) + 0.8 * (0.5 - 0.3) + 1 * 0;
  const got = await loss('bounded', lambda, 2);
  t.true(Math.abs(got - (s0 + s1) / 2) < 1e-6, `${got} vs ${(s0 + s1) / 2}`);
  // fine texture: a checkerboard difference of 0.4 per pixel is 0.4 on pixels and nothing on blocks
  const checker = new Float32Array(2 * 3 * 4).map((_, i) => ((i % 4) % 3 === 0 ? 0.4 : -0.4));
  const full = [0.5 * 0.3 + 1 * 0.5, 0.2 * 0.3 + 0.8 * 0.5 + 1 * 0.25];
  t.true(Math.abs((await loss('bounded', lambda, 2, checker)) - (full[0] + full[1]) / 2) < 1e-6);
  t.true(Math.abs((await loss('bounded', lambda, 1, checker)) - (0.5 * 0 + 1 * 0.1 + 0.8 * 0.1) / 2) < 1e-6);
});

test('segment (eq. 6): −Σ_c |n^c| ‖Δ‖^c over present classes', async (t) => {
  const s0 = 0.5 * 0.2 + 1 * 0.2;
  const s1 = 0.2 * 0.2 + 0.8 * 0.6 + 1 * 0.2;
  t.true(Math.abs((await loss('segment', [0, 0, 0])) + (s0 + s1) / 2) < 1e-6);
});

test('global (eq. 4): −mean|n| · mean|Δ|', async (t) => {
  const meanN = Array.from(noise, Math.abs).reduce((x, y) => x + y, 0) / 6;
  const meanD = diffs.flat().reduce((x, y) => x + y, 0) / 8;
  t.true(Math.abs((await loss('global', [0, 0, 0])) + meanN * meanD) < 1e-6);
});

test("Cityscapes' void class gets no diversity push by default; --lambda sets per-class bounds", async (t) => {
  const { cityscapes, cmpFacades } = await import('../common/palettes.js');
  const { defaultLambda } = await import('../graph/spec.js');
  const { parseLambda } = await import('../api/common.js');
  const lam = defaultLambda(cityscapes());
  t.is(lam.length, 20);
  t.is(lam[19], 0);
  t.true(lam.slice(0, 19).every((v) => v === 0.3));
  const spec = { model: 'pix2pix' as const, classes: cmpFacades(), height: 32, width: 32, channels: 4, norm: 'instance' as const };
  const l = parseLambda('0.2,window=0.5,3=0', spec);
  t.is(l[0], 0.2);
  t.is(l[2], 0.5);
  t.is(l[3], 0);
  t.deepEqual(parseLambda('0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.7', spec)[11], 0.7);
});

test('GAN objectives: BCE with logits (stable for large logits) and least squares', async (t) => {
  const { ganLoss } = await import('../graph/losses.js');
  const g = new Graph();
  const x = g.input('x', [4]);
  const logits = Float32Array.of(-2, 0, 3, 100);
  const out = await runModel(
    G.emitModel(g, {
      outputs: [
        ['real', ganLoss(x, true, 'vanilla')],
        ['fake', ganLoss(x, false, 'vanilla')],
        ['ls', ganLoss(x, true, 'lsgan')],
      ],
      params: 'inputs',
    }),
    { x: floatTensor(logits, [4]) },
  );
  const softplus = (v: number) => (v > 30 ? v : Math.log1p(Math.exp(v)));
  const mean = (f: (v: number) => number) => Array.from(logits, f).reduce((a, b) => a + b, 0) / 4;
  t.true(Math.abs(out.real[0] - mean((v) => softplus(-v))) < 1e-5);
  t.true(Math.abs(out.fake[0] - mean(softplus)) < 1e-4 * 25, `fake ${out.fake[0]}`);
  t.true(Math.abs(out.ls[0] - mean((v) => (v - 1) ** 2)) < 1e-2);
});

test('--beta-ramp: train_step weighs the diversity loss by β·min(1, step/N)', async (t) => {
  const spec = { model: 'pix2pix' as const, classes: genericPalette(3), height: 32, width: 32, channels: 4, norm: 'instance' as const };
  const o = defaultTrainingOptions(spec, { beta: 0.5, betaRampSteps: 10 });
  const step = trainingPrograms(spec, o).trainStep;
  const rng = new G.Rng(3, 'beta-ramp');
  const lay = new Float32Array(3 * 32 * 32);
  for (let p = 0; p < 32 * 32; p++) lay[((p >> 4) % 3) * 32 * 32 + p] = 1;
  const feeds: Record<string, ReturnType<typeof floatTensor>> = {
    layout: floatTensor(lay, [1, 3, 32, 32]),
    image: floatTensor(rng.fillUniform(new Float32Array(3 * 32 * 32), 0, 1), [1, 3, 32, 32]),
    noise: floatTensor(Float32Array.of(1, -1, 0.5), [1, 3]),
  };
  for (const [name, { spec: io, value }] of initialValues(step, 1, 2e-4)) feeds[name] = floatTensor(value, io.shape as number[]);
  const bytes = emitProgram(step);
  for (const [s, ramp] of [
    [1, 0.1],
    [5, 0.5],
    [10, 1],
    [40, 1],
  ]) {
    const out = await runModel(bytes, { ...feeds, step: floatTensor(Float32Array.of(s), []) });
    const weighted = out['loss.G'][0] - out['loss.G_gan'][0] - o.l1Weight * out['loss.G_l1'][0];
    t.true(out['loss.G_div'][0] > 0.01, `step ${s}: the diversity loss is active`);
    t.true(Math.abs(weighted - 0.5 * ramp * out['loss.G_div'][0]) < 1e-4 * out['loss.G'][0], `step ${s}: ${weighted} vs ${0.5 * ramp} · ${out['loss.G_div'][0]}`);
  }
});
