// Reverse-mode autodiff over a recorded Graph. Gradients are recorded into the same graph with the ops'
// own gradient rules (standard ONNX ops only), accumulated where a tensor feeds several consumers, and
// pruned to the nodes that lie between the chosen tensors and the objective.
import { ConvGradientSettings, GradientSettings, Tensor } from './tensor.js';
import { expand, zerosLike } from './ops/broadcast.js';
import { defaultConvGradientSettings } from './ops/conv.js';
import { add } from './ops/elementwise.js';

export interface GradientOptions {
  /** Seed gradient of the objective; defaults to ones (a scalar objective gets 1). */
  seed?: Tensor;
  /** How convolutions build weight gradients; unset fields keep defaultConvGradientSettings. */
  conv?: Partial<ConvGradientSettings>;
}

/** d objective / d t for each t in wrt (zeros where the objective does not depend on t). */
export function gradients(objective: Tensor, wrt: Tensor[], opts: GradientOptions = {}): Tensor[] {
  const g = objective.graph;
  const nodes = g.nodes.slice(); // only the forward recording: gradient nodes are appended as we go

  // Tensors that depend on some wrt tensor (forward sweep).
  const live = new Set<number>(wrt.map((t) => t.id));
  for (const n of nodes) {
    if (n.op.grad && n.inputs.some((t) => live.has(t.id))) for (const o of n.outputs) live.add(o.id);
  }
  if (!live.has(objective.id)) return wrt.map(zerosLike);

  // Nodes on a path to the objective (backward sweep).
  const needed = new Set<number>([objective.id]);
  const onPath: typeof nodes = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => needed.has(o.id))) continue;
    if (!n.inputs.some((t) => live.has(t.id))) continue;
    onPath.push(n);
    for (const t of n.inputs) if (live.has(t.id)) needed.add(t.id);
  }

  const settings: GradientSettings = { conv: { ...defaultConvGradientSettings, ...opts.conv } };
  const grads = new Map<number, Tensor>();
  grads.set(objective.id, opts.seed ?? expand(g.scalar(1), objective.shape));
  const accumulate = (t: Tensor, d: Tensor) => {
    const prev = grads.get(t.id);
    grads.set(t.id, prev ? add(prev, d) : d);
  };

  for (const n of onPath) {
    const dOutputs = n.outputs.map((o) => grads.get(o.id));
    if (dOutputs.every((d) => d === undefined)) continue;
    const dInputs = n.op.grad!({ inputs: n.inputs, outputs: n.outputs, dOutputs, attrs: n.attrs, settings });
    n.inputs.forEach((t, i) => {
      const d = dInputs[i];
      if (d && live.has(t.id) && needed.has(t.id)) accumulate(t, d);
    });
  }
  return wrt.map((t) => grads.get(t.id) ?? zerosLike(t));
}
