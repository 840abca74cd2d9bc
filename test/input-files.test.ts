// Every ONNX file given as --model, --segmenter, --features or --init is checked for what it must be before
// any work (runtime/model-file.ts, segmenter-file.ts, feature-file.ts): each refusal is one line naming
// the file and what it is instead. The files are made here (test/helpers/input-files.ts), with damaged
// copies of each.
import test from 'ava';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { generatorParams } from '../graph/programs/index.js';
import { UserError } from '../common/errors.js';
import { genericPalette } from '../common/palettes.js';
import { readGenerator, readInitGenerator } from '../runtime/model-file.js';
import { readSegmenter } from '../runtime/segmenter-file.js';
import { readFeatureNetwork } from '../runtime/feature-file.js';
import { choosePerceptual } from '../runtime/perceptual-file.js';
import { GeneratorSpec } from '../graph/spec.js';
import { editedModel, makeModelFiles, pix2pix32, setMetadata } from './helpers/input-files.js';
import { tempDir } from './helpers/cli.js';

const { onnx } = onnxProto;

let dir = '';
test.before(() => {
  dir = tempDir('divsyn-input-files-');
  makeModelFiles(dir);
});

const edited = (name: string, out: string, edit: (m: onnxProto.onnx.ModelProto) => void) => editedModel(dir, name, out, edit);

function refusal(t: { fail(m: string): void; true(v: boolean, m?: string): void }, f: () => unknown, file: string): string {
  try {
    f();
  } catch (e) {
    t.true(e instanceof UserError, `a UserError, not ${String(e)}`);
    const m = (e as Error).message;
    t.true(m.includes(file), `'${m}' names '${file}'`);
    t.true(!m.includes('\n'), 'one line');
    return m;
  }
  t.fail(`'${file}' was accepted`);
  return '';
}

const at = (name: string) => path.join(dir, name);

