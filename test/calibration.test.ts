// int8 calibration's statistics (runtime/calibration.ts): exact extremes, and a strided subset for the
// percentiles whose size stays bounded however many runs calibrate.
import test from 'ava';
import fs from 'node:fs';
import onnxProto from 'onnx-proto';
import { collectStatistics } from '../runtime/calibration.js';
import { Feeds, createSession, floatTensor } from '../runtime/session.js';
import { Rng } from '../graph/index.js';
import { tempDir } from './helpers/cli.js';
import { initGenerators } from './helpers/generators.js';

test('calibration keeps the exact extremes and at most 2^19 values a tensor over 400 runs', async (t) => {
  const file = initGenerators(tempDir('divsyn-calibration-'), ['pix2pix']).pix2pix;
  const bytes = fs.readFileSync(file);
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const [output] = model.graph!.output!.map((o) => o.name!);
  const rng = new Rng(5);
  const feedsOf = (): Feeds => {
    const layout = new Float32Array(12 * 32 * 32);
    for (let i = 0; i < 32 * 32; i++) layout[rng.int(12) * 32 * 32 + i] = 1;
    return { layout: floatTensor(layout, [1, 12, 32, 32]), noise: floatTensor(rng.fillUniform(new Float32Array(12), -1, 1), [1, 12]) };
  };
  const runs = 400;
  const made: Feeds[] = [];
  const feeds = (function* () {
    for (let i = 0; i < runs; i++) {
      const f = feedsOf();
      made.push(f);
      yield f;
    }
  })();
  const stats = (await collectStatistics(model, [output], feeds, runs, { threads: 1 })).get(output)!;
  t.is(made.length, runs);
  const kept = stats.kept.reduce((n, k) => n + k.length, 0);
  t.true(kept <= 1 << 19, `${kept} values kept`);
  t.true(kept >= (1 << 19) / 2, `${kept} values kept`);
  // the extremes are over every value of every run, not the kept subset
  const { session } = await createSession(bytes, { threads: 1 });
  let [min, max] = [Infinity, -Infinity];
  for (const f of made) {
    const v = (await session.run(f))[output].data as Float32Array;
    for (const x of v) [min, max] = [Math.min(min, x), Math.max(max, x)];
  }
  await session.release();
  t.is(stats.min, min);
  t.is(stats.max, max);
});
