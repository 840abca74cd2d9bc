// Normalisation layers: batch norm's running statistics (training) and their use at inference.
import test from 'ava';
import * as G from '../graph/index.js';
import { Graph } from '../graph/index.js';
import { inferenceContext, normLayer, trainingContext } from '../graph/models/layers.js';
import { floatTensor } from '../runtime/session.js';
import { runModel } from './helpers/gradcheck.js';

const [N, C, H, W] = [2, 3, 2, 2];
const x = Float32Array.from({ length: N * C * H * W }, (_, i) => Math.sin(i * 1.3) * 2 + (i % 5));

function channelStats(): { mean: number[]; unbiasedVar: number[] } {
  const mean: number[] = [];
  const unbiasedVar: number[] = [];
  for (let c = 0; c < C; c++) {
    const vals: number[] = [];
    for (let n = 0; n < N; n++) for (let p = 0; p < H * W; p++) vals.push(x[(n * C + c) * H * W + p]);
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    mean.push(m);
    unbiasedVar.push(vals.reduce((a, b) => a + (b - m) ** 2, 0) / (vals.length - 1));
  }
  return { mean, unbiasedVar };
}

test('batch norm in training updates running statistics with momentum 0.1 and unbiased variance', async (t) => {
  const g = new Graph();
  const input = g.input('x', [N, C, H, W]);
  const ctx = trainingContext(g, 'batch', N, { trackRunningStats: true });
  const y = normLayer(ctx, 'bn', input);
  t.is(ctx.bufferUpdates.length, 2);
  const [m, v] = ctx.bufferUpdates;
  const out = await runModel(
    G.emitModel(g, {
      outputs: [
        ['y', y],
        ['mean', m.value],
        ['var', v.value],
      ],
      params: 'inputs',
    }),
    {
      x: floatTensor(x, [N, C, H, W]),
      'bn.weight': floatTensor(Float32Array.of(1, 1, 1), [C]),
      'bn.bias': floatTensor(new Float32Array(C), [C]),
      'bn.running_mean': floatTensor(new Float32Array(C), [C]),
      'bn.running_var': floatTensor(Float32Array.of(1, 1, 1), [C]),
    },
  );
  const s = channelStats();
  for (let c = 0; c < C; c++) {
    t.true(Math.abs(out.mean[c] - 0.1 * s.mean[c]) < 1e-5, `mean ${c}`);
    t.true(Math.abs(out.var[c] - (0.9 + 0.1 * s.unbiasedVar[c])) < 1e-4, `var ${c}`);
  }
  // batch statistics normalise each channel to mean 0
  let sum0 = 0;
  for (let n = 0; n < N; n++) for (let p = 0; p < H * W; p++) sum0 += out.y[n * C * H * W + p];
  t.true(Math.abs(sum0) < 1e-4);
});

test('batch norm at inference uses the running statistics, so samples do not affect each other', async (t) => {
  const g = new Graph();
  const input = g.input('x', ['N', C, H, W]);
  const y = normLayer(inferenceContext(g, 'batch'), 'bn', input);
  const params = new Map([
    ['bn.weight', Float32Array.of(2, 1, 1)],
    ['bn.bias', Float32Array.of(0.5, 0, 0)],
    ['bn.running_mean', Float32Array.of(1, 0, 0)],
    ['bn.running_var', Float32Array.of(4, 1, 1)],
  ]);
  const bytes = G.emitModel(g, { outputs: [['y', y]], params: 'initializers', paramValues: params });
  const both = await runModel(bytes, { x: floatTensor(x, [N, C, H, W]) });
  const first = await runModel(bytes, { x: floatTensor(x.slice(0, C * H * W), [1, C, H, W]) });
  for (let i = 0; i < C * H * W; i++) t.true(Math.abs(both.y[i] - first.y[i]) < 1e-6);
  t.true(Math.abs(first.y[0] - ((x[0] - 1) / Math.sqrt(4 + 1e-5)) * 2 - 0.5) < 1e-5);
});

test('normalisation over C, H, W (CRN layer norm) matches the host, per sample, with a symbolic batch', async (t) => {
  const g = new Graph();
  const input = g.input('x', ['N', C, H, W]);
  const y = G.normalizeOver(input, [1, 2, 3]);
  t.deepEqual(y.shape, ['N', C, H, W]);
  t.throws(() => G.normalizeOver(input, [1, 4]), { message: /axes \[1,4\]/ });
  const out = await runModel(G.emitModel(g, { outputs: [['y', y]], params: 'inputs' }), { x: floatTensor(x, [N, C, H, W]) });
  const per = C * H * W;
  for (let n = 0; n < N; n++) {
    const v = Array.from(x.subarray(n * per, (n + 1) * per));
    const m = v.reduce((a, b) => a + b, 0) / per;
    const s = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / per + 1e-5);
    v.forEach((vi, i) => t.true(Math.abs(out.y[n * per + i] - (vi - m) / s) < 1e-5, `sample ${n}, element ${i}`));
  }
});
