// A feature network as eval uses it: taps flattened and concatenated, equal to running the file itself.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { Rng } from '../graph/index.js';
import { openFeatureNet } from '../runtime/features.js';
import { repoRoot, tempDir } from './helpers/cli.js';

test('feature vectors are the chosen taps of the file, flattened, for any batch split', async (t) => {
  const dir = tempDir('divsyn-features-');
  const r = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'test', 'python', 'export_feature_net.py'), dir], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const file = path.join(dir, 'features.onnx');
  const [h, w, n] = [12, 10, 5];
  const images = new Rng(3).fillUniform(new Float32Array(n * 3 * h * w));
  const direct = await ort.InferenceSession.create(file);
  const outs = await direct.run({ [direct.inputNames[0]]: new ort.Tensor('float32', images, [n, 3, h, w]) });
  const taps = ['pool1', 'feat'];
  const perImage = taps.map((k) => (outs[k].data as Float32Array).length / n);
  const net = await openFeatureNet(file, { height: h, width: w, batch: 2 }, { taps, norm: 'none', threads: 1 });
  t.is(net.dim, perImage[0] + perImage[1]);
  const f = await net.features(images, n);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let off = 0;
    taps.forEach((k, j) => {
      const src = (outs[k].data as Float32Array).subarray(i * perImage[j], (i + 1) * perImage[j]);
      for (let q = 0; q < perImage[j]; q++) worst = Math.max(worst, Math.abs(f[i * net.dim + off + q] - src[q]));
      off += perImage[j];
    });
  }
  t.true(worst < 1e-5, `worst ${worst}`);
  await net.release();
});

test('an unreadable feature network is an error naming it', async (t) => {
  await t.throwsAsync(() => openFeatureNet('/nonexistent/f.onnx', { height: 8, width: 8, batch: 1 }), { message: /f\.onnx/ });
});
