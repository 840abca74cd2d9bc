// crn --noise-search K: the training graph's first pass takes, per class, the candidate noise whose image the
// host finds closest to the photo (class-wise sums over the raw network's images), and nothing else changes:
// loss and gradients equal those of the graph without search fed the host's pick. The CLI trains with it.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Graph, Rng, emitModel, initParams } from '../graph/index.js';
import { emitProgram, inferenceProgram, trainingPrograms } from '../graph/programs/index.js';
import { defaultTrainingOptions, generator } from '../graph/families/index.js';
import { inferenceContext } from '../graph/models/layers.js';
import { GeneratorSpec, PIXELS_ONLY } from '../graph/spec.js';
import { genericPalette } from '../common/palettes.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { floatTensor } from '../runtime/session.js';
import { runModel } from './helpers/gradcheck.js';
import { divsyn, tempDir, tinyTrainArgs } from './helpers/cli.js';
import { randomVggFile } from '../graph/models/vgg.js';
import { vggContentTaps } from '../graph/perceptual.js';
import onnxProto from 'onnx-proto';

// 128 px with batch 2: the search's groups of at most 64K pixels take 2 of the 3 candidates, then 1
const [S, B, K, C] = [128, 2, 3, 3];
const PX = S * S;
const spec: GeneratorSpec = { model: 'crn', classes: genericPalette(C), height: S, width: S, channels: 4, norm: 'none' };

test("the search picks each class's closest candidate, and trains as the graph without search fed that pick", async (t) => {
  const random = (n: number, purpose: string, lo = 0, hi = 1) => new Rng(5, purpose).fillUniform(new Float32Array(n), lo, hi);
  // class of a pixel: its row in bands of 8, shifted by the sample; sample 1 has no class 2 (its candidates
  // tie at loss 0 there, and the first is taken)
  const layout = new Float32Array(B * C * PX);
  for (let i = 0; i < B; i++) for (let p = 0; p < PX; p++) layout[(i * C + (((Math.floor(p / S) >> 3) + i) % (i === 1 ? 2 : C))) * PX + p] = 1;
  const photo = random(B * 3 * PX, 'photo');
  const candidates = random(B * K * C, 'candidates', -1, 1);
  const second = random(B * C, 'second', -1, 1);

  // the host's pick: each candidate of each sample through the raw network, class q's share of the image-mean L1
  const g = new Graph();
  const y = generator(inferenceContext(g, 'none'), spec, { layout: g.input('layout', [1, C, S, S]), noise: g.input('noise', [1, C]) });
  const raw = emitModel(g, { outputs: [['y', y]], params: 'initializers', paramValues: initParams(g.params, 4) });
  const picked = new Float32Array(B * C);
  const choice: number[] = [];
  for (let i = 0; i < B; i++) {
    const losses: number[][] = [];
    for (let j = 0; j < K; j++) {
      const row = candidates.subarray((i * K + j) * C, (i * K + j + 1) * C);
      const img = (await runModel(raw, { layout: floatTensor(layout.subarray(i * C * PX, (i + 1) * C * PX), [1, C, S, S]), noise: floatTensor(row, [1, C]) })).y;
      losses.push(
        Array.from({ length: C }, (_, q) => {
          let sum = 0;
          for (let p = 0; p < PX; p++) if (layout[(i * C + q) * PX + p]) for (let ch = 0; ch < 3; ch++) sum += Math.abs((img[ch * PX + p] + 1) / 2 - photo[(i * 3 + ch) * PX + p]) / 3;
          return sum / PX;
        }),
      );
    }
    for (let q = 0; q < C; q++) {
      const best = [0, 1, 2].reduce((a, j) => (losses[j][q] < losses[a][q] ? j : a), 0);
      choice.push(best);
      picked[i * C + q] = candidates[(i * K + best) * C + q];
    }
  }
  t.true(choice.some((j) => j !== 0) && new Set(choice).size > 1, `the picks mix candidates: ${choice}`);

  const run = async (noiseSearch: number, noise: Float32Array, diversity: 'pairwise' | 'bounded' = 'pairwise') => {
    const o = defaultTrainingOptions(spec, { perceptual: PIXELS_ONLY, batch: B, diversity, passContent: diversity === 'pairwise' ? 'best' : 'each', beta: 3, lambda: [0.5, 0.5, 0.5], noiseSearch });
    const p = trainingPrograms(spec, o).gradients;
    const rows = B * noiseSearch + (diversity === 'pairwise' ? B : 0);
    t.deepEqual(p.inputs.find((x) => x.spec.name === 'noise')!.spec.shape, [rows, C]);
    const feeds: Record<string, ReturnType<typeof floatTensor>> = { layout: floatTensor(layout, [B, C, S, S]), image: floatTensor(photo, [B, 3, S, S]), noise: floatTensor(noise, [rows, C]) };
    for (const [name, { spec: io, value }] of initialValues(p, 4, 0)) if (!(name in feeds)) feeds[name] = floatTensor(value, io.shape as number[]);
    return runModel(emitProgram(p), feeds);
  };
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
  const sameGradients = (a: Record<string, Float32Array>, b: Record<string, Float32Array>, what: string) => {
    const names = Object.keys(b).filter((n) => n.startsWith('grad.'));
    t.true(names.length > 5);
    for (const name of names) {
      const scale = Math.max(...Array.from(b[name], Math.abs));
      t.true(
        a[name].every((v, i) => Math.abs(v - b[name][i]) <= 1e-4 * scale + 1e-7),
        `${what}, ${name}: the search sends no gradient of its own`,
      );
    }
  };
  const searched = await run(K, Float32Array.from([...candidates, ...second]));
  const fed = await run(1, Float32Array.from([...picked, ...second]));
  const firsts = Array.from({ length: B }, (_, i) => [...candidates.subarray(i * K * C, i * K * C + C)]).flat();
  const first = await run(1, Float32Array.from([...firsts, ...second]));
  t.true(close(searched.loss[0], fed.loss[0]), `loss with search ${searched.loss[0]}, without it fed the host's pick ${fed.loss[0]}`);
  t.false(close(searched.loss[0], first.loss[0]), 'not simply the first candidate');
  sameGradients(searched, fed, 'pairwise');
  // eq. 7 (G(l, n) against G(l, 0)): the candidates fill the noise input, no second pass's rows
  const bounded = await run(K, candidates, 'bounded');
  const boundedFed = await run(1, picked, 'bounded');
  t.true(close(bounded.loss[0], boundedFed.loss[0]), `bounded: ${bounded.loss[0]} vs ${boundedFed.loss[0]}`);
  sameGradients(bounded, boundedFed, 'bounded');
});

