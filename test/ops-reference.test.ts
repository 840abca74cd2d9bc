// Every op of the registry against PyTorch: a one-op graph on small random inputs, its outputs run in
// onnxruntime and its input gradients built by gradients() (for an upstream gradient drawn per output),
// compared with the same op written in PyTorch (test/python/op_reference.py, float64). One line per case;
// an op of the registry without a case fails the suite, so a new op comes with its reference.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DType, GradientOptions, Graph, Rng, Tensor, add, emitModel, gradients, mul, opRegistry, sum } from '../graph/index.js';
import { createSession, ort } from '../runtime/session.js';
import { repoRoot, tempDir } from './helpers/cli.js';

/** Within 1e-4 of the largest reference value (or of 1, for small values): float32 against float64. */
const TOLERANCE = 1e-4;

type Input = { dtype: 'float32'; shape: number[]; lo: number; hi: number; step?: number } | { dtype: 'bool'; shape: number[] } | { dtype: 'int64'; shape: number[]; values: number[] };

/** Uniform in [lo, hi). */
const f = (shape: number[], lo = -1, hi = 1): Input => ({ dtype: 'float32', shape, lo, hi });
/** Multiples of 0.5 in [-1, 1]: many exact ties, for the tie rules. */
const tied = (shape: number[]): Input => ({ dtype: 'float32', shape, lo: -1, hi: 1, step: 0.5 });
const mask = (shape: number[]): Input => ({ dtype: 'bool', shape });
const ints = (values: number[]): Input => ({ dtype: 'int64', shape: [values.length], values });

interface Case {
  op: string;
  /** The OpDef's attributes, as the builder functions resolve them. */
  attrs: object;
  inputs: Input[];
  /** The op in PyTorch: inputs are a, b, c, ...; one tensor, or a tuple with one per output. */
  torch: string;
  /** What tells this case from the op's other cases. */
  variant?: string;
  /** Outputs that get an upstream gradient (default: the float ones). */
  gradOutputs?: number[];
  gradients?: GradientOptions;
}

const c = (op: string, attrs: object, inputs: Input[], torch: string, more: Partial<Case> = {}): Case => ({ op, attrs, inputs, torch, ...more });
const conv = (o: { stride?: number; pad?: [number, number, number, number]; dilation?: number; group?: number }) => ({
  strides: [o.stride ?? 1, o.stride ?? 1],
  pads: o.pad ?? [0, 0, 0, 0],
  dilations: [o.dilation ?? 1, o.dilation ?? 1],
  group: o.group ?? 1,
});
const pool = (kernel: number, stride: number, pad: number, countIncludePad = false) => ({
  kernel: [kernel, kernel],
  strides: [stride, stride],
  pads: [pad, pad, pad, pad],
  countIncludePad,
});
const im2col: Partial<Case> = { variant: 'dW by im2col', gradients: { conv: { oneConvBelowMacs: 0 } } };
const oneConv: Partial<Case> = { variant: 'dW by one Conv', gradients: { conv: { oneConvBelowMacs: Infinity } } };

