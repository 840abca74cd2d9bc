// The training batch's inputs and the generator's forward pass for training: the baseline's one pass, or
// with a diversity loss two passes as one batch (G(l, n) and G(l, 0), or pairwise G(l, n1) and G(l, n2)).
import { Graph } from '../tensor.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { concat, slice, zerosLike } from '../ops/shape.js';
import { diversityLoss } from '../losses.js';
import { trainingContext } from '../models/layers.js';
import { familyOf, searchesNoise, takesNoise } from '../families/index.js';
import { GeneratorSpec, TrainingOptions } from '../spec.js';
import { conditionChannels, conditionInputName } from '../condition.js';
import { Batch, Forward, repeatEach } from './batch.js';
import { firstPassRows, searchNoise } from './noise-search.js';

export function declareBatch(g: Graph, spec: GeneratorSpec, o: TrainingOptions, withAssignment = true): Batch {
  const c = spec.classes.length;
  const [h, w, b] = [spec.height, spec.width, o.batch];
  const batch: Batch = { layout: g.input(conditionInputName(spec), [b, conditionChannels(spec), h, w]), image: g.input('image', [b, 3, h, w]) };
  // pairwise diversity: both passes' noises, n1 for the first B rows, n2 for the last B; with a noise search
  // the first pass's rows are K candidates per sample [B·K, C], sample-major
  const first = firstPassRows(spec, o);
  if (takesNoise(spec)) batch.noise = g.input('noise', [o.diversity === 'pairwise' ? first + b : first, c]);
  familyOf(spec).declareBatch?.(g, spec, o, batch, withAssignment);
  return batch;
}

/**
 * With a diversity loss, G runs on (l, n) and (l, 0) as one batch of two sharing one dropout mask (pairwise:
 * (l, n1) and (l, n2); with a noise search n, or n1, is the searched noise); without, one pass with the
 * random noise (the baseline). Each sample runs once per branch (latent: its training codes), sample-major.
 */
export function forward(g: Graph, spec: GeneratorSpec, o: TrainingOptions, batch: Batch): Forward {
  const family = familyOf(spec);
  const ctx = trainingContext(g, spec.norm, o.batch, { trackRunningStats: true });
  const common = { real: add(mul(batch.image, 2), -1), masks: ctx.masks, maskInputs: ctx.maskInputs, bufferUpdates: ctx.bufferUpdates };
  const n = family.branches(spec);
  if (!batch.noise) {
    const layout = repeatEach(batch.layout, n);
    const fakes = family.generator(ctx, spec, { layout, code: batch.code });
    return { ...common, layouts: layout, fakes, fakeZero: fakes };
  }
  const layout = repeatEach(batch.layout, n);
  const pairwise = o.diversity === 'pairwise';
  const firstRows = firstPassRows(spec, o);
  const firstPass = pairwise ? slice(batch.noise, [0], [0], [firstRows]) : batch.noise;
  const noise = repeatEach(searchesNoise(spec, o) ? searchNoise(g, spec, o, batch, firstPass) : firstPass, n);
  const twoPasses = o.diversity !== 'none';
  const layouts = twoPasses ? concat([layout, layout], 0) : layout;
  const code = batch.code && (twoPasses ? concat([batch.code, batch.code], 0) : batch.code);
  const secondNoise = pairwise ? repeatEach(slice(batch.noise, [0], [firstRows], [firstRows + o.batch]), n) : zerosLike(noise);
  const fakes = family.generator(ctx, spec, { layout: layouts, noise: twoPasses ? concat([noise, secondNoise], 0) : noise, code });
  if (!twoPasses) return { ...common, layouts, fakes, fakeZero: fakes };
  const b = o.batch * n;
  const fakeNoise = slice(fakes, [0], [0], [b]);
  const fakeZero = slice(fakes, [0], [b], [2 * b]);
  const divLoss = diversityLoss(layout, pairwise ? sub(noise, secondNoise) : noise, fakeZero, fakeNoise, { mode: pairwise ? 'bounded' : o.diversity, lambda: o.lambda, pool: o.diversityPool });
  return { ...common, layouts, fakes, fakeZero, fakeNoise, divLoss };
}
