// The model-family registry: every kind has a family, and each family's pieces agree with each other (its
// metadata reads back to its spec, its inference graph takes exactly its variation inputs).
import test from 'ava';
import { FAMILIES, MAX_SIDE, familyOf, takesNoise, variationInputs } from '../graph/families/index.js';
import { inferenceProgram } from '../graph/programs/index.js';
import { segmenterInferenceProgram } from '../graph/programs/segmenter.js';
import { generatorInterface, segmenterInterface } from '../graph/interface.js';
import { GeneratorSpec, MODEL_KINDS } from '../graph/spec.js';
import { Rng } from '../graph/random.js';

const base = {
  classes: [
    { name: 'a', color: [0, 0, 0] as [number, number, number] },
    { name: 'b', color: [9, 9, 9] as [number, number, number] },
  ],
  height: 32,
  width: 32,
  channels: 4,
  norm: 'instance' as const,
};
const arch = {
  images: 3,
  branches: 2,
  split: 'early' as const,
  splitDepth: 1,
  sharing: 'shared' as const,
  dropRate: 0.5,
  withNoise: true,
  trainingCodes: (n: number, dim: number) => new Rng(1, 'codes').fillUniform(new Float32Array(n * dim)),
};
const specOf = (kind: (typeof MODEL_KINDS)[number]): GeneratorSpec => familyOf(kind).buildSpec({ ...base, model: kind }, arch);

test('the registry has one family per model kind, under its own kind', (t) => {
  t.deepEqual(Object.keys(FAMILIES).sort(), [...MODEL_KINDS].sort());
  for (const kind of MODEL_KINDS) t.is(FAMILIES[kind].kind, kind);
});

for (const kind of MODEL_KINDS) {
  test(`${kind}: its metadata reads back to its spec`, (t) => {
    const spec = specOf(kind);
    const family = familyOf(spec);
    t.deepEqual(family.readMetadata({ ...base, model: kind }, family.metadata(spec)), spec);
  });

  test(`${kind}: the inference graph takes the layout and exactly the family's variation inputs`, (t) => {
    const spec = specOf(kind);
    const inputs = inferenceProgram(spec).inputs.map((i) => [i.spec.name, i.spec.shape[1]]);
    t.deepEqual(inputs, [['layout', 2], ...variationInputs(spec).map((v) => [v.name, v.dim])]);
    t.is(
      takesNoise(spec),
      inputs.some(([name]) => name === 'noise'),
    );
  });
}

for (const kind of MODEL_KINDS) {
  test(`${kind}: its interface (divsyn.inputs, divsyn.outputs) names and shapes the inference graph's inputs and output`, (t) => {
    // non-square where the family allows it, so that H and W cannot be swapped unnoticed
    const width = familyOf(kind).sizeProblem(32, 64, '32x64') ? 32 : 64;
    const spec = { ...specOf(kind), height: 32, width };
    const program = inferenceProgram(spec);
    const io = generatorInterface(spec);
    t.deepEqual(
      io.inputs.map((d) => [d.name, d.shape]),
      program.inputs.map((i) => [i.spec.name, i.spec.shape]),
    );
    t.deepEqual(
      io.outputs.map((d) => [d.name, d.shape]),
      program.outputs.map((o) => [o.spec.name, o.spec.shape]),
    );
    t.deepEqual(io.inputs[0], { name: 'layout', kind: 'labels', shape: ['N', 2, 32, width], axes: ['sample', 'class', 'y', 'x'], values: 'one-hot', range: [0, 1] });
    t.deepEqual(io.outputs, [{ name: 'image', kind: 'image', shape: ['N', 3, 32, width], axes: ['sample', 'rgb', 'y', 'x'], values: 'rgb', range: [0, 1] }]);
  });
}

test("a segmenter's interface names and shapes its inference graph's input and output", (t) => {
  const spec = { classes: base.classes, size: 32, width: 4 };
  const program = segmenterInferenceProgram(spec);
  const io = segmenterInterface(spec);
  t.deepEqual(
    [...io.inputs, ...io.outputs].map((d) => [d.name, d.shape]),
    [...program.inputs, ...program.outputs].map((i) => [i.spec.name, i.spec.shape]),
  );
  t.deepEqual(io.outputs[0].axes, ['sample', 'class', 'y', 'x']);
  t.is(io.outputs[0].range, undefined, 'logits are unbounded');
});

test('the families differ where the methods do: noise, discriminator, codes, sizes', (t) => {
  t.deepEqual(
    MODEL_KINDS.map((k) =>
      variationInputs(specOf(k))
        .map((v) => v.name)
        .join('+'),
    ),
    ['noise', 'noise', 'code', 'noise+code'],
  );
  t.truthy(FAMILIES.pix2pix.discriminatorObjective);
  t.falsy(FAMILIES.crn.discriminatorObjective);
  t.is(familyOf('latent').codeSet?.(specOf('latent')).count, 2);
  t.is(FAMILIES['crn-multi'].codeSet, undefined, "crn-multi's code is a one-hot choice of image, not a code set");
  t.regex(FAMILIES.pix2pix.sizeProblem(48, 48, '48') ?? '', /power of two/);
  t.is(FAMILIES.crn.sizeProblem(64, 128, '64x128'), undefined);
  t.regex(FAMILIES.crn.sizeProblem(60, 60, '60') ?? '', /multiple of 8/);
});

test('every family refuses a side above MAX_SIDE up front, and takes MAX_SIDE itself where its rule does', (t) => {
  t.is(MAX_SIDE, 4096);
  for (const kind of MODEL_KINDS) {
    t.regex(FAMILIES[kind].sizeProblem(1048576, 1048576, '1048576') ?? '', /at most 4096, got '1048576'/, kind);
    t.regex(FAMILIES[kind].sizeProblem(64, 8192, '64x8192') ?? '', /at most 4096/, kind);
  }
  t.is(FAMILIES.pix2pix.sizeProblem(4096, 4096, '4096'), undefined);
  t.is(FAMILIES.latent.sizeProblem(4096, 2048, '4096x2048'), undefined);
});