const CASES: Case[] = [
  c('Reshape', { shape: [6, 4] }, [f([2, 3, 4])], 'a.reshape(6, 4)'),
  c('Expand', { shape: [2, 3, 4] }, [f([3, 1])], 'a.expand(2, 3, 4)'),
  c('ReduceSum', { axes: [0, 2], keepdims: false }, [f([3, 4, 5])], 'a.sum((0, 2))'),
  c('Add', {}, [f([2, 3, 4]), f([3, 1])], 'a + b'),
  c('Sub', {}, [f([2, 3, 4]), f([3, 1])], 'a - b'),
  c('Mul', {}, [f([2, 3, 4]), f([3, 1])], 'a * b'),
  c('Div', {}, [f([2, 3, 4]), f([1, 4], 0.5, 2)], 'a / b'),
  c('Max', {}, [f([2, 3, 4]), f([3, 1])], 'torch.maximum(a, b)'),
  c('Max', {}, [tied([2, 3, 4]), tied([3, 1])], 'torch.maximum(a, b)', { variant: 'ties' }),
  c('Min', {}, [f([2, 3, 4]), f([3, 1])], 'torch.minimum(a, b)'),
  c('Min', {}, [tied([2, 3, 4]), tied([3, 1])], 'torch.minimum(a, b)', { variant: 'ties' }),
  c('Greater', {}, [tied([3, 4]), tied([4])], 'a > b'),
  c('Less', {}, [tied([3, 4]), tied([4])], 'a < b'),
  c('GreaterOrEqual', {}, [tied([3, 4]), tied([4])], 'a >= b'),
  c('LessOrEqual', {}, [tied([3, 4]), tied([4])], 'a <= b'),
  c('Equal', {}, [tied([3, 4]), tied([4])], 'a == b'),
  c('Where', {}, [mask([3, 5]), f([3, 5]), f([5])], 'torch.where(a, b, c)'),
  c('Neg', {}, [f([4, 7])], '-a'),
  c('Relu', {}, [f([4, 7])], 'torch.relu(a)'),
  c('LeakyRelu', { alpha: 0.2 }, [f([4, 7])], 'F.leaky_relu(a, 0.2)'),
  c('Relu', {}, [tied([4, 7])], 'torch.relu(a)', { variant: 'ties at 0' }),
  c('LeakyRelu', { alpha: 0.2 }, [tied([4, 7])], 'F.leaky_relu(a, 0.2)', { variant: 'ties at 0' }),
  c('LeakyRelu', { alpha: 1.5 }, [tied([4, 7])], 'F.leaky_relu(a, 1.5)', { variant: 'slope over 1' }),
  c('Tanh', {}, [f([4, 7], -2, 2)], 'torch.tanh(a)'),
  c('Sigmoid', {}, [f([4, 7], -3, 3)], 'torch.sigmoid(a)'),
  c('Exp', {}, [f([4, 7])], 'torch.exp(a)'),
  c('Log', {}, [f([4, 7], 0.5, 2)], 'torch.log(a)'),
  c('Abs', {}, [f([4, 7])], 'torch.abs(a)'),
  c('Sign', {}, [tied([4, 7])], 'torch.sign(a)'),
  c('Sqrt', {}, [f([4, 7], 0.5, 2)], 'torch.sqrt(a)'),
  c('Softplus', {}, [f([4, 7], -4, 4)], 'F.softplus(a)'),
  c('Pow', { exponent: 3 }, [f([4, 7])], 'a ** 3'),
  c('Pow', { exponent: -0.5 }, [f([4, 7], 0.5, 2)], 'a ** -0.5', { variant: 'exponent -0.5' }),
  c('Clip', { min: -0.5, max: 0.4 }, [f([4, 7])], 'torch.clamp(a, -0.5, 0.4)'),
  c('Identity', {}, [f([4, 7])], 'a'),
  c('StopGradient', {}, [f([4, 7])], 'a.detach()'),
  c('CastFloat', {}, [mask([3, 4])], 'a.double()'),
  c('ReduceMean', { axes: [0, 2], keepdims: true }, [f([3, 4, 5])], 'a.mean((0, 2), keepdim=True)'),
  c('ReduceMax', { axes: [0, 2], keepdims: false }, [f([3, 4, 5])], 'a.amax((0, 2))'),
  c('ReduceMax', { axes: [1], keepdims: true }, [tied([3, 4, 5])], 'a.amax(1, keepdim=True)', { variant: 'ties' }),
  c('Transpose', { perm: [2, 0, 1] }, [f([2, 3, 4])], 'a.permute(2, 0, 1)'),
  c('Concat', { axis: 1 }, [f([2, 3, 2]), f([2, 1, 2])], 'torch.cat([a, b], 1)'),
  c('Split', { axis: 1, sizes: [2, 3, 2] }, [f([2, 7])], 'torch.split(a, [2, 3, 2], 1)'),
  c('Slice', { axes: [1, 2], starts: [1, 2], ends: [10, 9], steps: [2, 3] }, [f([3, 11, 10])], 'a[:, 1:10:2, 2:9:3]'),
  c('Reverse', { axes: [0, 2] }, [f([3, 2, 4])], 'a.flip((0, 2))'),
  c('Pad', { pads: [0, 1, 2, 1, 0, 3], value: 0.5 }, [f([2, 3, 4])], 'F.pad(a, (2, 3, 1, 0, 0, 1), value=0.5)'),
  c('MatMul', {}, [f([2, 3, 4, 5]), f([3, 5, 2])], 'a @ b'),
  c('Gemm', { alpha: 0.7, beta: 1.3, transA: true, transB: false }, [f([4, 3]), f([4, 5]), f([5])], '0.7 * a.T @ b + 1.3 * c'),
  c('Conv', conv({ stride: 2, pad: [1, 1, 1, 1] }), [f([2, 3, 7, 9]), f([4, 3, 3, 3], -0.5, 0.5), f([4])], 'F.conv2d(a, b, c, stride=2, padding=1)', im2col),
  c('Conv', conv({ stride: 2, pad: [1, 1, 1, 1] }), [f([2, 3, 7, 9]), f([4, 3, 3, 3], -0.5, 0.5), f([4])], 'F.conv2d(a, b, c, stride=2, padding=1)', oneConv),
  c('Conv', conv({ stride: 2, pad: [1, 0, 2, 1] }), [f([2, 3, 7, 9]), f([4, 3, 3, 3], -0.5, 0.5), f([4])], 'F.conv2d(F.pad(a, (0, 1, 1, 2)), b, c, stride=2)', {
    variant: 'dW by one Conv, padded inside it',
    gradients: { conv: { oneConvBelowMacs: Infinity, padInConvFromBytes: 0 } },
  }),
  c('Conv', conv({ stride: 3, pad: [1, 0, 2, 1] }), [f([2, 2, 11, 10]), f([3, 2, 3, 2], -0.5, 0.5), f([3])], 'F.conv2d(F.pad(a, (0, 1, 1, 2)), b, c, stride=3)', { variant: 'asymmetric pads' }),
  // dX by a Conv with the flipped kernel (at stride 1, where asked for): pads of each size within the kernel's reach, and dilated
  c('Conv', conv({ pad: [1, 0, 2, 1] }), [f([2, 3, 6, 7]), f([4, 3, 3, 2], -0.5, 0.5), f([4])], 'F.conv2d(F.pad(a, (0, 1, 1, 2)), b, c)', {
    variant: 'stride 1, asymmetric pads, dX by the flipped kernel',
    gradients: { conv: { flippedKernelFromBytes: 0 } },
  }),
  c('Conv', conv({ pad: [1, 1, 1, 1], dilation: 2 }), [f([2, 3, 7, 6]), f([2, 3, 3, 3], -0.5, 0.5), f([2])], 'F.conv2d(a, b, c, padding=1, dilation=2)', {
    variant: 'stride 1, dilation 2, dX by the flipped kernel',
    gradients: { conv: { flippedKernelFromBytes: 0 } },
  }),
  c('Conv', conv({ pad: [1, 1, 1, 1] }), [f([2, 3, 6, 7]), f([4, 3, 3, 3], -0.5, 0.5), f([4])], 'F.conv2d(a, b, c, padding=1)', { variant: 'stride 1, dX by ConvTranspose' }),
  c('Conv', conv({ pad: [2, 2, 2, 2], dilation: 2, group: 2 }), [f([1, 4, 6, 6]), f([6, 2, 3, 3], -0.5, 0.5), f([6])], 'F.conv2d(a, b, c, padding=2, dilation=2, groups=2)', {
    variant: 'dilation 2, groups 2',
  }),
  c(
    'ConvTranspose',
    { ...conv({ stride: 2, pad: [1, 1, 1, 1] }), outputPadding: [1, 1] },
    [f([1, 3, 4, 5]), f([3, 2, 3, 3], -0.5, 0.5), f([2])],
    'F.conv_transpose2d(a, b, c, stride=2, padding=1, output_padding=1)',
    im2col,
  ),
  c(
    'ConvTranspose',
    { ...conv({ stride: 2, pad: [1, 1, 1, 1] }), outputPadding: [1, 1] },
    [f([1, 3, 4, 5]), f([3, 2, 3, 3], -0.5, 0.5), f([2])],
    'F.conv_transpose2d(a, b, c, stride=2, padding=1, output_padding=1)',
    oneConv,
  ),
  c(
    'ConvTranspose',
    { ...conv({ stride: 2, pad: [1, 1, 1, 1] }), outputPadding: [1, 1] },
    [f([1, 3, 4, 5]), f([3, 2, 3, 3], -0.5, 0.5), f([2])],
    'F.conv_transpose2d(a, b, c, stride=2, padding=1, output_padding=1)',
    { variant: 'dW by one Conv, padded inside it', gradients: { conv: { oneConvBelowMacs: Infinity, padInConvFromBytes: 0 } } },
  ),
  c(
    'ConvTranspose',
    { ...conv({ stride: 2, pad: [1, 1, 1, 1], group: 2 }), outputPadding: [0, 0] },
    [f([2, 4, 3, 3]), f([4, 3, 4, 4], -0.5, 0.5), f([6])],
    'F.conv_transpose2d(a, b, c, stride=2, padding=1, groups=2)',
    { variant: 'groups 2' },
  ),
  c('NormalizeOver', { axes: [1, 2, 3], eps: 1e-5 }, [f([2, 3, 2, 3])], '(F.layer_norm(a, a.shape[1:], eps=1e-5), torch.rsqrt(a.var((1, 2, 3), unbiased=False, keepdim=True) + 1e-5))', {
    gradOutputs: [0],
  }),
  c('InstanceNormalization', { eps: 1e-5 }, [f([2, 3, 4, 5]), f([3]), f([3])], 'F.instance_norm(a, weight=b, bias=c, eps=1e-5)'),
  c('LayerNormalization', { axis: 1, eps: 1e-5 }, [f([2, 3, 2, 4]), f([3, 2, 4]), f([3, 2, 4])], 'F.layer_norm(a, a.shape[1:], b, c, 1e-5)'),
  c('AveragePool', pool(3, 2, 1), [f([2, 2, 7, 6])], 'F.avg_pool2d(a, 3, 2, 1, count_include_pad=False)'),
  c('AveragePool', pool(2, 2, 1, true), [f([1, 2, 5, 5])], 'F.avg_pool2d(a, 2, 2, 1, count_include_pad=True)', { variant: 'padding counted' }),
  c('MaxPool', pool(3, 2, 1), [f([2, 2, 7, 6])], 'onnx_max_pool(a, 3, 2, 1)'),
  c('MaxPool', pool(2, 2, 0), [tied([1, 2, 4, 6])], 'onnx_max_pool(a, 2, 2, 0)', { variant: 'ties' }),
  c('ScatterElements', {}, [f([6]), ints([0, 2, 2, 5]), f([4])], 'a.scatter_add(0, b, c)'),
  c('Resize', { factor: 2, mode: 'nearest', coordinates: 'half_pixel' }, [f([1, 2, 3, 5])], "F.interpolate(a, scale_factor=2, mode='nearest')"),
  c('Resize', { factor: 2, mode: 'bilinear', coordinates: 'half_pixel' }, [f([1, 2, 3, 5])], "F.interpolate(a, scale_factor=2, mode='bilinear', align_corners=False)", { variant: 'bilinear' }),
  c('Resize', { factor: 3, mode: 'bilinear', coordinates: 'align_corners' }, [f([1, 2, 3, 4])], "F.interpolate(a, scale_factor=3, mode='bilinear', align_corners=True)", {
    variant: 'bilinear, align_corners',
  }),
  c('Softmax', { axis: 1 }, [f([3, 5])], 'torch.softmax(a, 1)'),
  c('LogSoftmax', { axis: 1 }, [f([2, 4, 3])], 'torch.log_softmax(a, 1)'),
];

