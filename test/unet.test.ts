// A small U-Net + PatchGAN with instance norm, a dropout mask as input, L1 and BCE losses: gradients
// against finite differences, and Adam steps that lower the loss on a fixed batch.
import test from 'ava';
import * as G from '../graph/index.js';
import { Graph, Rng } from '../graph/index.js';
import { ganLoss, l1Loss } from '../graph/losses.js';
import { trainingContext } from '../graph/models/layers.js';
import { patchGan, pix2pixGenerator } from '../graph/models/pix2pix.js';
import { emitProgram, manifestEntry, trainingPrograms } from '../graph/programs/index.js';
import { GeneratorSpec } from '../graph/spec.js';
import { defaultTrainingOptions } from '../graph/families/index.js';
import { floatTensor } from '../runtime/session.js';
import { StepRunner } from '../runtime/step-runner.js';
import { initialValues } from '../runtime/training-artifacts.js';
import { gradCheck } from './helpers/gradcheck.js';

function oneHot(c: number, h: number, w: number, seed: number): Float32Array {
  const rng = new Rng(seed, 'layout');
  const out = new Float32Array(c * h * w);
  // blocky regions, so every class covers several pixels
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(((y >> 3) * 3 + (x >> 3) + seed) % c) * h * w + y * w + x] = 1;
  void rng;
  return out;
}

test('U-Net 64x64 (one dropout block) + PatchGAN, L1 + BCE: gradients match finite differences', async (t) => {
  const g = new Graph();
  const rng = new Rng(11);
  const [C, S] = [3, 64];
  const layout = g.input('layout', [1, C, S, S]);
  const noise = g.input('noise', [1, C]);
  const target = g.input('target', [1, 3, S, S]);
  const ctx = trainingContext(g, 'instance', 1);
  const fake = pix2pixGenerator(ctx, layout, noise, { width: 2, size: S });
  t.is(ctx.masks.length, 1, 'log2(64) - 5 = 1 dropout block');
  const logits = g.withGroup('D', () => g.scope('D', () => patchGan(ctx, G.concat([layout, fake], 1), { width: 2 })));
  const loss = G.add(ganLoss(logits, true, 'vanilla'), G.mul(l1Loss(fake, target), 10));

  // larger weights than pix2pix's N(0, 0.02), so finite differences see well-scaled activations
  const values = G.initParams(g.params, 5);
  for (const v of values.values()) for (let i = 0; i < v.length; i++) v[i] *= 3;
  const pick = ['block0.down.weight', 'block1.downnorm.weight', 'block4.up.weight', 'block5.up.bias', 'block0.up.weight', 'D.conv1.weight', 'D.norm1.bias'];
  const checked = pick.map((name) => {
    const p = g.getParam(name);
    if (!p) throw new Error(`no param ${name}`);
    return { tensor: p, value: values.get(name)! };
  });
  checked.push({ tensor: noise, value: rng.fillUniform(new Float32Array(C), -1, 1) });
  const extraFeeds: Record<string, ReturnType<typeof floatTensor>> = {
    layout: floatTensor(oneHot(C, S, S, 1), [1, C, S, S]),
    target: floatTensor(rng.fillUniform(new Float32Array(3 * S * S), -1, 1), [1, 3, S, S]),
  };
  for (const m of ctx.masks)
    extraFeeds[m.name] = floatTensor(
      Float32Array.from({ length: m.shape.reduce((a, b) => a * b, 1) }, () => (rng.uniform() < 0.5 ? 0 : 2)),
      m.shape,
    );
  for (const p of g.params) {
    if (!pick.includes(G.paramName(p))) extraFeeds[G.paramName(p)] = floatTensor(values.get(G.paramName(p))!, p.shape as number[]);
  }
  const r = await gradCheck(g, loss, checked, { eps: 3e-4, perInput: 12, extraFeeds });
  t.true(r.worst < 0.03, `worst ${r.worst}\n${r.report.join('\n')}`);
});

test('Adam steps lower the pix2pix loss on a fixed batch', async (t) => {
  const C = 3;
  const S = 32;
  const spec: GeneratorSpec = {
    model: 'pix2pix',
    classes: [0, 1, 2].map((i) => ({ name: `c${i}`, color: [i, i, i] as [number, number, number] })),
    height: S,
    width: S,
    channels: 4,
    norm: 'instance',
  };
  const o = defaultTrainingOptions(spec, { diversity: 'none' });
  const p = trainingPrograms(spec, o);
  const init = initialValues(p.trainStep, 3, 1e-3);
  const runner = await StepRunner.create(emitProgram(p.trainStep), manifestEntry(p.trainStep), new Map([...init].map(([k, v]) => [k, v.value])), { threads: 1 });
  const rng = new Rng(4);
  const layout = oneHot(C, S, S, 2);
  // a target that is a function of the layout: learnable
  const image = new Float32Array(3 * S * S);
  for (let i = 0; i < S * S; i++) for (let ch = 0; ch < 3; ch++) image[ch * S * S + i] = layout[((ch + 1) % C) * S * S + i] * 0.8 + 0.1;
  const data = { layout: floatTensor(layout, [1, C, S, S]), image: floatTensor(image, [1, 3, S, S]), noise: floatTensor(rng.fillUniform(new Float32Array(C), -1, 1), [1, C]) };
  const first = (await runner.step(data, 1e-3)).losses;
  let last = first;
  for (let i = 0; i < 40; i++) last = (await runner.step(data, 1e-3)).losses;
  t.true(last.G_l1 < 0.6 * first.G_l1, `L1 ${first.G_l1} -> ${last.G_l1}`);
  t.is(runner.value('step')[0], 42);
});
