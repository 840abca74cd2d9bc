// What the distributed sampler relies on (shards, queue workers, resumed runs batching differently): at a
// given thread count, each image is the same bits whatever the batch size and its position in the
// batch. Every model kind's `divsyn init` generator (32 px, width 8), 1 and 2 threads: seven samples
// alone, and in batches of 2, 3, 4 and 7 at every position.
import test from 'ava';
import { Rng } from '../graph/index.js';
import { variationInputs } from '../graph/families/index.js';
import { readGenerator } from '../runtime/model-file.js';
import { createSession, floatTensor, type Feeds } from '../runtime/session.js';
import { initGenerators } from './helpers/generators.js';
import { tempDir } from './helpers/cli.js';

const SAMPLES = 7;
const BATCHES = [2, 3, 4, 7];

const files = initGenerators(tempDir('divsyn-batch-invariance-'));

for (const [kind, file] of Object.entries(files)) {
  for (const threads of [1, 2]) {
    test(`${kind}, ${threads} thread${threads > 1 ? 's' : ''}: each image is the same bits at any batch size and position`, async (t) => {
      const { spec } = readGenerator(file);
      const c = spec.classes.length;
      const hw = spec.height * spec.width;
      const rng = new Rng(4);
      // seven distinct samples: blocky layouts (4x4 blocks) and their variation vectors
      const layouts = Array.from({ length: SAMPLES }, () => {
        const l = new Float32Array(c * hw);
        for (let p = 0; p < hw; p++) {
          const [y, x] = [Math.floor(p / spec.width), p % spec.width];
          l[(((y >> 2) * 31 + (x >> 2) * 17 + rng.int(2)) % c) * hw + p] = 1;
        }
        return l;
      });
      const inputs = variationInputs(spec);
      const variations = inputs.map((v) => Array.from({ length: SAMPLES }, () => rng.fillUniform(new Float32Array(v.dim), -1, 1)));
      const feeds = (samples: number[]): Feeds => {
        const layout = new Float32Array(samples.length * c * hw);
        samples.forEach((s, i) => layout.set(layouts[s], i * c * hw));
        const f: Feeds = { layout: floatTensor(layout, [samples.length, c, spec.height, spec.width]) };
        inputs.forEach((v, j) => {
          const z = new Float32Array(samples.length * v.dim);
          samples.forEach((s, i) => z.set(variations[j][s], i * v.dim));
          f[v.name] = floatTensor(z, [samples.length, v.dim]);
        });
        return f;
      };
      const { session } = await createSession(file, { threads });
      const image = 3 * hw;
      const alone: Float32Array[] = [];
      for (let s = 0; s < SAMPLES; s++) alone.push(((await session.run(feeds([s]))).image.data as Float32Array).slice());
      t.true(
        alone.some((a) => a.some((v, i) => v !== alone[0][i])),
        'the samples differ',
      );
      let checked = 0;
      for (const size of BATCHES) {
        // every sample at every position: batches of `size` consecutive samples, rotated
        for (let start = 0; start < SAMPLES; start++) {
          const samples = Array.from({ length: size }, (_, i) => (start + i) % SAMPLES);
          const out = (await session.run(feeds(samples))).image.data as Float32Array;
          samples.forEach((s, i) => {
            const got = out.subarray(i * image, (i + 1) * image);
            const differing = got.reduce((n, v, p) => n + (v === alone[s][p] ? 0 : 1), 0);
            if (differing) t.fail(`sample ${s} at position ${i} of a batch of ${size}: ${differing} of ${image} values differ from its image alone`);
            checked++;
          });
        }
      }
      await session.release();
      t.is(checked, SAMPLES * BATCHES.reduce((a, b) => a + b, 0));
    });
  }
}
