// divsyn export --precision fp16|int8: files of a briefly trained 32 px pix2pix (and of every other kind)
// against their fp32 file: PSNR, the same noise moving the same classes (linking), metadata kept, the onnx
// checker, onnxruntime-web's WASM backend, and calibration as a function of its seed.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { exportGenerator, ExportReport, psnr } from '../api/export.js';
import { openGenerator } from '../api/generator.js';
import { train } from '../api/train.js';
import { decodeOnnx } from '../common/onnx-model.js';
import { readGeneratorInfo } from '../common/generator-info.js';
import { packVariations } from '../common/variation.js';
import { fixtureLayout } from '../fixtures/facades.js';
import { createSampler } from '../web/sampler.js';
import { layoutFromIndices } from '../web/layouts.js';
import { openSampler } from '../runtime/open-sampler.js';
import { divsyn, repoRoot, tempDir } from './helpers/cli.js';
import { initGenerators } from './helpers/generators.js';

const dir = tempDir('divsyn-export-precision-');
const trained = path.join(dir, 'run', 'generator.onnx');
const ready = train({ model: 'pix2pix', data: 'fixture', size: '32', width: 8, steps: 200, threads: 1, out: path.join(dir, 'run') });
const exports: Record<string, Promise<ExportReport>> = {};
const exported = (precision: 'fp16' | 'int8', extra: { seed?: number; calibration?: 'minmax' | 'percentile'; name?: string } = {}) => {
  const name = extra.name ?? precision;
  exports[name] ??= ready.then(() => exportGenerator({ model: trained, precision, out: path.join(dir, `${name}.onnx`), threads: 1, seed: extra.seed, calibration: extra.calibration }));
  return exports[name];
};

test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

for (const [precision, bound] of [
  ['fp16', 60],
  ['int8', 30],
] as const) {
  test(`${precision}: PSNR against fp32 above ${bound} dB on calibration and held-apart layouts, diversity and linking within 10%`, async (t) => {
    const r = await exported(precision);
    t.log(JSON.stringify({ psnr: r.psnr, diversity: [r.measures!.fp32.diversity, r.measures!.exported.diversity], linking: [r.measures!.fp32.linking, r.measures!.exported.linking] }));
    t.true(r.psnr.calibration > bound && r.psnr.calibration < Infinity, `calibration PSNR ${r.psnr.calibration}`);
    t.true(r.psnr.heldApart! > bound, `held-apart PSNR ${r.psnr.heldApart}`);
    t.is(r.psnr.heldApartLayouts, 50 - 16);
    const { fp32, exported: e } = r.measures!;
    // trained briefly, the noise does move classes: linking is a measure here, not a constant
    t.true(fp32.linking! > 1.2, `fp32 linking ${fp32.linking}`);
    t.true(Math.abs(e.linking! / fp32.linking! - 1) < 0.1, `linking ${e.linking} against fp32 ${fp32.linking}`);
    t.true(Math.abs(e.diversity / fp32.diversity - 1) < 0.1, `diversity ${e.diversity} against fp32 ${fp32.diversity}`);
    t.true(r.bytes.exported < (precision === 'int8' ? 0.35 : 0.55) * r.bytes.fp32, `${r.bytes.exported} bytes against ${r.bytes.fp32}`);
  });

  test(`${precision}: the metadata is the fp32 file's with its precision; info shows it; onnx checker passes with standard ops only`, async (t) => {
    const r = await exported(precision);
    const before = decodeOnnx(fs.readFileSync(trained), trained).metadata;
    const after = decodeOnnx(fs.readFileSync(r.file), r.file).metadata;
    t.is(after['divsyn.precision'], precision);
    for (const [k, v] of Object.entries(before)) if (k !== 'divsyn.precision') t.is(after[k], v, k);
    if (precision === 'int8') t.deepEqual(JSON.parse(after['divsyn.calibration']), { layouts: 'fixture', samples: 16, method: 'percentile', percentile: 0.9999, seed: 0 });
    const info = readGeneratorInfo(fs.readFileSync(r.file));
    t.is(info.precision, precision);
    t.deepEqual(info.inputs, readGeneratorInfo(fs.readFileSync(trained)).inputs);
    const shown = divsyn('info', r.file);
    t.regex(shown.stdout, new RegExp(`precision: ${precision}`));
    const check = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'test', 'python', 'check_onnx.py'), r.file], { encoding: 'utf8' });
    const res = JSON.parse(check.stdout.trim());
    t.true(res.ok, res.error);
    t.deepEqual(res.domains, ['']);
    const want = precision === 'int8' ? ['QuantizeLinear', 'DequantizeLinear'] : ['Cast'];
    for (const op of want) t.true(res.ops.includes(op), `${op} in ${res.ops}`);
    if (precision === 'int8') t.false(res.ops.includes('ConvTranspose'), 'the decoder is in its phase-convolution form');
  });

  test(`${precision}: runs in onnxruntime-web (WASM) as in onnxruntime-node, and openGenerator samples it`, async (t) => {
    const r = await exported(precision);
    const bytes = fs.readFileSync(r.file);
    ortWeb.env.wasm.numThreads = 1;
    const web = await createSampler(bytes, ortWeb, { sessionOptions: { executionProviders: ['wasm'] }, batch: 4 });
    const layout = layoutFromIndices(web.info, fixtureLayout('test', 3, 32)).onehot;
    const zs = [0, 1, 2, 3].map((k) => web.scheme.draw(5, 'web', k));
    const images = await web.generate(
      zs.map(() => layout),
      zs,
    );
    await web.release();
    const node = await openSampler(bytes, { threads: 1 });
    const reference = await node.generatePacked(packVariations(zs.map(() => layout)), packVariations(zs), zs.length);
    await node.release();
    const fp32 = await openSampler(trained, { threads: 1 });
    const truth = await fp32.generatePacked(packVariations(zs.map(() => layout)), packVariations(zs), zs.length);
    await fp32.release();
    t.log(`web against node ${psnr(reference, images).toFixed(1)} dB; web against fp32 ${psnr(truth, images).toFixed(1)} dB`);
    t.true(psnr(reference, images) > 45, 'the WASM backend computes what onnxruntime-node does');
    t.true(psnr(truth, images) > (precision === 'int8' ? 30 : 60));
    const g = await openGenerator(r.file, { threads: 1 });
    const samples = await g.sample(await g.layout(fixtureLayout('test', 3, 32)), { count: 2, seed: 1 });
    await g.release();
    t.is(samples.length, 2);
    t.notDeepEqual(samples[0].image, samples[1].image);
  });
}

