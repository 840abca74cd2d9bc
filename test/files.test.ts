// The files divsyn writes, checked from outside: the generator file (docs/formats.md), Debian's onnx
// checker, and the training artifacts driven with nothing but onnxruntime and manifest.json.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { Rng } from '../graph/index.js';
import { divsyn, repoRoot, tempDir } from './helpers/cli.js';

const C = 4;
const S = 64; // 64: one dropout block, so masks are among the inputs

function makeGenerator(): string {
  const dir = tempDir();
  const out = path.join(dir, 'g.onnx');
  const r = divsyn('init', '--model', 'pix2pix', '--classes', String(C), '--size', String(S), '--width', '4', '--seed', '3', '--out', out);
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

function layoutBatch(n: number, seed: number): Float32Array {
  const out = new Float32Array(n * C * S * S);
  for (let b = 0; b < n; b++) for (let i = 0; i < S * S; i++) out[(b * C + ((Math.floor(i / 97) + b + seed) % C)) * S * S + i] = 1;
  return out;
}

test('generator file: weights inside, layout and noise in, image in [0,1] out, samples independent', async (t) => {
  const file = makeGenerator();
  const s = await ort.InferenceSession.create(file);
  t.deepEqual([...s.inputNames].sort(), ['layout', 'noise']);
  t.deepEqual([...s.outputNames], ['image']);
  const n = 3;
  const layout = layoutBatch(n, 0);
  const noise = new Rng(1).fillUniform(new Float32Array(n * C), -1, 1);
  const run = async (l: Float32Array, z: Float32Array, k: number) =>
    (await s.run({ layout: new ort.Tensor('float32', l, [k, C, S, S]), noise: new ort.Tensor('float32', z, [k, C]) })).image.data as Float32Array;
  const batch = await run(layout, noise, n);
  t.is(batch.length, n * 3 * S * S);
  t.true(batch.every((v) => v >= 0 && v <= 1));
  const per = 3 * S * S;
  for (let b = 0; b < n; b++) {
    const alone = await run(layout.slice(b * C * S * S, (b + 1) * C * S * S), noise.slice(b * C, (b + 1) * C), 1);
    let worst = 0;
    for (let i = 0; i < per; i++) worst = Math.max(worst, Math.abs(alone[i] - batch[b * per + i]));
    t.true(worst < 1e-5, `sample ${b} differs by ${worst} between batch and alone`);
  }
  t.deepEqual(await run(layout, noise, n), batch, 'same inputs, same images');
  // the noise input matters (an untrained net still reads its noise channel)
  const other = await run(
    layout,
    noise.map((v) => -v),
    n,
  );
  t.true(other.some((v, i) => Math.abs(v - batch[i]) > 1e-4));
  const meta = fs.readFileSync(file);
  for (const key of ['divsyn.model', 'divsyn.classes', 'divsyn.size', 'divsyn.noise', 'divsyn.version']) t.true(meta.includes(key), key);
});

function trainingDir(extra: string[] = []): string {
  const dir = tempDir();
  const r = divsyn('export-training', '--model', 'pix2pix', '--classes', String(C), '--size', String(S), '--width', '2', '--seed', '1', '--out', dir, ...extra);
  if (r.status !== 0) throw new Error(r.stderr);
  return dir;
}

test("every file passes Debian's onnx checker (opset 17, standard domain only)", (t) => {
  const gen = makeGenerator();
  const dir = trainingDir();
  const files = [gen, ...['forward_loss', 'gradients', 'train_step', 'init'].map((f) => path.join(dir, `${f}.onnx`))];
  const r = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'test', 'python', 'check_onnx.py'), ...files], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const results = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.is(results.length, files.length);
  for (const res of results) {
    t.true(res.ok, `${res.file}: ${res.error}`);
    t.deepEqual(res.opset, { '': 17 });
    t.true(
      res.domains.every((d: string) => d === ''),
      `${res.file} uses domains ${res.domains}`,
    );
    t.false(
      res.ops.some((op: string) => /Random|Bernoulli|Multinomial|Dropout/.test(op)),
      `${res.file} has a random op: ${res.ops}`,
    );
  }
});

interface Io {
  name: string;
  shape: number[];
  role: string;
  feeds?: string;
}