const title = (k: Case) => (k.variant ? `${k.op} (${k.variant})` : k.op);
const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

interface Drawn {
  values: number[][];
  /** Upstream gradient per output; null where none flows in. */
  upstream: (number[] | null)[];
  outputs: { dtype: DType; shape: number[] }[];
}

function draw(k: Case): Drawn {
  const op = opRegistry.get(k.op)!;
  const rng = new Rng(11, title(k));
  const values = k.inputs.map((x) => {
    if (x.dtype === 'int64') return x.values;
    if (x.dtype === 'bool') return Array.from({ length: size(x.shape) }, () => (rng.range(0, 1) < 0.5 ? 1 : 0));
    const step = x.step;
    return Array.from({ length: size(x.shape) }, () => (step ? Math.round(rng.range(x.lo, x.hi) / step) * step : Math.fround(rng.range(x.lo, x.hi))));
  });
  const g = new Graph();
  const inputs = k.inputs.map((x, i) => g.input(`in${i}`, x.shape, x.dtype));
  const outputs = op.infer(inputs, k.attrs).map((o) => ({ dtype: o.dtype, shape: o.shape as number[] }));
  const flowsIn = (i: number) => (k.gradOutputs ? k.gradOutputs.includes(i) : outputs[i].dtype === 'float32');
  const upstream = outputs.map((o, i) => (flowsIn(i) ? Array.from({ length: size(o.shape) }, () => Math.fround(rng.range(-1, 1))) : null));
  return { values, upstream, outputs };
}