test('int8 calibration is a function of its seed: the same seed gives the same bytes, another seed other ranges', async (t) => {
  const [a, b, c] = await Promise.all([exported('int8'), exported('int8', { name: 'int8-again' }), exported('int8', { seed: 1, name: 'int8-seed1' })]);
  t.deepEqual(fs.readFileSync(b.file), fs.readFileSync(a.file));
  t.notDeepEqual(fs.readFileSync(c.file), fs.readFileSync(a.file));
});

test('int8: percentile calibration measured against min/max', async (t) => {
  const [p, m] = await Promise.all([exported('int8'), exported('int8', { calibration: 'minmax', name: 'int8-minmax' })]);
  t.log(`held-apart PSNR: percentile ${p.psnr.heldApart!.toFixed(2)} dB, minmax ${m.psnr.heldApart!.toFixed(2)} dB`);
  t.true(m.psnr.heldApart! > 30);
  t.not(p.psnr.heldApart, m.psnr.heldApart);
});

const kinds = initGenerators(dir, ['crn', 'crn-multi', 'latent --with-noise']);
for (const [name, file] of Object.entries(kinds))
  for (const precision of ['fp16', 'int8'] as const)
    test(`${name}: ${precision} export within bounds of fp32 (untrained, width 8)`, async (t) => {
      const r = await exportGenerator({ model: file, precision, out: path.join(dir, `${path.basename(file, '.onnx')}-${precision}.onnx`), threads: 1 });
      t.log(`PSNR ${r.psnr.calibration.toFixed(2)} / ${r.psnr.heldApart!.toFixed(2)} dB`);
      t.true(r.psnr.heldApart! > (precision === 'int8' ? 30 : 60));
      t.is(readGeneratorInfo(fs.readFileSync(r.file)).precision, precision);
    });

test('export refuses a file that is not fp32, an --out that is the model and a --calibrate that is not there, naming it; train --init refuses an export', async (t) => {
  const r = await exported('fp16');
  const again = divsyn('export', '--model', r.file, '--precision', 'int8', '--out', path.join(dir, 'twice.onnx'));
  t.is(again.status, 2);
  t.regex(again.stderr, /already fp16: export from the fp32 file/);
  const same = divsyn('export', '--model', trained, '--precision', 'int8', '--out', trained, '--force');
  t.is(same.status, 2);
  const missing = divsyn('export', '--model', trained, '--precision', 'int8', '--calibrate', path.join(dir, 'absent'), '--out', path.join(dir, 'never.onnx'));
  t.is(missing.status, 1);
  t.regex(missing.stderr, /^divsyn: --calibrate '.*absent' does not exist$/m);
  t.false(fs.existsSync(path.join(dir, 'never.onnx')));
  const init = divsyn(...'train --model pix2pix --data fixture --size 32 --width 8 --steps 1 --threads 1 --init'.split(' '), r.file, '--out', path.join(dir, 'from-fp16'));
  t.is(init.status, 1);
  t.regex(init.stderr, /--init '.*fp16\.onnx' is an fp16 export: --init takes the fp32 file it was exported from/);
});