test('a generator file passes; the training artifacts, a segmenter and other files are named for what they are', (t) => {
  t.is(readGenerator(at('g.onnx')).spec.model, 'pix2pix');
  for (const f of ['train_step', 'forward_loss', 'gradients'])
    t.regex(
      refusal(t, () => readGenerator(at(`export/${f}.onnx`)), f),
      /is a divsyn training program .*not a generator/,
    );
  t.regex(
    refusal(t, () => readGenerator(at('export/init.onnx')), 'init.onnx'),
    /initial values \(init\.onnx from export-training\), not a generator/,
  );
  t.regex(
    refusal(t, () => readGenerator(at('seg.onnx')), 'seg.onnx'),
    /is a divsyn segmenter .*not a generator/,
  );
  t.regex(
    refusal(t, () => readGenerator(at('features.onnx')), 'features.onnx'),
    /not a divsyn generator \(no divsyn\.model .*inputs x \[N, 3, 8, 8\]/,
  );
  t.regex(
    refusal(t, () => readGenerator(at('notes.txt')), 'notes.txt'),
    /is not an ONNX model/,
  );
  t.regex(
    refusal(t, () => readGenerator(at('missing.onnx')), 'missing.onnx'),
    /cannot be read \(ENOENT\)/,
  );
});

test('a generator whose metadata or weights do not make a working generator is refused', (t) => {
  const huge = edited('g.onnx', 'huge.onnx', (m) => setMetadata(m, 'divsyn.size', '1048576x1048576'));
  t.regex(
    refusal(t, () => readGenerator(huge), huge),
    /divsyn\.size metadata: each side must be at most 4096/,
  );
  const odd = edited('g.onnx', 'odd.onnx', (m) => setMetadata(m, 'divsyn.size', '48x48'));
  t.regex(
    refusal(t, () => readGenerator(odd), odd),
    /power of two/,
  );
  const five = edited('g.onnx', 'five.onnx', (m) => setMetadata(m, 'divsyn.classes', JSON.stringify(genericPalette(5))));
  t.regex(
    refusal(t, () => readGenerator(five), five),
    /metadata asks for inputs layout float32 \[N, 5, 32, 32\].*it has inputs layout float32 \[N, 3, 32, 32\]/,
  );
  const wide = edited('g.onnx', 'wide.onnx', (m) => setMetadata(m, 'divsyn.channels', '8'));
  t.regex(
    refusal(t, () => readGenerator(wide), wide),
    /parameter param\.\S+ has \d+ values, its metadata asks for \d+/,
  );
  const absurd = edited('g.onnx', 'absurd.onnx', (m) => setMetadata(m, 'divsyn.channels', '1e9'));
  t.regex(
    refusal(t, () => readGenerator(absurd), absurd),
    /divsyn\.channels metadata '1e9' is not a width/,
  );
  const gap = edited('g.onnx', 'gap.onnx', (m) => {
    m.graph!.initializer = m.graph!.initializer!.filter((x) => x.name !== 'param.block0.down.weight');
  });
  t.regex(
    refusal(t, () => readGenerator(gap), gap),
    /1 of its \d+ parameters are missing \(the first: param\.block0\.down\.weight\)/,
  );
  const short = edited('g.onnx', 'short.onnx', (m) => {
    const p = m.graph!.initializer!.find((x) => x.name?.startsWith('param.'))!;
    p.rawData = p.rawData!.subarray(0, 8);
  });
  t.regex(
    refusal(t, () => readGenerator(short), short),
    /holds 2 of its \d+ values/,
  );
});

test('--init: a generator of this kind and these parameters, else the difference in one line', (t) => {
  const values = readInitGenerator(at('g.onnx'), pix2pix32);
  t.is(values.size, generatorParams(pix2pix32).length);
  const pix2pix64: GeneratorSpec = { ...pix2pix32, height: 64, width: 64 };
  t.regex(
    refusal(t, () => readInitGenerator(at('g.onnx'), pix2pix64), 'g.onnx'),
    /^--init '.*g\.onnx' is a pix2pix 32x32, width 4, 3 classes generator; this run trains pix2pix 64x64, width 4, 3 classes: it has no parameter/,
  );
  t.regex(
    refusal(t, () => readInitGenerator(at('crn.onnx'), pix2pix32), 'crn.onnx'),
    /is a crn 32x32.*another kind of model$/,
  );
  t.regex(
    refusal(t, () => readInitGenerator(at('g.onnx'), { ...pix2pix32, classes: genericPalette(4) }), 'g.onnx'),
    /another number of classes$/,
  );
  t.regex(
    refusal(t, () => readInitGenerator(at('g.onnx'), { ...pix2pix32, channels: 8 }), 'g.onnx'),
    /its parameter param\.\S+ has \d+ values, this model's \d+$/,
  );
  t.regex(
    refusal(t, () => readInitGenerator(at('export/train_step.onnx'), pix2pix32), 'train_step.onnx'),
    /training program/,
  );
});

test('--segmenter: a segmenter file passes; generators, training programs and odd interfaces are refused', (t) => {
  t.is(readSegmenter(at('seg.onnx')).classes.length, 3);
  t.regex(
    refusal(t, () => readSegmenter(at('g.onnx')), 'g.onnx'),
    /is a divsyn pix2pix generator, not a segmenter/,
  );
  t.regex(
    refusal(t, () => readSegmenter(at('export/train_step.onnx')), 'train_step.onnx'),
    /training program .*not a segmenter/,
  );
  t.regex(
    refusal(t, () => readSegmenter(at('features.onnx')), 'features.onnx'),
    /no valid divsyn\.classes/,
  );
  const big = edited('seg.onnx', 'seg-big.onnx', (m) => {
    m.graph!.input!.find((i) => i.name === 'image')!.type!.tensorType!.shape!.dim![2].dimValue = 1048576;
  });
  t.regex(
    refusal(t, () => readSegmenter(big), big),
    /input image is \[N, 3, 1048576, 32\], not \[N, 3, H, W\] with sides of 1\.\.4096/,
  );
  const four = edited('seg.onnx', 'seg-4.onnx', (m) => setMetadata(m, 'divsyn.classes', JSON.stringify(genericPalette(4))));
  t.regex(
    refusal(t, () => readSegmenter(four), four),
    /output scores is \[N, 3, 32, 32\], not \[N, 4, H, W\] for its 4 classes/,
  );
  // as the content loss's network, through the choice of --segmenter
  t.regex(
    refusal(t, () => choosePerceptual({ segmenter: at('g.onnx'), height: 32, width: 32 }), 'g.onnx'),
    /not a segmenter/,
  );
});

test('--features: a network taking images passes; generators, training programs and other inputs are refused', (t) => {
  t.truthy(readFeatureNetwork(at('features.onnx')).bytes.length);
  t.regex(
    refusal(t, () => readFeatureNetwork(at('g.onnx')), 'g.onnx'),
    /is a divsyn pix2pix generator \(it takes layouts\), not a feature network/,
  );
  t.regex(
    refusal(t, () => readFeatureNetwork(at('export/gradients.onnx')), 'gradients.onnx'),
    /training program .*not a feature network/,
  );
  t.regex(
    refusal(t, () => readFeatureNetwork(at('two-channel.onnx')), 'two-channel.onnx'),
    /does not take float32 images \[N, 3, H, W\].*inputs x \[N, 2, 8, 8\]/,
  );
  const external = edited('features.onnx', 'external.onnx', (m) => {
    for (const x of m.graph!.initializer!) x.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  });
  t.regex(
    refusal(t, () => readFeatureNetwork(external), external),
    /weights in external data files/,
  );
  t.regex(
    refusal(t, () => choosePerceptual({ features: at('export/init.onnx'), height: 32, width: 32 }), 'init.onnx'),
    /not a feature network/,
  );
});