interface TorchTensor {
  dtype: DType;
  shape: number[];
  data: number[];
}
type TorchResults = Record<string, { outputs: TorchTensor[]; grads: (number[] | null)[] }>;

/** Runs the PyTorch side once for all cases; throws (the tests fail) if python or torch is missing or fails. */
function runTorch(drawn: Map<string, Drawn>): TorchResults {
  const dir = tempDir('divsyn-op-reference-');
  const file = path.join(dir, 'cases.json');
  const cases = CASES.map((k) => {
    const d = drawn.get(title(k))!;
    return { title: title(k), torch: k.torch, inputs: k.inputs.map((x, i) => ({ dtype: x.dtype, shape: x.shape, data: d.values[i] })), upstream: d.upstream };
  });
  fs.writeFileSync(file, JSON.stringify(cases));
  const script = path.join(repoRoot, 'test', 'python', 'op_reference.py');
  const r = spawnSync('/usr/bin/python3', [script, file], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 2 ** 20 });
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.error) throw new Error(`could not run /usr/bin/python3 ${script}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as TorchResults;
}

let torchResults: TorchResults | undefined;
const drawnCases = new Map(CASES.map((k) => [title(k), draw(k)]));
const torchSide = () => (torchResults ??= runTorch(drawnCases));

function feed(x: Input, values: number[]): ort.Tensor {
  if (x.dtype === 'float32') return new ort.Tensor('float32', Float32Array.from(values), x.shape);
  if (x.dtype === 'bool') return new ort.Tensor('bool', Uint8Array.from(values), x.shape);
  return new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), x.shape);
}

/** The op's outputs and, where it has a gradient rule, its float inputs' gradients, from onnxruntime. */
async function runOurs(k: Case, d: Drawn): Promise<{ outputs: number[][]; grads: (number[] | null)[] }> {
  const op = opRegistry.get(k.op)!;
  const g = new Graph();
  const inputs = k.inputs.map((x, i) => g.input(`in${i}`, x.shape, x.dtype));
  const ys = g.apply(op, inputs, k.attrs);
  const named: [string, Tensor][] = ys.map((y, i) => [`out${i}`, y]);
  const floats = inputs.filter((t) => t.dtype === 'float32');
  const terms = ys.flatMap((y, i) => (d.upstream[i] ? [sum(mul(y, g.constant(Float32Array.from(d.upstream[i]), y.shape)))] : []));
  if (op.grad && floats.length && terms.length) {
    const objective = terms.reduce((p, q) => add(p, q));
    gradients(objective, floats, k.gradients).forEach((dx, i) => named.push([`grad_${floats[i].id}`, dx]));
  }
  const bytes = emitModel(g, { outputs: named, params: 'inputs', inputs });
  const { session } = await createSession(bytes, { threads: 1 });
  const out = await session.run(Object.fromEntries(k.inputs.map((x, i) => [`in${i}`, feed(x, d.values[i])])));
  await session.release();
  const read = (name: string) => Array.from(out[name].data as ArrayLike<number | bigint>, Number);
  return {
    outputs: ys.map((_, i) => read(`out${i}`)),
    grads: inputs.map((t) => (`grad_${t.id}` in out ? read(`grad_${t.id}`) : null)),
  };
}

/** The largest difference, as a fraction of the reference's largest magnitude (at least 1). */
function worstError(ours: number[], ref: number[]): number {
  let diff = 0;
  let scale = 1;
  ref.forEach((r, i) => {
    diff = Math.max(diff, Math.abs(ours[i] - r));
    scale = Math.max(scale, Math.abs(r));
  });
  return diff / scale;
}

test('every op of the registry has a reference case, and every case names an op of the registry', (t) => {
  const covered = new Set(CASES.map((k) => k.op));
  const missing = [...opRegistry.keys()].filter((name) => !covered.has(name));
  t.deepEqual(missing, [], `ops without a reference case: ${missing.join(', ')}`);
  const unknown = [...covered].filter((name) => !opRegistry.has(name));
  t.deepEqual(unknown, [], `cases for ops the registry lacks: ${unknown.join(', ')}`);
  t.is(new Set(CASES.map(title)).size, CASES.length, 'two cases share a title: give one a variant');
});

for (const k of CASES) {
  test(`${title(k)} matches PyTorch`, async (t) => {
    const d = drawnCases.get(title(k))!;
    const ref = torchSide()[title(k)];
    t.truthy(ref, `torch wrote no case '${title(k)}'`);
    const ours = await runOurs(k, d);
    t.is(ref.outputs.length, ours.outputs.length, 'number of outputs');
    let worst = 0;
    ref.outputs.forEach((r, i) => {
      t.deepEqual(r.shape, d.outputs[i].shape, `output ${i}: shape`);
      t.is(r.dtype, d.outputs[i].dtype, `output ${i}: dtype`);
      if (r.dtype === 'float32') {
        const err = worstError(ours.outputs[i], r.data);
        worst = Math.max(worst, err);
        t.true(err < TOLERANCE, `output ${i} differs by ${err.toExponential(2)} relative`);
      } else t.deepEqual(ours.outputs[i], r.data, `output ${i}`);
    });
    const op = opRegistry.get(k.op)!;
    k.inputs.forEach((x, i) => {
      if (x.dtype !== 'float32' || !op.grad) return;
      const err = worstError(ours.grads[i]!, ref.grads[i]!);
      worst = Math.max(worst, err);
      t.true(err < TOLERANCE, `gradient of input ${i} differs by ${err.toExponential(2)} relative`);
    });
    t.log(`${ref.outputs.length} output(s)${op.grad ? ' and the input gradients' : ' (no gradient rule)'}: worst error ${worst.toExponential(2)}`);
  });
}
