// The segmenter of the realism check (Yang et al., Table II): the pix2pix U-Net from a photo to class
// scores, trained with softmax cross-entropy. One model function gives both programs: the inference graph
// (weights baked in when emitted) and one train step (forward, gradients, Adam) for StepRunner.
import { Graph, Tensor, paramName } from '../tensor.js';
import { add, mul, neg } from '../ops/elementwise.js';
import { mean, reduceSum } from '../ops/reduce.js';
import { logSoftmax } from '../ops/softmax.js';
import { gradients } from '../autodiff.js';
import { adam } from '../optim.js';
import { InferenceForm, ModelContext, inferenceContext } from '../models/layers.js';
import { unet } from '../models/pix2pix.js';
import { ClassInfo } from '../spec.js';
import { Program, Role, paramInputName } from './program.js';

export interface SegmenterSpec {
  classes: ClassInfo[];
  /** Square size S: a power of two, at least 32 (the U-Net's rule). */
  size: number;
  /** Base channel count of the U-Net. */
  width: number;
}

/**
 * Instance norm behaves alike in training and inference, and dropout is left out (identity): a segmenter
 * needs no stochastic output, and without masks the train step takes no host randomness but the data.
 */
function segmenterTrainingContext(graph: Graph): ModelContext {
  return { graph, mode: 'train', norm: 'instance', dropout: (x) => x };
}

/** Class scores (logits) [N, C, S, S] of photos [N, 3, S, S] in [0, 1]. */
export function segmenterNet(ctx: ModelContext, spec: SegmenterSpec, image: Tensor): Tensor {
  // the U-Net is built for inputs in [-1, 1], as pix2pix feeds it
  const x = add(mul(image, 2), -1);
  return ctx.graph.withGroup('G', () => unet(ctx, x, { width: spec.width, size: spec.size, outChannels: spec.classes.length, tanh: false }));
}

/** Softmax cross-entropy against one-hot targets, averaged over pixels (a pixel with no class adds 0). */
export function crossEntropy(scores: Tensor, target: Tensor): Tensor {
  return neg(mean(reduceSum(mul(target, logSoftmax(scores, 1)), [1])));
}

const io = (tensor: Tensor, name: string, role: Role, feeds?: string) => ({ tensor, spec: { name, shape: tensor.shape, role, ...(feeds ? { feeds } : {}) } });

/** Input `image` [N, 3, S, S] (N symbolic), output `scores` [N, C, S, S]: the segmenter file's graph. */
/** form: as in inferenceProgram (default: the fastest equal forms). */
export function segmenterInferenceProgram(spec: SegmenterSpec, form: InferenceForm = {}): Program {
  const g = new Graph();
  const image = g.input('image', ['N', 3, spec.size, spec.size]);
  const scores = segmenterNet(inferenceContext(g, 'instance', form), spec, image);
  return { graph: g, inputs: [io(image, 'image', 'data')], outputs: [io(scores, 'scores', 'output')] };
}

export interface SegmenterStepOptions {
  batch: number;
  beta1?: number;
  beta2?: number;
}

/**
 * One Adam step on a batch: inputs param.<name>, image [B,3,S,S], layout (one-hot targets) [B,C,S,S],
 * m./v. state, lr, step; outputs new.* (each feeding the input it replaces) and loss.
 */
export function segmenterTrainStep(spec: SegmenterSpec, o: SegmenterStepOptions): Program {
  const g = new Graph();
  const { size: s, classes } = spec;
  const image = g.input('image', [o.batch, 3, s, s]);
  const layout = g.input('layout', [o.batch, classes.length, s, s]);
  const lr = g.input('lr', []);
  const step = g.input('step', []);
  const loss = crossEntropy(segmenterNet(segmenterTrainingContext(g), spec, image), layout);
  const params = [...g.params];
  const grads = gradients(loss, params);
  const opt = adam({ beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999 });
  const state: ReturnType<typeof io>[] = [];
  const outputs: ReturnType<typeof io>[] = [];
  params.forEach((p, i) => {
    const pname = paramInputName(paramName(p), 'G');
    const st = opt.stateNames.map((k) => {
      const t = g.input(`${k}.${pname}`, p.shape);
      state.push(io(t, `${k}.${pname}`, 'state'));
      return t;
    });
    const r = opt.update(p, grads[i], st, lr, step);
    outputs.push(io(r.param, `new.${pname}`, 'param', pname));
    r.state.forEach((t, k) => outputs.push(io(t, `new.${opt.stateNames[k]}.${pname}`, 'state', `${opt.stateNames[k]}.${pname}`)));
  });
  outputs.push(io(add(step, 1), 'new.step', 'step', 'step'), io(loss, 'loss', 'loss'));
  const inputs = [
    ...params.map((p) => io(p, paramInputName(paramName(p), 'G'), 'param')),
    io(image, 'image', 'data'),
    io(layout, 'layout', 'data'),
    ...state,
    io(lr, 'lr', 'lr'),
    io(step, 'step', 'step'),
  ];
  return { graph: g, inputs, outputs };
}
