// CRN (issue 5, first part): the cascade's sizes and shapes, square and 2:1, as a generator file.
import test from 'ava';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { Graph } from '../graph/index.js';
import { crn, crnModuleSizes } from '../graph/models/crn.js';
import { inferenceContext } from '../graph/models/layers.js';
import { divsyn, tempDir } from './helpers/cli.js';

test('module sizes double from 4x4 (square) or 4x8 (2:1) up to the output size', (t) => {
  t.deepEqual(crnModuleSizes(32, 32), [
    [4, 4],
    [8, 8],
    [16, 16],
    [32, 32],
  ]);
  t.deepEqual(crnModuleSizes(256, 512), [
    [4, 8],
    [8, 16],
    [16, 32],
    [32, 64],
    [64, 128],
    [128, 256],
    [256, 512],
  ]);
  t.throws(() => crnModuleSizes(48, 48), { message: /4·2\^k/ });
});

test('the cascade maps [N, Cin, H, W] to [N, out, H, W]; modules from 128 px use half the width', (t) => {
  for (const [h, w] of [
    [32, 32],
    [128, 256],
  ]) {
    const g = new Graph();
    const y = crn(inferenceContext(g, 'none'), g.input('x', ['N', 5, h, w]), { height: h, width: w, channels: 8, outChannels: 3 });
    t.deepEqual(y.shape, ['N', 3, h, w]);
    const last = crnModuleSizes(h, w).length - 1;
    t.deepEqual(g.getParam(`module0.conv1.weight`)!.shape, [8, 5, 3, 3]);
    t.is(g.getParam(`module${last}.conv2.weight`)!.shape[0], h >= 128 ? 4 : 8);
  }
});

test('init --model crn writes a 2:1 generator; samples are independent of their batch', async (t) => {
  const file = path.join(tempDir(), 'crn.onnx');
  const r = divsyn('init', '--model', 'crn', '--classes', '3', '--size', '32x64', '--width', '8', '--out', file);
  t.is(r.status, 0, r.stderr);
  t.regex(divsyn('info', file).stdout, /model:\s+crn[\s\S]*size:\s+32x64/);
  const s = await ort.InferenceSession.create(file);
  const layout = new Float32Array(2 * 3 * 32 * 64);
  for (let i = 0; i < 2 * 32 * 64; i++) layout[(Math.floor(i / 2048) * 3 + ((i >> 4) % 3)) * 2048 + (i % 2048)] = 1;
  const noise = Float32Array.of(0.5, -0.5, 0.1, 0.9, 0, -1);
  const both = (await s.run({ layout: new ort.Tensor('float32', layout, [2, 3, 32, 64]), noise: new ort.Tensor('float32', noise, [2, 3]) })).image.data as Float32Array;
  const second = (await s.run({ layout: new ort.Tensor('float32', layout.slice(3 * 2048), [1, 3, 32, 64]), noise: new ort.Tensor('float32', noise.slice(3), [1, 3]) })).image.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < second.length; i++) worst = Math.max(worst, Math.abs(second[i] - both[3 * 2048 + i]));
  t.true(worst < 1e-5);
  t.true(
    both.every((v) => v >= 0 && v <= 1),
    'clipped to [0, 1]',
  );
  const bad = divsyn('init', '--model', 'crn', '--classes', '3', '--size', '40x40', '--out', path.join(tempDir(), 'x.onnx'));
  t.is(bad.status, 2);
  const deep = divsyn('init', '--model', 'latent', '--classes', '3', '--size', '32x32', '--split-depth', '9', '--out', path.join(tempDir(), 'l.onnx'));
  t.is(deep.status, 2, 'a split past the last module is a usage error');
  t.regex(deep.stderr, /--split-depth: 9 is past the last of the 4 modules/);
});