test('training artifacts run in a plain onnxruntime loop, driven by manifest.json alone', async (t) => {
  const dir = trainingDir();
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, { inputs: Io[]; outputs: Io[] }>;
  const session = (f: string) => ort.InferenceSession.create(path.join(dir, `${f}.onnx`));
  const init = await (await session('init')).run({});
  const rng = new Rng(9);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const data: Record<string, ort.Tensor> = {};
  for (const io of manifest.train_step.inputs) {
    if (io.role === 'data')
      data[io.name] = new ort.Tensor(
        'float32',
        io.name === 'layout' ? layoutBatch(1, 2) : io.name === 'noise' ? rng.fillUniform(new Float32Array(size(io.shape)), -1, 1) : rng.fillUniform(new Float32Array(size(io.shape))),
        io.shape,
      );
    if (io.role === 'mask')
      data[io.name] = new ort.Tensor(
        'float32',
        Float32Array.from({ length: size(io.shape) }, () => (rng.uniform() < 0.5 ? 0 : 2)),
        io.shape,
      );
  }
  // every carried input has an initial value in init.onnx
  for (const io of manifest.train_step.inputs) if (!['data', 'mask'].includes(io.role)) t.truthy(init[io.name], `init.onnx lacks ${io.name}`);
  const feedsFor = (inputs: Io[], values: Record<string, ort.Tensor>) => Object.fromEntries(inputs.map((io) => [io.name, values[io.name]]));

  // forward_loss and gradients agree on the loss; gradients agree with finite differences of forward_loss
  const fwd = await session('forward_loss');
  const grd = await session('gradients');
  const state = { ...init, ...data };
  const loss = ((await fwd.run(feedsFor(manifest.forward_loss.inputs, state))).loss.data as Float32Array)[0];
  const gout = await grd.run(feedsFor(manifest.gradients.inputs, state));
  t.true(Math.abs((gout.loss.data as Float32Array)[0] - loss) < 1e-5 * Math.abs(loss));
  const gradOuts = manifest.gradients.outputs.filter((o) => o.role === 'grad');
  t.is(gradOuts.length, manifest.gradients.inputs.filter((i) => i.role === 'param').length, 'one grad per param');
  const probe = gradOuts.find((o) => o.name === 'grad.block1.down.weight')!;
  const pname = 'param.block1.down.weight';
  const g = gout[probe.name].data as Float32Array;
  let k = 0;
  for (let i = 0; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[k])) k = i;
  const eps = 1e-3;
  const at = async (delta: number) => {
    const v = Float32Array.from(init[pname].data as Float32Array);
    v[k] += delta;
    return ((await fwd.run(feedsFor(manifest.forward_loss.inputs, { ...state, [pname]: new ort.Tensor('float32', v, init[pname].dims) }))).loss.data as Float32Array)[0];
  };
  const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
  t.true(Math.abs(fd - g[k]) < 0.03 * Math.abs(g[k]) + 1e-3, `grad ${g[k]} vs finite difference ${fd}`);

  // train_step: outputs replace the inputs they name in "feeds"; three steps; deterministic
  const step = await session('train_step');
  let carried: Record<string, ort.Tensor> = { ...init };
  const losses: number[] = [];
  let firstOut: Record<string, ort.Tensor> | undefined;
  for (let s = 0; s < 3; s++) {
    const out = await step.run(feedsFor(manifest.train_step.inputs, { ...carried, ...data }));
    firstOut ??= out;
    for (const o of manifest.train_step.outputs) if (o.feeds) carried = { ...carried, [o.feeds]: out[o.name] };
    losses.push((out['loss.G'].data as Float32Array)[0]);
  }
  t.true(losses.every(Number.isFinite));
  t.is((carried.step.data as Float32Array)[0], 4);
  const again = await step.run(feedsFor(manifest.train_step.inputs, { ...init, ...data }));
  t.deepEqual(Array.from(again['new.param.block0.down.weight'].data as Float32Array), Array.from(firstOut!['new.param.block0.down.weight'].data as Float32Array));
  t.true(
    manifest.train_step.outputs.some((o) => o.name === 'loss.G_div'),
    'the bounded diversity term is reported',
  );
  const roles = new Set(manifest.train_step.inputs.map((i) => i.role));
  for (const r of ['param', 'dparam', 'state', 'data', 'mask', 'lr', 'step']) t.true(roles.has(r), `role ${r}`);
});

test('--norm batch: train_step carries running statistics, and the generator file uses them', async (t) => {
  const dir = trainingDir(['--norm', 'batch']);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, { inputs: Io[]; outputs: Io[] }>;
  const buffers = manifest.train_step.inputs.filter((i) => i.name.startsWith('buffer.'));
  t.true(buffers.length > 0);
  t.true(buffers.every((b) => b.role === 'state'));
  for (const b of buffers)
    t.truthy(
      manifest.train_step.outputs.find((o) => o.feeds === b.name),
      `an output feeds ${b.name}`,
    );
  t.false(
    manifest.train_step.inputs.some((i) => /^dparam\..*running/.test(i.name)),
    'the discriminator keeps no running statistics',
  );
  const init = await (await ort.InferenceSession.create(path.join(dir, 'init.onnx'))).run({});
  const runningVar = buffers.find((b) => b.name.endsWith('running_var'))!;
  t.true(
    (init[runningVar.name].data as Float32Array).every((v) => v === 1),
    'running variances start at ones',
  );
  const gen = path.join(tempDir(), 'g.onnx');
  t.is(divsyn('init', '--model', 'pix2pix', '--classes', String(C), '--size', String(S), '--width', '2', '--norm', 'batch', '--out', gen).status, 0);
  const s = await ort.InferenceSession.create(gen);
  const layout = layoutBatch(2, 0);
  const noise = new Float32Array(2 * C).fill(0.3);
  const both = (await s.run({ layout: new ort.Tensor('float32', layout, [2, C, S, S]), noise: new ort.Tensor('float32', noise, [2, C]) })).image.data as Float32Array;
  const one = (await s.run({ layout: new ort.Tensor('float32', layout.slice(0, C * S * S), [1, C, S, S]), noise: new ort.Tensor('float32', noise.slice(0, C), [1, C]) })).image.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < one.length; i++) worst = Math.max(worst, Math.abs(one[i] - both[i]));
  t.true(worst < 1e-5);
});
