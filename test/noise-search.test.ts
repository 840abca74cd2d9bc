// crn --noise-search K: the training graph's first pass takes, per class, the candidate noise whose image the
// host finds closest to the photo (class-wise sums over the raw network's images), and nothing else changes:
// loss and gradients equal those of the graph without search fed the host's pick. The CLI trains with it.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Graph, Rng, emitModel, initParams } from '../graph/index.js';
import { emitProgram, generator, trainingPrograms } from '../graph/programs.js';
import { inferenceContext } from '../graph/models/layers.js';
import { GeneratorSpec, PIXELS_ONLY, defaultTrainingOptions } from '../graph/spec.js';
import { genericPalette } from '../train/palettes.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { floatTensor } from '../runtime/session.js';
import { runModel } from './helpers/gradcheck.js';
import { divsyn, tempDir } from './helpers/cli.js';

// 128 px with batch 2: the search's groups of at most 64K pixels take 2 of the 3 candidates, then 1
const [S, B, K, C] = [128, 2, 3, 3];
const PX = S * S;
const spec: GeneratorSpec = { model: 'crn', classes: genericPalette(C), height: S, width: S, channels: 4, norm: 'none' };

test("the search picks each class's closest candidate, and trains as the graph without search fed that pick", async (t) => {
  const random = (n: number, purpose: string, lo = 0, hi = 1) => new Rng(5, purpose).fillUniform(new Float32Array(n), lo, hi);
  // class of a pixel: its row in bands of 8, shifted by the sample
  const layout = new Float32Array(B * C * PX);
  for (let i = 0; i < B; i++) for (let p = 0; p < PX; p++) layout[(i * C + ((Math.floor(p / S) >> 3) + i) % C) * PX + p] = 1;
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
      losses.push(Array.from({ length: C }, (_, q) => {
        let sum = 0;
        for (let p = 0; p < PX; p++) if (layout[(i * C + q) * PX + p]) for (let ch = 0; ch < 3; ch++) sum += Math.abs((img[ch * PX + p] + 1) / 2 - photo[(i * 3 + ch) * PX + p]) / 3;
        return sum / PX;
      }));
    }
    for (let q = 0; q < C; q++) {
      const best = [0, 1, 2].reduce((a, j) => (losses[j][q] < losses[a][q] ? j : a), 0);
      choice.push(best);
      picked[i * C + q] = candidates[(i * K + best) * C + q];
    }
  }
  t.true(choice.some((j) => j !== 0) && new Set(choice).size > 1, `the picks mix candidates: ${choice}`);

  const run = async (noiseSearch: number, noise: Float32Array) => {
    const o = defaultTrainingOptions(spec, { perceptual: PIXELS_ONLY, batch: B, diversity: 'pairwise', passContent: 'best', beta: 3, lambda: [0.5, 0.5, 0.5], noiseSearch });
    const p = trainingPrograms(spec, o).gradients;
    t.deepEqual(p.inputs.find((x) => x.spec.name === 'noise')!.spec.shape, [B * noiseSearch + B, C]);
    const feeds: Record<string, ReturnType<typeof floatTensor>> = { layout: floatTensor(layout, [B, C, S, S]), image: floatTensor(photo, [B, 3, S, S]), noise: floatTensor(noise, [B * noiseSearch + B, C]) };
    for (const [name, { spec: io, value }] of initialValues(p, 4, 0)) if (!(name in feeds)) feeds[name] = floatTensor(value, io.shape as number[]);
    return runModel(emitProgram(p), feeds);
  };
  const searched = await run(K, Float32Array.from([...candidates, ...second]));
  const fed = await run(1, Float32Array.from([...picked, ...second]));
  const first = await run(1, Float32Array.from([...Array.from({ length: B }, (_, i) => [...candidates.subarray(i * K * C, i * K * C + C)]).flat(), ...second]));
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
  t.true(close(searched.loss[0], fed.loss[0]), `loss with search ${searched.loss[0]}, without it fed the host's pick ${fed.loss[0]}`);
  t.false(close(searched.loss[0], first.loss[0]), 'not simply the first candidate');
  let grads = 0;
  for (const name of Object.keys(fed).filter((n) => n.startsWith('grad.'))) {
    grads++;
    const [a, b] = [searched[name], fed[name]];
    const scale = Math.max(...Array.from(b, Math.abs));
    t.true(a.every((v, i) => Math.abs(v - b[i]) <= 1e-4 * scale + 1e-7), `${name}: the search sends no gradient of its own`);
  }
  t.true(grads > 5);
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
  const exported = divsyn('export-training', '--model', 'crn', '--classes', '12', '--size', '32', '--width', '8', '--diversity', 'pairwise', '--noise-search', '4', '--out', path.join(dir, 'artifacts'));
  t.is(exported.status, 0, exported.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'artifacts', 'manifest.json'), 'utf8'));
  const noise = manifest.train_step.inputs.find((x: { name: string }) => x.name === 'noise');
  t.deepEqual(noise.shape, [5, 12], "train_step takes the 4 candidates and the second pass's noise");
  const multi = divsyn('train', '--model', 'crn-multi', '--noise-search', '4', '--data', 'fixture', '--size', '32', '--out', path.join(dir, 'm'));
  t.is(multi.status, 2);
  t.regex(multi.stderr, /--noise-search applies to crn with a diversity loss, not --model crn-multi/);
  t.false(fs.existsSync(path.join(dir, 'm')));
});
