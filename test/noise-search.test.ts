// crn --noise-search K: the search program's class-wise losses equal the host's sums over the raw network's
// image for each candidate; the host picks each class's lowest; the CLI trains with it, reproducibly.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Graph, Rng, emitModel, initParams } from '../graph/index.js';
import { emitProgram, generator, trainingPrograms } from '../graph/programs.js';
import { inferenceContext } from '../graph/models/layers.js';
import { GeneratorSpec, PIXELS_ONLY, defaultTrainingOptions } from '../graph/spec.js';
import { genericPalette } from '../train/palettes.js';
import { bestNoisePerClass, searchCandidates } from '../train/noise-search.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { floatTensor } from '../runtime/session.js';
import { runModel } from './helpers/gradcheck.js';
import { divsyn, tempDir } from './helpers/cli.js';

test('the pick: per sample and class the candidate with the lowest loss, the first on ties', (t) => {
  // b = 2, k = 3, c = 2; candidate values name their (sample, candidate, class)
  const candidates = Float32Array.from({ length: 12 }, (_, i) => 100 * Math.floor(i / 6) + 10 * (Math.floor(i / 2) % 3) + (i % 2));
  const losses = Float32Array.from([0.5, 0.1, 0.2, 0.3, 0.2, 0.05, /* sample 1 */ 0, 0.4, 0, 0.3, 0, 0.2]);
  t.deepEqual(Array.from(bestNoisePerClass(candidates, losses, 2, 3, 2)), [10, 21, 100, 121]);
  t.throws(() => bestNoisePerClass(candidates, losses.subarray(1), 2, 3, 2), { message: /12 candidate values and 11 losses for 2x3x2/ });
  t.deepEqual(searchCandidates(7, 3, 2, 3, 2), searchCandidates(7, 3, 2, 3, 2), 'seeded by (seed, step)');
  t.notDeepEqual(searchCandidates(7, 3, 2, 3, 2), searchCandidates(7, 4, 2, 3, 2));
});

test("the search program gives each candidate's class-wise content loss of the network's image", async (t) => {
  const spec: GeneratorSpec = { model: 'crn', classes: genericPalette(3), height: 8, width: 8, channels: 4, norm: 'none' };
  const [b, k, c, px] = [2, 3, 3, 8 * 8];
  const layout = new Float32Array(b * c * px);
  for (let i = 0; i < b; i++) for (let p = 0; p < px; p++) layout[(i * c + ((p >> 3) + i) % c) * px + p] = 1;
  const photo = new Rng(1, 'search-test').fillUniform(new Float32Array(b * 3 * px), 0, 1);
  const candidates = searchCandidates(2, 0, b, k, c);
  const o = defaultTrainingOptions(spec, { perceptual: PIXELS_ONLY, batch: b, diversity: 'pairwise', noiseSearch: k });
  const program = trainingPrograms(spec, o).noiseSearch!;
  const feeds: Record<string, ReturnType<typeof floatTensor>> = { layout: floatTensor(layout, [b, c, 8, 8]), image: floatTensor(photo, [b, 3, 8, 8]), noise: floatTensor(candidates, [b * k, c]) };
  for (const [name, { spec: io, value }] of initialValues(program, 4, 0)) if (!(name in feeds)) feeds[name] = floatTensor(value, io.shape as number[]);
  const losses = (await runModel(emitProgram(program), feeds)).losses;
  t.is(losses.length, b * k * c);
  // the host's: candidate j of sample i through the raw network, class q's share of the image-mean L1
  const g = new Graph();
  const y = generator(inferenceContext(g, 'none'), spec, { layout: g.input('layout', [1, c, 8, 8]), noise: g.input('noise', [1, c]) });
  const bytes = emitModel(g, { outputs: [['y', y]], params: 'initializers', paramValues: initParams(g.params, 4) });
  let spread = 0;
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < k; j++) {
      const row = candidates.subarray((i * k + j) * c, (i * k + j + 1) * c);
      const img = (await runModel(bytes, { layout: floatTensor(layout.subarray(i * c * px, (i + 1) * c * px), [1, c, 8, 8]), noise: floatTensor(row, [1, c]) })).y;
      for (let q = 0; q < c; q++) {
        let sum = 0;
        for (let p = 0; p < px; p++) if (layout[(i * c + q) * px + p]) for (let ch = 0; ch < 3; ch++) sum += Math.abs((img[ch * px + p] + 1) / 2 - photo[(i * 3 + ch) * px + p]) / 3;
        const mine = losses[(i * k + j) * c + q];
        t.true(Math.abs(mine - sum / px) <= 1e-5, `sample ${i}, candidate ${j}, class ${q}: ${mine} vs the host's ${sum / px}`);
        spread = Math.max(spread, Math.abs(mine - losses[i * k * c + q]));
      }
    }
  }
  t.true(spread > 1e-3, 'the candidates give different losses');
  t.is(trainingPrograms(spec, { ...o, noiseSearch: 1 }).noiseSearch, undefined, 'K = 1: random noise, no search');
});

test('train --noise-search: crn with a diversity loss, reproducible; a usage error elsewhere', (t) => {
  const dir = tempDir();
  const run = (name: string, ...extra: string[]) =>
    divsyn('train', '--model', 'crn', '--data', 'fixture', '--size', '32', '--width', '8', '--steps', '3', '--threads', '1', '--diversity', 'pairwise', ...extra, '--out', path.join(dir, name));
  for (const [name, extra] of [['a', ['--noise-search', '4']], ['b', ['--noise-search', '4']], ['random', []]] as const) {
    const r = run(name, ...extra);
    t.is(r.status, 0, r.stderr);
  }
  const file = (name: string) => fs.readFileSync(path.join(dir, name, 'generator.onnx'));
  t.true(file('a').equals(file('b')), 'the same seed gives the same generator');
  t.false(file('a').equals(file('random')), 'the searched noise trains another generator');
  const multi = divsyn('train', '--model', 'crn-multi', '--noise-search', '4', '--data', 'fixture', '--size', '32', '--out', path.join(dir, 'm'));
  t.is(multi.status, 2);
  t.regex(multi.stderr, /--noise-search applies to crn with a diversity loss, not --model crn-multi/);
  t.false(fs.existsSync(path.join(dir, 'm')));
});
