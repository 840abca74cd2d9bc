// The inference graph: the condition (a one-hot layout, or the `condition` of graph/condition.ts) and the
// family's variation inputs (noise, code) with a symbolic batch N in, image [N, 3, H, W] in [0, 1] out.
import { Graph, Tensor } from '../tensor.js';
import { clip } from '../ops/elementwise.js';
import { toUnit } from '../losses.js';
import { InferenceForm, inferenceContext } from '../models/layers.js';
import { familyOf } from '../families/index.js';
import { GeneratorSpec } from '../spec.js';
import { conditionChannels, conditionInputName } from '../condition.js';
import { GeneratorInputs } from './batch.js';
import { Program, ioOf } from './program.js';

/** form: the graph's equal forms (default the fastest); TRAINING_FORM builds it as the training graph's forward pass is (tests, benches). */
export function inferenceProgram(spec: GeneratorSpec, form: InferenceForm = {}): Program {
  const g = new Graph();
  const family = familyOf(spec);
  const name = conditionInputName(spec);
  const layout = g.input(name, ['N', conditionChannels(spec), spec.height, spec.width]);
  const inputs = [ioOf(layout, name, 'data')];
  const ctx = inferenceContext(g, spec.norm, form);
  const x: GeneratorInputs = { layout };
  for (const v of family.variationInputs(spec)) {
    const t = g.input(v.name, ['N', v.dim]);
    x[v.name] = t;
    inputs.push(ioOf(t, v.name, 'data'));
  }
  const y: Tensor = family.generator(ctx, spec, x);
  // clipped, since not every network ends in a tanh (CRN does not)
  const image = clip(toUnit(y), 0, 1);
  return { graph: g, inputs, outputs: [ioOf(image, 'image', 'output')] };
}

/** The generator's parameters, in creation order (for initial values). */
export function generatorParams(spec: GeneratorSpec): Tensor[] {
  return inferenceProgram(spec).graph.params;
}
