// The model files the input checks are tried on, made in a folder: a pix2pix and a crn generator, the
// training artifacts of export-training, a segmenter, a small feature network (and one of two-channel
// input), a text file; and damaged copies of any of them.
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import * as G from '../../graph/index.js';
import { initParams } from '../../graph/index.js';
import { defaultTrainingOptions } from '../../graph/families/index.js';
import { generatorParams, segmenterInferenceProgram, SegmenterSpec } from '../../graph/programs/index.js';
import { GeneratorSpec } from '../../graph/spec.js';
import { genericPalette } from '../../common/palettes.js';
import { generatorMetadata, writeGenerator } from '../../runtime/model-file.js';
import { writeSegmenter } from '../../runtime/segmenter-file.js';
import { writeTrainingArtifacts } from '../../runtime/training-artifacts.js';

const { onnx } = onnxProto;

export const classes3 = genericPalette(3);
export const pix2pix32: GeneratorSpec = { model: 'pix2pix', classes: classes3, height: 32, width: 32, channels: 4, norm: 'instance' };
export const crn32: GeneratorSpec = { model: 'crn', classes: classes3, height: 32, width: 32, channels: 8, norm: 'instance' };

/** x [N, channels, 8, 8] → one 3x3 convolution and a ReLU: a feature network when channels is 3. */
export function featureNet(channels: number): Uint8Array {
  const g = new G.Graph();
  const x = g.input('x', ['N', channels, 8, 8]);
  const w = g.constant(
    Float32Array.from({ length: 4 * channels * 9 }, (_, i) => Math.sin(i)),
    [4, channels, 3, 3],
  );
  return G.emitModel(g, { outputs: [['y', G.relu(G.conv2d(x, w, undefined, { pad: 1 }))]], params: 'initializers' });
}

/** g.onnx, crn.onnx, export/{train_step,forward_loss,gradients,init}.onnx, seg.onnx, features.onnx, two-channel.onnx, notes.txt. */
export function makeModelFiles(dir: string): void {
  writeGenerator(path.join(dir, 'g.onnx'), pix2pix32, initParams(generatorParams(pix2pix32), 1));
  writeGenerator(path.join(dir, 'crn.onnx'), crn32, initParams(generatorParams(crn32), 1));
  writeTrainingArtifacts(path.join(dir, 'export'), pix2pix32, defaultTrainingOptions(pix2pix32), 0, 2e-4, generatorMetadata(pix2pix32));
  const seg: SegmenterSpec = { classes: classes3, size: 32, width: 4 };
  writeSegmenter(path.join(dir, 'seg.onnx'), seg, initParams(segmenterInferenceProgram(seg).graph.params, 1));
  fs.writeFileSync(path.join(dir, 'features.onnx'), featureNet(3));
  fs.writeFileSync(path.join(dir, 'two-channel.onnx'), featureNet(2));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a model');
}

/** A copy of ONNX file `name` in `dir` changed by `edit`, written beside it as `out`; its path. */
export function editedModel(dir: string, name: string, out: string, edit: (m: onnxProto.onnx.ModelProto) => void): string {
  const m = onnx.ModelProto.decode(fs.readFileSync(path.join(dir, name)));
  edit(m);
  const file = path.join(dir, out);
  fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
  return file;
}

export function setMetadata(m: onnxProto.onnx.ModelProto, key: string, value: string): void {
  const p = m.metadataProps.find((q) => q.key === key);
  if (p) p.value = value;
  else m.metadataProps.push(onnx.StringStringEntryProto.create({ key, value }));
}
