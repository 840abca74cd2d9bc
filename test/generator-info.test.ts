// The metadata reader (common/generator-info.ts): from a file's bytes alone it gives what `divsyn info
// --json` prints, for every model kind; it describes the tensors as the graph has them, reads files from
// before the format version (format 0) by their spec, and refuses newer formats and metadata that
// disagrees with the graph, naming the file.
import test from 'ava';
import fs from 'node:fs';
import onnxProto from 'onnx-proto';
import { readGeneratorInfo, specOf } from '../common/generator-info.js';
import { UserError } from '../common/errors.js';
import { cmpFacades } from '../common/palettes.js';
import { readGenerator } from '../runtime/model-file.js';
import { ModelKind } from '../graph/spec.js';
import { divsyn, tempDir } from './helpers/cli.js';
import { initGenerators } from './helpers/generators.js';

const dir = tempDir();
const files = initGenerators(dir);

const layout = { name: 'layout', kind: 'labels', shape: ['N', 12, 32, 32], axes: ['sample', 'class', 'y', 'x'], values: 'one-hot', range: [0, 1] };
const noise = { name: 'noise', kind: 'noise', shape: ['N', 12], axes: ['sample', 'class'], values: 'uniform', range: [-1, 1] };
/** The latent code's D at 32 px, width 8, split after module 1. */
const latentCode = { name: 'code', kind: 'code', shape: ['N', 8], axes: ['sample', 'channel'], values: 'uniform', range: [0, 1] };
const EXPECTED_INPUTS: Record<string, unknown[]> = {
  pix2pix: [layout, noise],
  crn: [layout, noise],
  'crn-multi': [layout, { name: 'code', kind: 'code', shape: ['N', 3], axes: ['sample', 'image'], values: 'one-hot', range: [0, 1] }],
  latent: [layout, latentCode],
  'latent --with-noise': [layout, noise, latentCode],
};

for (const [name, file] of Object.entries(files)) {
  test(`${name}: the reader's description from the bytes is what info --json prints, and says how to feed the file`, (t) => {
    const info = readGeneratorInfo(fs.readFileSync(file), file);
    const r = divsyn('info', file, '--json');
    t.is(r.status, 0, r.stderr);
    t.deepEqual(info, JSON.parse(r.stdout));
    t.is(info.format, 1);
    t.is(info.precision, 'fp32');
    t.is(info.kind, name.split(' ')[0] as ModelKind);
    t.deepEqual([info.height, info.width], [32, 32]);
    t.deepEqual(info.classes, cmpFacades());
    t.deepEqual(info.inputs, EXPECTED_INPUTS[name]);
    t.deepEqual(info.outputs, [{ name: 'image', kind: 'image', shape: ['N', 3, 32, 32], axes: ['sample', 'rgb', 'y', 'x'], values: 'rgb', range: [0, 1] }]);
    t.deepEqual(info.training, { seed: 3, trained: false });
    t.regex(info.version ?? '', /^\d+\.\d+\.\d+/);
    // the same spec as the runtime's own reader, and the tensors as the graph has them
    const f = readGenerator(file);
    t.deepEqual(specOf(info), f.spec);
    t.deepEqual(
      info.inputs.map((v) => [v.name, v.shape]),
      f.inputs.map((v) => [v.name, v.shape]),
    );
  });
}

/** The file's bytes with its metadata changed: keys set to a value, or removed where the value is undefined. */
function withMetadata(file: string, changes: Record<string, string | undefined>): Uint8Array {
  const model = onnxProto.onnx.ModelProto.decode(fs.readFileSync(file));
  const props = (model.metadataProps ?? []).filter((p) => !((p.key ?? '') in changes));
  for (const [key, value] of Object.entries(changes)) if (value !== undefined) props.push(onnxProto.onnx.StringStringEntryProto.create({ key, value }));
  model.metadataProps = props;
  return onnxProto.onnx.ModelProto.encode(model).finish();
}

test('a file from before the format version (no divsyn.format, inputs, outputs, precision) is described by its spec alike, as format 0', (t) => {
  const file = files['latent --with-noise'];
  const now = readGeneratorInfo(fs.readFileSync(file), file);
  const before = readGeneratorInfo(withMetadata(file, { 'divsyn.format': undefined, 'divsyn.inputs': undefined, 'divsyn.outputs': undefined, 'divsyn.precision': undefined }), 'old.onnx');
  t.deepEqual(before, { ...now, format: 0 });
});

test('a newer format, metadata that disagrees with the graph, and a file of no known kind are errors naming the file', (t) => {
  const file = files.crn;
  const refused = (bytes: Uint8Array, ...parts: RegExp[]) => {
    const e = t.throws(() => readGeneratorInfo(bytes, 'named.onnx'), { instanceOf: UserError });
    for (const p of [/named\.onnx/, ...parts]) t.regex(e?.message ?? '', p);
  };
  refused(withMetadata(file, { 'divsyn.format': '2' }), /format 2, newer than this divsyn reads \(1\)/);
  const inputs = JSON.parse(readGenerator(file).metadata['divsyn.inputs']);
  inputs[1].shape = ['N', 11];
  refused(withMetadata(file, { 'divsyn.inputs': JSON.stringify(inputs) }), /input 'noise' is \[N, 12\] in the graph but \[N, 11\] in its metadata/);
  refused(withMetadata(file, { 'divsyn.inputs': JSON.stringify(inputs.slice(0, 1)) }), /the graph takes 'noise', which its metadata does not describe/);
  refused(withMetadata(file, { 'divsyn.precision': 'bf16' }), /divsyn\.precision 'bf16' is not one this divsyn reads \(fp32, fp16, int8\)/);
  refused(withMetadata(file, { 'divsyn.model': 'segmenter' }), /segmenter, not a generator/);
  refused(withMetadata(file, { 'divsyn.model': undefined }), /not a divsyn generator/);
  refused(new TextEncoder().encode('not onnx at all'), /not an ONNX model/);
});

test('info prints each input and output with its axes, values and range', (t) => {
  const r = divsyn('info', files['latent --with-noise']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /version: \S+ \(file format 1\)/);
  t.regex(r.stdout, /layout +float32 \[N, 12, 32, 32\] +\(sample, class, y, x\) +one-hot in \[0, 1\]/);
  t.regex(r.stdout, /noise +float32 \[N, 12\] +\(sample, class\) +uniform in \[-1, 1\]/);
  t.regex(r.stdout, /code +float32 \[N, 8\] +\(sample, channel\) +uniform in \[0, 1\]/);
  t.regex(r.stdout, /image +float32 \[N, 3, 32, 32\] +\(sample, rgb, y, x\) +rgb in \[0, 1\]/);
  t.regex(r.stdout, /training: none \(divsyn init, seed 3\)/);
});

test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
