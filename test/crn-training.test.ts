// CRN training (issue 5): the content loss over an imported feature network equals the same sums over
// what onnxruntime computes on the network's own file; the best-of-n loss sends gradient only to each
// class's best image; crn-multi's file picks its image by a one-hot code; the CLI trains crn and crn-multi.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Graph, Rng, emitModel, gradients, initParams } from '../graph/index.js';
import { PerceptualSpec, bestOfNLoss, classwiseContentLoss, contentLoss, vggContentTaps, CRN_LAYER_WEIGHTS } from '../graph/perceptual.js';
import { randomVggFile } from '../graph/models/vgg.js';
import { emitProgram, generatorParams, trainingPrograms } from '../graph/programs/index.js';
import { defaultTrainingOptions, generator } from '../graph/families/index.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { inferenceContext } from '../graph/models/layers.js';
import { GeneratorSpec, PIXELS_ONLY } from '../graph/spec.js';
import { genericPalette } from '../common/palettes.js';
import { writeGenerator } from '../runtime/model-file.js';
import { runModel } from './helpers/gradcheck.js';
import { floatTensor } from '../runtime/session.js';
import { divsyn, tempDir, tinyTrainArgs } from './helpers/cli.js';
import { featureNet } from './helpers/input-files.js';

const S = 32;
const TAPS = ['conv1_2', 'conv2_2', 'conv3_2', 'conv4_2', 'conv5_2'];

/** A VGG-19-shaped network (widths / 16, random weights) as a file whose outputs are CRN's five taps. */
const vggFile = () => randomVggFile({ height: S, width: S, shrink: 16, seed: 3 });

const random = (n: number, seed: number, lo = 0, hi = 1) => new Rng(seed, 'crn-test').fillUniform(new Float32Array(n), lo, hi);
const meanAbsDiff = (a: Float32Array, b: Float32Array, from: number, len: number) => {
  let s = 0;
  for (let i = 0; i < len; i++) s += Math.abs(a[from + i] - b[from + i]);
  return s / len;
};

test('CRN taps of a VGG-19-shaped file; the content loss equals the sums over onnxruntime on the file', async (t) => {
  const bytes = vggFile();
  const taps = vggContentTaps(bytes)!;
  t.deepEqual(
    taps.map((x) => x.name),
    TAPS,
  );
  t.deepEqual(
    taps.map((x) => x.weight),
    CRN_LAYER_WEIGHTS,
  );
  const spec: PerceptualSpec = { bytes, taps, pixelWeight: 1, norm: 'none', maxPoolAsAverage: false, description: 'test' };
  const g = new Graph();
  const fake = g.input('fake', [1, 3, S, S]);
  const real = g.input('real', [1, 3, S, S]);
  const layout = g.input('layout', [1, 2, S, S]);
  const loss = contentLoss(spec, fake, real);
  const perClass = classwiseContentLoss(spec, fake, real, layout);
  const [a, b] = [random(3 * S * S, 1), random(3 * S * S, 2)];
  const lay = new Float32Array(2 * S * S);
  for (let p = 0; p < S * S; p++) lay[(p % S < 12 ? 0 : 1) * S * S + p] = 1; // class 0: the left 12 columns
  const ours = await runModel(
    emitModel(g, {
      outputs: [
        ['loss', loss],
        ['perClass', perClass],
      ],
      params: 'initializers',
    }),
    {
      fake: floatTensor(a, [1, 3, S, S]),
      real: floatTensor(b, [1, 3, S, S]),
      layout: floatTensor(lay, [1, 2, S, S]),
    },
  );
  const both = new Float32Array(6 * S * S);
  both.set(a);
  both.set(b, 3 * S * S);
  const ref = await runModel(bytes, { image: floatTensor(both, [2, 3, S, S]) });
  // host: the pixels (weight 1) plus each tap's mean |Δ|; per class, mask area-averaged to the tap's size
  let expected = meanAbsDiff(a, b, 0, a.length);
  const expectedClass = [0, 1].map((c) => {
    let s = 0;
    for (let p = 0; p < S * S; p++) s += (lay[c * S * S + p] * (Math.abs(a[p] - b[p]) + Math.abs(a[S * S + p] - b[S * S + p]) + Math.abs(a[2 * S * S + p] - b[2 * S * S + p]))) / 3;
    return s / (S * S);
  });
  for (const [i, name] of TAPS.entries()) {
    const f = ref[name];
    const half = f.length / 2;
    expected += CRN_LAYER_WEIGHTS[i] * (f.subarray(0, half).reduce((s, v, j) => s + Math.abs(v - f[half + j]), 0) / half);
    const side = S >> i; // conv1_2 at S, conv2_2 at S/2, …
    const ch = half / (side * side);
    for (const c of [0, 1]) {
      let s = 0;
      for (let y = 0; y < side; y++)
        for (let x = 0; x < side; x++) {
          let m = 0; // the class's share of the cell
          const k = S / side;
          for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) m += lay[c * S * S + (y * k + dy) * S + x * k + dx];
          let d = 0;
          for (let q = 0; q < ch; q++) d += Math.abs(f[(q * side + y) * side + x] - f[half + (q * side + y) * side + x]);
          s += (m / (k * k)) * (d / ch);
        }
      expectedClass[c] += (CRN_LAYER_WEIGHTS[i] * s) / (side * side);
    }
  }
  t.true(Math.abs(ours.loss[0] - expected) <= 1e-4 * expected, `${ours.loss[0]} vs ${expected}`);
  for (const c of [0, 1]) t.true(Math.abs(ours.perClass[c] - expectedClass[c]) <= 1e-4 * expectedClass[c], `class ${c}: ${ours.perClass[c]} vs ${expectedClass[c]}`);
  // the classes split each layer's pixels, so their losses add up to the whole loss
  t.true(Math.abs(ours.perClass[0] + ours.perClass[1] - expected) <= 1e-4 * expected);
});

