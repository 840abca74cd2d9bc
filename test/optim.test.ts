// Optimizer graphs against the update rules computed by hand (PyTorch's Adam and SGD formulas).
import test from 'ava';
import * as G from '../graph/index.js';
import { Graph } from '../graph/index.js';
import { floatTensor, scalarTensor } from '../runtime/session.js';
import { runModel } from './helpers/gradcheck.js';

test('Adam with bias correction and weight decay matches the formula over three steps', async (t) => {
  const g = new Graph();
  const p = g.input('p', [3]);
  const grad = g.input('g', [3]);
  const m = g.input('m', [3]);
  const v = g.input('v', [3]);
  const lr = g.input('lr', []);
  const step = g.input('step', []);
  const [b1, b2, eps, wd] = [0.5, 0.999, 1e-8, 0.01];
  const r = G.adam({ beta1: b1, beta2: b2, eps, weightDecay: wd }).update(p, grad, [m, v], lr, step);
  const bytes = G.emitModel(g, {
    outputs: [
      ['p2', r.param],
      ['m2', r.state[0]],
      ['v2', r.state[1]],
    ],
    params: 'inputs',
  });
  let P = [0.5, -1, 2];
  let M = [0, 0, 0];
  let V = [0, 0, 0];
  const grads = [
    [0.1, -0.2, 0.3],
    [0.05, 0.4, -0.1],
    [-0.3, 0.2, 0.0],
  ];
  for (let s = 1; s <= 3; s++) {
    const out = await runModel(bytes, {
      p: floatTensor(Float32Array.from(P), [3]),
      g: floatTensor(Float32Array.from(grads[s - 1]), [3]),
      m: floatTensor(Float32Array.from(M), [3]),
      v: floatTensor(Float32Array.from(V), [3]),
      lr: scalarTensor(0.01),
      step: scalarTensor(s),
    });
    const gg = grads[s - 1].map((x, i) => x + wd * P[i]);
    M = M.map((x, i) => b1 * x + (1 - b1) * gg[i]);
    V = V.map((x, i) => b2 * x + (1 - b2) * gg[i] ** 2);
    P = P.map((x, i) => x - ((0.01 / (1 - b1 ** s)) * M[i]) / (Math.sqrt(V[i] / (1 - b2 ** s)) + eps));
    for (let i = 0; i < 3; i++) {
      t.true(Math.abs(out.p2[i] - P[i]) < 1e-5, `step ${s} p[${i}] ${out.p2[i]} vs ${P[i]}`);
      t.true(Math.abs(out.m2[i] - M[i]) < 1e-6);
      t.true(Math.abs(out.v2[i] - V[i]) < 1e-7);
    }
    P = Array.from(out.p2);
    M = Array.from(out.m2);
    V = Array.from(out.v2);
  }
});

test('SGD with momentum matches the formula', async (t) => {
  const g = new Graph();
  const p = g.input('p', [2]);
  const grad = g.input('g', [2]);
  const buf = g.input('buf', [2]);
  const lr = g.input('lr', []);
  const r = G.sgd({ momentum: 0.9 }).update(p, grad, [buf], lr, lr);
  const bytes = G.emitModel(g, {
    outputs: [
      ['p2', r.param],
      ['b2', r.state[0]],
    ],
    params: 'inputs',
  });
  const out = await runModel(bytes, {
    p: floatTensor(Float32Array.of(1, 2), [2]),
    g: floatTensor(Float32Array.of(0.5, -1), [2]),
    buf: floatTensor(Float32Array.of(0.1, 0.2), [2]),
    lr: scalarTensor(0.1),
  });
  const b = [0.9 * 0.1 + 0.5, 0.9 * 0.2 - 1];
  t.deepEqual(
    Array.from(out.b2).map((x) => +x.toFixed(6)),
    b.map((x) => +x.toFixed(6)),
  );
  t.deepEqual(
    Array.from(out.p2).map((x) => +x.toFixed(6)),
    [1 - 0.1 * b[0], 2 - 0.1 * b[1]].map((x) => +x.toFixed(6)),
  );
});
