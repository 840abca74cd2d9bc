// Every gradient rule against central finite differences on random inputs.
import test from 'ava';
import * as G from '../graph/index.js';
import { Graph, Rng, Tensor } from '../graph/index.js';
import { floatTensor } from '../runtime/session.js';
import { CheckedInput, gradCheck, randomInput, runModel } from './helpers/gradcheck.js';

type Build = (g: Graph, rng: Rng) => { y: Tensor; inputs: CheckedInput[] };

function check(title: string, build: Build, opts: { eps?: number; tol?: number; oneConvBelowMacs?: number } = {}) {
  test(title, async (t) => {
    const g = new Graph();
    const rng = new Rng(7, title);
    const { y, inputs } = build(g, rng);
    const conv = opts.oneConvBelowMacs === undefined ? {} : { oneConvBelowMacs: opts.oneConvBelowMacs };
    const r = await gradCheck(g, y, inputs, { eps: opts.eps, gradients: { conv } });
    t.true(r.checked > 0);
    t.true(r.worst < (opts.tol ?? 0.02), `worst normalised error ${r.worst.toFixed(4)}\n${r.report.slice(0, 8).join('\n')}`);
  });
}

const inp = (g: Graph, rng: Rng, name: string, shape: number[], lo = -1, hi = 1, kinks: number[] = []) => randomInput(g, name, shape, rng, lo, hi, kinks);