const multiSpec = (images: number, size = 4, classes = 2): GeneratorSpec => ({ model: 'crn-multi', classes: genericPalette(classes), height: size, width: size, channels: 4, norm: 'none', images });

test('best-of-n with the mean term at 0 sends gradient only to the best image of each class', async (t) => {
  const [n, c, h] = [3, 2, 4];
  const hw = h * h;
  for (const meanWeight of [0, 0.001]) {
    const o = { ...defaultTrainingOptions(multiSpec(n)), perceptual: PIXELS_ONLY, multiMinWeight: meanWeight ? 0.999 : 1, multiMeanWeight: meanWeight };
    const g = new Graph();
    const fakes = g.input('fakes', [1, 3 * n, h, h]);
    const layout = g.input('layout', [1, c, h, h]);
    const image = g.input('image', [1, 3, h, h]);
    const loss = bestOfNLoss(o.perceptual, { minWeight: o.multiMinWeight, meanWeight: o.multiMeanWeight }, fakes, layout, image);
    const [grad] = gradients(loss, [fakes]);
    const f = random(3 * n * hw, 5, -1, 1);
    const img = random(3 * hw, 6);
    const lay = new Float32Array(c * hw);
    for (let p = 0; p < hw; p++) lay[(p < 6 ? 0 : 1) * hw + p] = 1;
    const r = await runModel(
      emitModel(g, {
        outputs: [
          ['loss', loss],
          ['grad', grad],
        ],
        params: 'initializers',
      }),
      {
        fakes: floatTensor(f, [1, 3 * n, h, h]),
        layout: floatTensor(lay, [1, c, h, h]),
        image: floatTensor(img, [1, 3, h, h]),
      },
    );
    // host: loss[u][c] = mean over pixels of (class-c mask · mean over RGB |(f_u + 1)/2 − image|)
    const per = Array.from({ length: n }, (_, u) =>
      [0, 1].map((cl) => {
        let s = 0;
        for (let p = 0; p < hw; p++) for (let ch = 0; ch < 3; ch++) s += (lay[cl * hw + p] * Math.abs((f[(3 * u + ch) * hw + p] + 1) / 2 - img[ch * hw + p])) / 3;
        return s / hw;
      }),
    );
    const best = [0, 1].map((cl) => per.reduce((bi, row, u) => (row[cl] < per[bi][cl] ? u : bi), 0));
    const expected = [0, 1].reduce((s, cl) => s + o.multiMinWeight * per[best[cl]][cl] + o.multiMeanWeight * per.reduce((m, row) => m + row[cl] / n, 0), 0);
    t.true(Math.abs(r.loss[0] - expected) < 1e-6, `loss ${r.loss[0]} vs ${expected}`);
    for (let u = 0; u < n; u++)
      for (let p = 0; p < hw; p++) {
        const cl = p < 6 ? 0 : 1;
        const g0 = Math.abs(r.grad[3 * u * hw + p]);
        if (meanWeight === 0) t.is(g0 > 0, u === best[cl], `image ${u}, pixel ${p} (class ${cl}, best ${best[cl]}): gradient ${g0}`);
        else t.true(g0 > 0, 'the mean term reaches every image');
      }
    if (meanWeight === 0) t.notDeepEqual(best[0], best[1], 'the test data give the two classes different best images');
  }
});