test("the search's passes share the feature network's weights and the photo's features with the training pass", (t) => {
  const bytes = randomVggFile({ height: 32, width: 32, shrink: 16, seed: 1 });
  const perceptual = { bytes, taps: vggContentTaps(bytes)!, pixelWeight: 1, norm: 'imagenet' as const, maxPoolAsAverage: true, description: 'VGG-19 / 16' };
  const small: GeneratorSpec = { ...spec, height: 32, width: 32 };
  const convs = (g: onnxProto.onnx.IGraphProto) => g.node!.filter((n) => n.opType === 'Conv').length;
  const emitted = (noiseSearch: number) => {
    const o = defaultTrainingOptions(small, { perceptual, batch: 1, diversity: 'pairwise', passContent: 'best', noiseSearch });
    const graph = onnxProto.onnx.ModelProto.decode(emitProgram(trainingPrograms(small, o).trainStep)).graph!;
    // the float tensors beyond a few values: the network's weights (the generator's are inputs here)
    const weights = graph.initializer!.filter((x) => x.dataType === 1 && x.dims!.reduce((a, d) => a * Number(d), 1) > 16).map((x) => x.dims!.join('x'));
    return { weights: weights.sort(), convs: convs(graph) };
  };
  const [one, three] = [emitted(1), emitted(3)];
  t.true(one.weights.length >= 16, 'the VGG weights are constants of the graph');
  t.deepEqual(three.weights, one.weights, 'no second copy of them');
  // the three candidates run as one group at 32 px: one more pass through G and through the network up to its
  // last tap (conv1_1 … conv5_2: 14 convs), and none through the network for the photo (that would be 14 more)
  const generatorConvs = convs(onnxProto.onnx.ModelProto.decode(emitProgram(inferenceProgram(small))).graph!);
  t.is(three.convs - one.convs, generatorConvs + 14);
});

test('train --noise-search: crn with a diversity loss, reproducible; a usage error elsewhere', (t) => {
  const dir = tempDir();
  for (const name of ['a', 'b']) {
    const r = divsyn(...tinyTrainArgs(8, 'crn'), '--steps', '3', '--diversity', 'pairwise', '--noise-search', '4', '--out', path.join(dir, name));
    t.is(r.status, 0, r.stderr);
  }
  const file = (name: string) => fs.readFileSync(path.join(dir, name, 'generator.onnx'));
  t.true(file('a').equals(file('b')), 'the same seed gives the same generator');
  const exported = divsyn(
    'export-training',
    '--model',
    'crn',
    '--classes',
    '12',
    '--size',
    '32',
    '--width',
    '8',
    '--diversity',
    'pairwise',
    '--noise-search',
    '4',
    '--out',
    path.join(dir, 'artifacts'),
  );
  t.is(exported.status, 0, exported.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'artifacts', 'manifest.json'), 'utf8'));
  const noise = manifest.train_step.inputs.find((x: { name: string }) => x.name === 'noise');
  t.deepEqual(noise.shape, [5, 12], "train_step takes the 4 candidates and the second pass's noise");
  const multi = divsyn('train', '--model', 'crn-multi', '--noise-search', '4', '--data', 'fixture', '--size', '32', '--out', path.join(dir, 'm'));
  t.is(multi.status, 2);
  t.regex(multi.stderr, /--noise-search applies to crn with a diversity loss, not --model crn-multi/);
  t.false(fs.existsSync(path.join(dir, 'm')));
});