// ---- elementwise with broadcasting ----
for (const [name, f] of [
  ['Add', G.add],
  ['Sub', G.sub],
  ['Mul', G.mul],
  ['Max', G.max],
  ['Min', G.min],
] as const) {
  check(`${name} broadcasts [2,3,4] with [3,1]`, (g, rng) => {
    const a = inp(g, rng, 'a', [2, 3, 4]);
    const b = inp(g, rng, 'b', [3, 1]);
    return { y: f(a.tensor, b.tensor), inputs: [a, b] };
  });
}
check('Div broadcasts, divisor away from zero', (g, rng) => {
  const a = inp(g, rng, 'a', [2, 3, 4]);
  const b = inp(g, rng, 'b', [1, 4], 0.5, 2);
  return { y: G.div(a.tensor, b.tensor), inputs: [a, b] };
});
check('Where picks by a mask', (g, rng) => {
  const a = inp(g, rng, 'a', [3, 5]);
  const b = inp(g, rng, 'b', [5]);
  const mask = g.constant(
    Uint8Array.from({ length: 15 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
    [3, 5],
  );
  return { y: G.where(mask, a.tensor, b.tensor), inputs: [a, b] };
});

const unaries: [string, (x: Tensor) => Tensor, number, number, number[]?][] = [
  ['Neg', G.neg, -1, 1],
  ['Relu', G.relu, -1, 1, [0]],
  ['LeakyRelu', (x) => G.leakyRelu(x, 0.2), -1, 1, [0]],
  ['Tanh', G.tanh, -2, 2],
  ['Sigmoid', G.sigmoid, -3, 3],
  ['Exp', G.exp, -1, 1],
  ['Log', G.log, 0.5, 2],
  ['Abs', G.abs, -1, 1, [0]],
  ['Sqrt', G.sqrt, 0.5, 2],
  ['Pow 3', (x) => G.pow(x, 3), -1, 1],
  ['Pow 2', (x) => G.pow(x, 2), -1, 1],
  ['Pow -0.5', (x) => G.pow(x, -0.5), 0.5, 2],
  ['Clip', (x) => G.clip(x, -0.5, 0.4), -1, 1, [-0.5, 0.4]],
  ['Softplus', G.softplus, -4, 4],
  ['Identity', G.identity, -1, 1],
];
for (const [name, f, lo, hi, kinks] of unaries) {
  check(`${name} on [4,7]`, (g, rng) => {
    const x = inp(g, rng, 'x', [4, 7], lo, hi, kinks);
    return { y: f(x.tensor), inputs: [x] };
  });
}

// ---- reductions ----
for (const [name, f] of [
  ['ReduceSum', G.reduceSum],
  ['ReduceMean', G.reduceMean],
  ['ReduceMax', G.reduceMax],
] as const) {
  for (const keep of [true, false]) {
    check(`${name} over axes [0,2] keepdims ${keep}`, (g, rng) => {
      const x = inp(g, rng, 'x', [3, 4, 5]);
      // distinct values 0.05 apart, so that no finite-difference step changes which one is the max
      x.value = Float32Array.from(rng.shuffle([...Array(60).keys()]), (k) => k * 0.05 - 1.5);
      return { y: f(x.tensor, [0, 2], keep), inputs: [x] };
    });
  }
}
check('Expand', (g, rng) => {
  const x = inp(g, rng, 'x', [3, 1]);
  return { y: G.expand(x.tensor, [2, 3, 4]), inputs: [x] };
});

// ---- data movement ----
check('Reshape and Transpose', (g, rng) => {
  const x = inp(g, rng, 'x', [2, 3, 4]);
  return { y: G.transpose(G.reshape(x.tensor, [6, 4]), [1, 0]), inputs: [x] };
});
check('Concat along axis 1', (g, rng) => {
  const a = inp(g, rng, 'a', [2, 3, 2]);
  const b = inp(g, rng, 'b', [2, 1, 2]);
  return { y: G.concat([a.tensor, b.tensor, a.tensor], 1), inputs: [a, b] };
});
check('Split with an unused part', (g, rng) => {
  const x = inp(g, rng, 'x', [2, 7]);
  const [p, , r] = G.split(x.tensor, 1, [2, 3, 2]);
  return { y: G.mul(p, r), inputs: [x] };
});
check('Slice with steps 2 and 3 and offsets', (g, rng) => {
  const x = inp(g, rng, 'x', [3, 11, 10]);
  return { y: G.slice(x.tensor, [1, 2], [1, 2], [10, 9], [2, 3]), inputs: [x] };
});
check('Pad asymmetric', (g, rng) => {
  const x = inp(g, rng, 'x', [2, 3, 4]);
  return { y: G.pad(x.tensor, [0, 1, 2, 1, 0, 3], 0.5), inputs: [x] };
});

// ---- convolutions ----
const convCases: { name: string; x: number[]; w: number[]; o: G.ConvOptions }[] = [
  { name: 'stride 1 pad 1, 7x9', x: [2, 3, 7, 9], w: [4, 3, 3, 3], o: { pad: 1 } },
  { name: 'stride 2 pad 1 4x4 kernel, 9x8', x: [1, 3, 9, 8], w: [5, 3, 4, 4], o: { stride: 2, pad: 1 } },
  { name: 'stride 3 asymmetric pads, 11x10', x: [2, 2, 11, 10], w: [3, 2, 3, 2], o: { stride: 3, pad: [1, 0, 2, 1] } },
  { name: 'dilation 2', x: [1, 2, 9, 9], w: [3, 2, 3, 3], o: { dilation: 2, pad: 1 } },
  { name: 'groups 2 stride 2', x: [2, 4, 7, 7], w: [6, 2, 3, 3], o: { group: 2, stride: 2, pad: 1 } },
];
// weight gradients by im2col + MatMul (large layers) and by one Conv (small layers): both checked
const formulations = [
  ['im2col', 0],
  ['one Conv', Infinity],
] as const;
for (const c of convCases) {
  for (const [how, threshold] of formulations) {
    check(
      `Conv ${c.name}, dW by ${how}`,
      (g, rng) => {
        const x = inp(g, rng, 'x', c.x);
        const w = inp(g, rng, 'w', c.w, -0.5, 0.5);
        const b = inp(g, rng, 'b', [c.w[0]]);
        return { y: G.conv2d(x.tensor, w.tensor, b.tensor, c.o), inputs: [x, w, b] };
      },
      { oneConvBelowMacs: threshold },
    );
  }
}
const convTCases: { name: string; x: number[]; w: number[]; o: G.ConvOptions & { outputPadding?: number } }[] = [
  { name: 'stride 2 pad 1 4x4 kernel (pix2pix up), 5x6', x: [2, 3, 5, 6], w: [3, 4, 4, 4], o: { stride: 2, pad: 1 } },
  { name: 'stride 3 output_padding 2', x: [1, 2, 4, 3], w: [2, 3, 3, 3], o: { stride: 3, pad: 1, outputPadding: 2 } },
  { name: 'stride 1 pad 1', x: [1, 3, 5, 5], w: [3, 2, 3, 3], o: { pad: 1 } },
  { name: 'groups 2 stride 2 output_padding 1', x: [1, 4, 4, 5], w: [4, 3, 3, 3], o: { group: 2, stride: 2, pad: 1, outputPadding: 1 } },
  { name: 'dilation 2 stride 2', x: [1, 2, 4, 4], w: [2, 2, 3, 3], o: { dilation: 2, stride: 2, pad: 2 } },
];
for (const c of convTCases) {
  for (const [how, threshold] of formulations) {
    check(
      `ConvTranspose ${c.name}, dW by ${how}`,
      (g, rng) => {
        const x = inp(g, rng, 'x', c.x);
        const w = inp(g, rng, 'w', c.w, -0.5, 0.5);
        const b = inp(g, rng, 'b', [c.w[1] * (c.o.group ?? 1)]);
        return { y: G.convTranspose2d(x.tensor, w.tensor, b.tensor, c.o), inputs: [x, w, b] };
      },
      { oneConvBelowMacs: threshold },
    );
  }
}

// ---- matrix products ----
check('MatMul batched with a broadcast operand', (g, rng) => {
  const a = inp(g, rng, 'a', [2, 3, 4, 5]);
  const b = inp(g, rng, 'b', [3, 5, 2]);
  return { y: G.matMul(a.tensor, b.tensor), inputs: [a, b] };
});
for (const [ta, tb] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const) {
  check(`Gemm transA ${ta} transB ${tb} with broadcast C`, (g, rng) => {
    const a = inp(g, rng, 'a', ta ? [4, 3] : [3, 4]);
    const b = inp(g, rng, 'b', tb ? [5, 4] : [4, 5]);
    const c = inp(g, rng, 'c', [5]);
    return { y: G.gemm(a.tensor, b.tensor, c.tensor, { alpha: 0.7, beta: 1.3, transA: ta, transB: tb }), inputs: [a, b, c] };
  });
}

// ---- resampling and pooling ----
for (const [mode, coords] of [
  ['nearest', 'half_pixel'],
  ['bilinear', 'half_pixel'],
  ['bilinear', 'align_corners'],
] as const) {
  check(`Resize x2 ${mode} ${coords}`, (g, rng) => {
    const x = inp(g, rng, 'x', [1, 2, 3, 5]);
    return { y: G.resize(x.tensor, 2, mode, coords), inputs: [x] };
  });
}
check('AveragePool 3x3 stride 2 pad 1, padding not counted', (g, rng) => {
  const x = inp(g, rng, 'x', [2, 2, 7, 6]);
  return { y: G.averagePool(x.tensor, 3, { stride: 2, pad: 1 }), inputs: [x] };
});
check('AveragePool 2x2 counting padding', (g, rng) => {
  const x = inp(g, rng, 'x', [1, 2, 5, 5]);
  return { y: G.averagePool(x.tensor, 2, { stride: 2, pad: 1, countIncludePad: true }), inputs: [x] };
});
check(
  'MaxPool 3x3 stride 2 pad 1',
  (g, rng) => {
    const x = inp(g, rng, 'x', [2, 2, 7, 6]);
    return { y: G.maxPool(x.tensor, 3, { stride: 2, pad: 1 }), inputs: [x] };
  },
  { eps: 1e-3 },
);

// ---- normalisation ----
check(
  'InstanceNormalization',
  (g, rng) => {
    const x = inp(g, rng, 'x', [2, 3, 4, 5]);
    const s = inp(g, rng, 's', [3]);
    const b = inp(g, rng, 'b', [3]);
    return { y: G.instanceNorm(x.tensor, s.tensor, b.tensor), inputs: [x, s, b] };
  },
  { eps: 3e-3 },
);
check(
  'LayerNormalization over C,H,W',
  (g, rng) => {
    const x = inp(g, rng, 'x', [2, 3, 2, 4]);
    const s = inp(g, rng, 's', [3, 2, 4]);
    const b = inp(g, rng, 'b', [3, 2, 4]);
    return { y: G.layerNorm(x.tensor, s.tensor, b.tensor, 1), inputs: [x, s, b] };
  },
  { eps: 3e-3 },
);
check(
  'normalisation over C, H, W (CRN layer norm, one op)',
  (g, rng) => {
    const x = inp(g, rng, 'x', [2, 3, 2, 3]);
    return { y: G.normalizeOver(x.tensor, [1, 2, 3]), inputs: [x] };
  },
  { eps: 3e-3 },
);
check(
  'normalisation over H, W (negative axes), followed by a per-channel affine and LeakyReLU',
  (g, rng) => {
    const x = inp(g, rng, 'x', [2, 3, 3, 4], -2, 3);
    const s = inp(g, rng, 's', [1, 3, 1, 1], 0.5, 1.5);
    const b = inp(g, rng, 'b', [1, 3, 1, 1]);
    return { y: G.leakyRelu(G.add(G.mul(G.normalizeOver(x.tensor, [-2, -1]), s.tensor), b.tensor), 0.2), inputs: [x, s, b] };
  },
  { eps: 1e-3 },
);
check(
  'batch normalisation with batch statistics',
  (g, rng) => {
    const x = inp(g, rng, 'x', [3, 2, 3, 3]);
    const s = inp(g, rng, 's', [2]);
    const b = inp(g, rng, 'b', [2]);
    return { y: G.batchNormTrain(x.tensor, s.tensor, b.tensor).y, inputs: [x, s, b] };
  },
  { eps: 3e-3 },
);
check('Softmax', (g, rng) => {
  const x = inp(g, rng, 'x', [3, 5]);
  return { y: G.softmax(x.tensor, 1), inputs: [x] };
});
check('LogSoftmax over channels', (g, rng) => {
  const x = inp(g, rng, 'x', [2, 4, 3]);
  return { y: G.logSoftmax(x.tensor, 1), inputs: [x] };
});

// ---- a tensor used more than once: gradients accumulate ----
check('a tensor used twice (x·x + conv(x) + x)', (g, rng) => {
  const x = inp(g, rng, 'x', [1, 2, 5, 5]);
  const w = inp(g, rng, 'w', [2, 2, 3, 3], -0.5, 0.5);
  const y = G.add(G.add(G.mul(x.tensor, x.tensor), G.conv2d(x.tensor, w.tensor, undefined, { pad: 1 })), x.tensor);
  return { y, inputs: [x, w] };
});

test('a wrong gradient rule is caught by the check', async (t) => {
  // Tanh with the derivative of sigmoid: the harness must flag it.
  const g = new Graph();
  const rng = new Rng(3);
  const x = inp(g, rng, 'x', [3, 4], -2, 2);
  const bad: G.OpDef<{}> = {
    name: 'BadTanh',
    infer: ([a]) => [{ dtype: 'float32', shape: a.shape }],
    emit: (e, i, o) => e.node('Tanh', i, o),
    grad: ({ outputs: [y], dOutputs: [dy] }) => [G.mul(dy!, G.mul(y, G.sub(1, y)))],
  };
  const y = G.apply1(bad, [x.tensor], {});
  const r = await gradCheck(g, y, [x]);
  t.true(r.worst > 0.1, `worst ${r.worst}`);
});

test('gradients of an objective independent of the input are zeros', async (t) => {
  const g = new Graph();
  const x = g.input('x', [2, 2]);
  const z = g.input('z', [2, 2]);
  const [dx] = G.gradients(G.sum(G.mul(z, z)), [x]);
  t.deepEqual(dx.shape, [2, 2]);
});

// The formulation is chosen by memory as well as by size: a layer whose im2col tensor would pass the cap
// takes its weight gradient from one Conv (no Concat of k² taps), whatever its multiply-adds.
for (const [op, colBytes] of [
  ['Conv', 2 * 3 * 9 * 16 * 16 * 4], // cols of x: [2, 3·3·3, 16·16]
  ['ConvTranspose', 2 * 4 * 9 * 16 * 16 * 4], // cols of dY on x's grid: [2, 4·3·3, 16·16]
] as const) {
  test(`${op} dW by one Conv where the im2col tensor would pass im2colMaxBytes`, (t) => {
    const opsOfGradient = (capBytes: number) => {
      const g = new Graph();
      const x = g.input('x', [2, 3, 16, 16]);
      const w = g.input('w', op === 'Conv' ? [4, 3, 3, 3] : [3, 4, 3, 3]);
      const y = op === 'Conv' ? G.conv2d(x, w, undefined, { pad: 1 }) : G.convTranspose2d(x, w, undefined, { pad: 1 });
      const before = g.nodes.length;
      G.gradients(G.reduceSum(y, [0, 1, 2, 3]), [w], { conv: { oneConvBelowMacs: 0, im2colMaxBytes: capBytes } });
      return g.nodes.slice(before).map((n) => n.op.name);
    };
    const under = opsOfGradient(colBytes);
    t.true(under.includes('Concat') && under.includes('MatMul'), under.join(' '));
    const over = opsOfGradient(colBytes - 1);
    t.false(over.includes('Concat'), over.join(' '));
    // one Conv more: dW's (ConvTranspose's dX, built eagerly, is a Conv in both)
    const convs = (ops: string[]) => ops.filter((o) => o === 'Conv').length;
    t.is(convs(over), convs(under) + 1, over.join(' '));
  });
}

// A stride-1 Conv's dX is a Conv of dY with the flipped kernel from the column buffer's size on (onnxruntime's
// ConvTranspose fills Cin·k² floats per pixel of one image); a strided one keeps the ConvTranspose.
test('stride-1 dX by the flipped kernel where the column buffer would reach flippedKernelFromBytes', (t) => {
  const columnBytes = 4 * 3 * 9 * 16 * 16; // Cin·k² · H·W floats
  const opsOfGradient = (fromBytes: number, stride = 1) => {
    const g = new Graph();
    const x = g.input('x', [2, 3, 16, 16]);
    const w = g.input('w', [4, 3, 3, 3]);
    const before = g.nodes.length;
    G.gradients(G.sum(G.conv2d(x, w, undefined, { pad: 1, stride })), [x], { conv: { flippedKernelFromBytes: fromBytes } });
    return g.nodes.slice(before).map((n) => n.op.name);
  };
  const under = opsOfGradient(columnBytes + 1);
  t.true(under.includes('ConvTranspose') && !under.includes('Reverse'), under.join(' '));
  const at = opsOfGradient(columnBytes);
  t.true(!at.includes('ConvTranspose') && at.includes('Reverse') && at.includes('Conv'), at.join(' '));
  t.true(opsOfGradient(0, 2).includes('ConvTranspose'), 'stride 2');
});

// A small layer with a large weight takes its gradient by im2col: by one Conv it would need a Transpose of
// the whole weight. With a batch of two, Σ_n is the MatMul's contraction: no ReduceSum over the batch.
test('dW of a small layer with a large weight by im2col, the batch summed inside one MatMul', (t) => {
  const weights = 128 * 64 * 4 * 4;
  const opsOfGradient = (cap?: number) => {
    const g = new Graph();
    const x = g.input('x', [2, 64, 4, 4]);
    const w = g.input('w', [128, 64, 4, 4]);
    const loss = G.sum(G.conv2d(x, w, undefined, { stride: 2, pad: 1 }));
    const before = g.nodes.length;
    G.gradients(loss, [w], cap === undefined ? undefined : { conv: { oneConvMaxWeights: cap } });
    return g.nodes.slice(before);
  };
  // the defaults: few multiply-adds (2·2·2·|w|), but a weight over the cap
  const large = opsOfGradient();
  const names = large.map((n) => n.op.name);
  t.true(names.includes('Concat') && names.includes('MatMul'), names.join(' '));
  t.false(names.includes('ReduceSum'), names.join(' '));
  // the only transposes are of x and dY (swapping batch and channels) and of the columns, none of a weight
  for (const n of large.filter((m) => m.op.name === 'Transpose')) t.not(n.outputs[0].size, weights);
  t.false(
    opsOfGradient(weights).some((n) => n.op.name === 'Concat'),
    'at the cap: one Conv',
  );
});

test('conv gradient settings hold for one gradients() call only; the defaults hold without them', (t) => {
  const g = new Graph();
  const x = g.input('x', [1, 2, 6, 6]);
  const w = g.input('w', [3, 2, 3, 3]);
  const loss = G.sum(G.conv2d(x, w, undefined, { pad: 1 }));
  const opsOfGradient = (opts?: G.GradientOptions) => {
    const before = g.nodes.length;
    G.gradients(loss, [w], opts);
    return g.nodes.slice(before).map((n) => n.op.name);
  };
  t.true(opsOfGradient({ conv: { oneConvBelowMacs: 0 } }).includes('Concat'), 'im2col asked for');
  // a layer of 1·6·6·54 multiply-adds is below the default threshold: dW by one Conv, no im2col
  t.true(G.defaultConvGradientSettings.oneConvBelowMacs > 6 * 6 * 54);
  t.false(opsOfGradient().includes('Concat'), 'the defaults again');
});

// ---- ties: finite differences cannot see them (a kink), so the rule is checked by value ----
/** The gradients of sum(y · seed) w.r.t. the constants xs, computed in onnxruntime. */
async function gradientsAt(xs: { value: number[]; shape: number[] }[], f: (...t: Tensor[]) => Tensor, seed: number[]): Promise<number[][]> {
  const g = new Graph();
  const inputs = xs.map((x, i) => g.input(`x${i}`, x.shape));
  const y = f(...inputs);
  const grads = G.gradients(G.sum(G.mul(y, g.constant(Float32Array.from(seed), y.shape))), inputs);
  const bytes = G.emitModel(g, { outputs: grads.map((d, i) => [`d${i}`, d] as [string, Tensor]), params: 'inputs', inputs });
  const feeds = Object.fromEntries(xs.map((x, i) => [`x${i}`, floatTensor(Float32Array.from(x.value), x.shape)]));
  const out = await runModel(bytes, feeds);
  return grads.map((_, i) => Array.from(out[`d${i}`]));
}

test('ReduceMax: tied maxima share the gradient equally', async (t) => {
  const [dx] = await gradientsAt([{ value: [1, 3, 3, 2, 2, 2, 5, 4, 0], shape: [3, 3] }], (x) => G.reduceMax(x, [1]), [2, 3, 4]);
  t.deepEqual(
    dx.map((v) => +v.toFixed(6)),
    [0, 1, 1, 1, 1, 1, 4, 0, 0],
  );
});

test('ReduceMax keepdims over two axes: a tie across both axes is split between them', async (t) => {
  const [dx] = await gradientsAt([{ value: [7, 1, 2, 7], shape: [1, 2, 2] }], (x) => G.reduceMax(x, [1, 2], true), [1]);
  t.deepEqual(dx, [0.5, 0, 0, 0.5]);
});

test('Max and Min: an equal pair splits the gradient in half', async (t) => {
  const a = { value: [1, 2, 3], shape: [3] };
  const b = { value: [2, 2, 2], shape: [3] };
  t.deepEqual(await gradientsAt([a, b], G.max, [4, 4, 4]), [
    [0, 2, 4],
    [4, 2, 0],
  ]);
  t.deepEqual(await gradientsAt([a, b], G.min, [4, 4, 4]), [
    [4, 2, 0],
    [0, 2, 4],
  ]);
  // a broadcast operand collects its halves: b = 2 ties with two of a's values
  t.deepEqual(
    await gradientsAt(
      [
        { value: [2, 2, 3], shape: [3] },
        { value: [2], shape: [1] },
      ],
      G.max,
      [1, 1, 1],
    ),
    [[0.5, 0.5, 1], [1]],
  );
});

test('MaxPool: a window of tied maxima gives its gradient to the first (as PyTorch max_pool2d)', async (t) => {
  const [dx] = await gradientsAt([{ value: [1, 5, 5, 5], shape: [1, 1, 2, 2] }], (x) => G.maxPool(x, 2), [3]);
  t.deepEqual(dx, [0, 3, 0, 0]);
});