test("crn-multi's file outputs image u of the network for the one-hot code e_u, sample by sample", async (t) => {
  const spec = multiSpec(3, 32, 3);
  const values = initParams(generatorParams(spec), 7);
  const file = path.join(tempDir(), 'multi.onnx');
  writeGenerator(file, spec, values);
  // the raw network: all 3n channels, mapped to [0, 1] as the file maps its chosen image
  const g = new Graph();
  const layoutIn = g.input('layout', [1, 3, 32, 32]);
  const raw = generator(inferenceContext(g, 'none'), spec, { layout: layoutIn });
  const lay = new Float32Array(3 * 32 * 32);
  for (let p = 0; p < 1024; p++) lay[((p >> 7) % 3) * 1024 + p] = 1;
  const all = (await runModel(emitModel(g, { outputs: [['raw', raw]], params: 'initializers', paramValues: values }), { layout: floatTensor(lay, [1, 3, 32, 32]) })).raw;
  const twice = new Float32Array(2 * lay.length);
  twice.set(lay);
  twice.set(lay, lay.length);
  // a batch asking for images 2 and 0
  const out = (await runModel(new Uint8Array(fs.readFileSync(file)), { layout: floatTensor(twice, [2, 3, 32, 32]), code: floatTensor(Float32Array.of(0, 0, 1, 1, 0, 0), [2, 3]) })).image;
  for (const [i, u] of [2, 0].entries()) {
    let worst = 0;
    for (let j = 0; j < 3 * 1024; j++) worst = Math.max(worst, Math.abs(out[i * 3 * 1024 + j] - Math.min(1, Math.max(0, (all[3 * u * 1024 + j] + 1) / 2))));
    t.true(worst < 1e-5, `image ${u}: ${worst}`);
  }
});

