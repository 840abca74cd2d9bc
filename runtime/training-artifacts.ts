// The training program as plain ONNX files (docs/formats.md#training-artifacts): forward_loss.onnx,
// gradients.onnx, train_step.onnx, init.onnx and manifest.json.
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { IR_VERSION, OPSET, initParams } from '../graph/index.js';
import { IoSpec, Program, TrainingPrograms, emitProgram, manifestEntry, trainingPrograms } from '../graph/programs/index.js';
import { GeneratorSpec, TrainingOptions } from '../graph/spec.js';
import { writeFileAtomic } from '../common/files.js';

const { onnx } = onnxProto;

/** Initial value of every input of train_step that is not data or a mask: params, state, lr, step. */
export function initialValues(step: Program, seed: number, lr: number): Map<string, { spec: IoSpec; value: Float32Array }> {
  const params = initParams(step.graph.params, seed);
  const out = new Map<string, { spec: IoSpec; value: Float32Array }>();
  for (const { tensor, spec } of step.inputs) {
    let value: Float32Array | undefined;
    // parameters and running statistics start at their initialisers (running_var at ones); optimizer state at zeros
    if (tensor.source.kind === 'param') value = params.get(tensor.source.name);
    else if (spec.role === 'state') value = new Float32Array(tensor.size);
    else if (spec.role === 'lr') value = Float32Array.of(lr);
    else if (spec.role === 'step') value = Float32Array.of(1);
    if (value) out.set(spec.name, { spec, value });
  }
  return out;
}

/** A model with no nodes whose outputs are its initializers, named like the inputs they feed. */
export function initModel(values: Map<string, { spec: IoSpec; value: Float32Array }>): Uint8Array {
  const initializer: object[] = [];
  const output: object[] = [];
  for (const [name, { spec, value }] of values) {
    const dims = spec.shape as number[];
    initializer.push({ name, dims, dataType: 1, rawData: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) });
    output.push({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  }
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'divsyn',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name: 'init', initializer, output },
  });
  return onnx.ModelProto.encode(model).finish();
}

export interface ExportResult {
  files: string[];
  programs: TrainingPrograms;
}

export function writeTrainingArtifacts(dir: string, spec: GeneratorSpec, o: TrainingOptions, seed: number, lr: number, metadata: Record<string, string>): ExportResult {
  const programs = trainingPrograms(spec, o);
  const entries: [string, Program][] = [
    ['forward_loss', programs.forwardLoss],
    ['gradients', programs.gradients],
    ['train_step', programs.trainStep],
  ];
  const files: string[] = [];
  const manifest: Record<string, unknown> = {};
  for (const [name, p] of entries) {
    const file = path.join(dir, `${name}.onnx`);
    writeFileAtomic(file, emitProgram(p, { metadata }));
    manifest[name] = manifestEntry(p);
    files.push(file);
  }
  const init = initialValues(programs.trainStep, seed, lr);
  writeFileAtomic(path.join(dir, 'init.onnx'), initModel(init));
  manifest.init = { inputs: [], outputs: [...init.values()].map(({ spec }) => ({ ...spec, feeds: spec.name })) };
  files.push(path.join(dir, 'init.onnx'));
  const manifestFile = path.join(dir, 'manifest.json');
  writeFileAtomic(manifestFile, JSON.stringify(manifest, null, 1) + '\n');
  files.push(manifestFile);
  return { files, programs };
}