test('train --model crn and crn-multi run on the fixture and say which content loss they use', (t) => {
  const dir = tempDir();
  const feat = path.join(dir, 'vgg.onnx');
  fs.writeFileSync(feat, vggFile());
  const crn = divsyn(...tinyTrainArgs(8, 'crn'), '--steps', '3', '--features', feat, '--feature-norm', 'none', '--batch', '2', '--out', path.join(dir, 'crn'));
  t.is(crn.status, 0, crn.stderr);
  t.regex(crn.stderr, /content loss on features of .*vgg\.onnx \(VGG-19 conv1_2\.\.conv5_2/);
  const last = JSON.parse(
    fs
      .readFileSync(path.join(dir, 'crn', 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .pop()!,
  );
  t.deepEqual(Object.keys(last.losses).sort(), ['G', 'G_content', 'G_content_noise', 'G_div'], 'by default the content loss covers G(l, n) too');
  t.is(last.lr, 1e-4, "CRN's learning rate");
  const multi = divsyn('train', '--model', 'crn-multi', '--images', '4', '--data', 'fixture', '--size', '32', '--width', '8', '--steps', '2', '--threads', '1', '--out', path.join(dir, 'multi'));
  t.is(multi.status, 0, multi.stderr);
  t.regex(multi.stderr, /content loss on pixels only/);
  t.regex(divsyn('info', path.join(dir, 'multi', 'generator.onnx')).stdout, /code\s+float32 \[N, 4\]/);
  const bad = divsyn('train', '--model', 'crn-multi', '--diversity', 'bounded', '--data', 'fixture', '--size', '32', '--out', path.join(dir, 'bad'));
  t.is(bad.status, 2);
  t.regex(bad.stderr, /crn-multi takes no noise/);
  // a feature network that is not a VGG needs explicit taps, and a generator is no feature network; the errors name the file
  const notVgg = path.join(dir, 'plain.onnx');
  fs.writeFileSync(notVgg, featureNet(3));
  const noTaps = divsyn('train', '--model', 'crn', '--data', 'fixture', '--size', '32', '--features', notVgg, '--out', path.join(dir, 'x'));
  t.is(noTaps.status, 1);
  t.regex(noTaps.stderr, /plain\.onnx' is not a VGG-16\/19 .*--feature-taps/);
  const generator = divsyn('train', '--model', 'crn', '--data', 'fixture', '--size', '32', '--features', path.join(dir, 'multi', 'generator.onnx'), '--out', path.join(dir, 'x'));
  t.regex(generator.stderr, /multi\/generator\.onnx' is a divsyn crn-multi generator \(it takes layouts\), not a feature network/);
});

test('crn with --noise-content adds W times the content loss of G(l, n), sample by sample', async (t) => {
  const spec: GeneratorSpec = { model: 'crn', classes: genericPalette(3), height: 8, width: 8, channels: 4, norm: 'none' };
  const [b, c, px] = [2, 3, 8 * 8];
  const layout = new Float32Array(b * c * px);
  for (let i = 0; i < b; i++) for (let p = 0; p < px; p++) layout[(i * c + ((p + i) % c)) * px + p] = 1;
  const feeds = { layout: floatTensor(layout, [b, c, 8, 8]), image: floatTensor(random(b * 3 * px, 11), [b, 3, 8, 8]), noise: floatTensor(random(b * c, 12, -1, 1), [b, c]) };
  const loss = async (w: number) => {
    const o = defaultTrainingOptions(spec, { perceptual: PIXELS_ONLY, batch: b, noiseContentWeight: w });
    const p = trainingPrograms(spec, o).forwardLoss;
    const all: Record<string, ReturnType<typeof floatTensor>> = { ...feeds };
    for (const [name, { spec: io, value }] of initialValues(p, 4, 0)) all[name] = floatTensor(value, io.shape as number[]);
    return (await runModel(emitProgram(p), all)).loss[0];
  };
  // the host's content loss of G(l, n): the raw network (no clip) on the same parameters
  const g = new Graph();
  const y = generator(inferenceContext(g, 'none'), spec, { layout: g.input('layout', [b, c, 8, 8]), noise: g.input('noise', [b, c]) });
  const raw = await runModel(emitModel(g, { outputs: [['y', y]], params: 'initializers', paramValues: initParams(g.params, 4) }), { layout: feeds.layout, noise: feeds.noise });
  const photo = feeds.image.data as Float32Array;
  let noisy = 0;
  for (let i = 0; i < raw.y.length; i++) noisy += Math.abs((raw.y[i] + 1) / 2 - photo[i]);
  noisy /= raw.y.length;
  const [l0, l2] = [await loss(0), await loss(2)];
  t.true(noisy > 0.05);
  t.true(Math.abs(l2 - l0 - 2 * noisy) <= 1e-5 * l2, `L(2) - L(0) = ${l2 - l0}, 2·content(G(l, n)) = ${2 * noisy}`);
});

test('--diversity pairwise: β·Σ_c |n1^c − n2^c| max(0, λ − ‖G(l, n1) − G(l, n2)‖^c), content on G(l, n2) or the better pass', async (t) => {
  const spec: GeneratorSpec = { model: 'crn', classes: genericPalette(3), height: 8, width: 8, channels: 4, norm: 'none' };
  const [b, c, px, lambda, beta] = [2, 3, 8 * 8, 1.5, 3];
  const layout = new Float32Array(b * c * px);
  for (let i = 0; i < b; i++) for (let p = 0; p < px; p++) layout[(i * c + (((p >> 3) + i) % c)) * px + p] = 1;
  // rows 0..b-1: n1, rows b..2b-1: n2
  const noise = random(2 * b * c, 13, -1, 1);
  const feeds = { layout: floatTensor(layout, [b, c, 8, 8]), image: floatTensor(random(b * 3 * px, 14), [b, 3, 8, 8]), noise: floatTensor(noise, [2 * b, c]) };
  const loss = async (passContent: 'each' | 'best') => {
    const o = defaultTrainingOptions(spec, { perceptual: PIXELS_ONLY, batch: b, noiseContentWeight: 0, diversity: 'pairwise', beta, lambda: [lambda, lambda, lambda], passContent });
    const p = trainingPrograms(spec, o).forwardLoss;
    t.deepEqual(p.inputs.find((x) => x.spec.name === 'noise')!.spec.shape, [2 * b, c], 'the training noise holds both passes');
    const all: Record<string, ReturnType<typeof floatTensor>> = { ...feeds };
    for (const [name, { spec: io, value }] of initialValues(p, 4, 0)) all[name] = floatTensor(value, io.shape as number[]);
    return (await runModel(emitProgram(p), all)).loss[0];
  };
  // the host's version from the raw network's two images
  const g = new Graph();
  const y = generator(inferenceContext(g, 'none'), spec, { layout: g.input('layout', [b, c, 8, 8]), noise: g.input('noise', [b, c]) });
  const bytes = emitModel(g, { outputs: [['y', y]], params: 'initializers', paramValues: initParams(g.params, 4) });
  const image = async (rows: Float32Array) => (await runModel(bytes, { layout: feeds.layout, noise: floatTensor(rows, [b, c]) })).y;
  const [y1, y2] = [await image(noise.subarray(0, b * c)), await image(noise.subarray(b * c))];
  const photo = feeds.image.data as Float32Array;
  // per sample and class: Σ over the class's pixels of the channel-mean |Δ|, and the class's area
  const classSums = (i: number, k: number, delta: (j: number) => number) => {
    let [sum, area] = [0, 0];
    for (let q = 0; q < px; q++) {
      if (!layout[(i * c + k) * px + q]) continue;
      area++;
      for (let ch = 0; ch < 3; ch++) sum += Math.abs(delta((i * 3 + ch) * px + q)) / 3;
    }
    return { sum, area };
  };
  let [div, content, best] = [0, 0, 0];
  for (let i = 0; i < b; i++) {
    for (let k = 0; k < c; k++) {
      const { sum, area } = classSums(i, k, (j) => y1[j] - y2[j]);
      div += Math.abs(noise[i * c + k] - noise[(b + i) * c + k]) * Math.max(0, lambda - sum / area);
      // class k's share of the image-mean L1 of each pass
      const [e1, e2] = [classSums(i, k, (j) => (y1[j] + 1) / 2 - photo[j]).sum / px, classSums(i, k, (j) => (y2[j] + 1) / 2 - photo[j]).sum / px];
      content += e2;
      best += 0.999 * Math.min(e1, e2) + (0.001 * (e1 + e2)) / 2;
    }
  }
  [div, content, best] = [div / b, content / b, best / b];
  t.true(div > 0.1 && content > 0.05 && best < content - 0.01, `div ${div}, content ${content}, best ${best}`);
  const each = await loss('each');
  t.true(Math.abs(each - content - beta * div) <= 1e-5 * each, `each: loss ${each} vs content ${content} + β·div ${beta * div}`);
  const better = await loss('best');
  t.true(Math.abs(better - best - beta * div) <= 1e-5 * better, `best: loss ${better} vs best-of-two ${best} + β·div ${beta * div}`);
});
