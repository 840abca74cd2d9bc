// The command line as users and scripts see it: exit statuses, one-line errors, init and info.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { divsyn, repoRoot, tempDir } from './helpers/cli.js';

test('--version and --help exit 0; no command exits 2', (t) => {
  const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  t.is(divsyn('--version').stdout, `divsyn ${version}\n`);
  const help = divsyn('init', '--help');
  t.is(help.status, 0);
  t.regex(help.stdout, /--palette/);
  t.is(divsyn().status, 2);
});

test('usage errors exit 2 with one line naming the option or value', (t) => {
  const dir = tempDir();
  const cases: [string[], RegExp][] = [
    [['init', '--model', 'pix2pix', '--classes', '3', '--size', '48', '--out', path.join(dir, 'a.onnx')], /--size.*48/],
    [['init', '--model', 'pix2pix', '--classes', 'x', '--size', '32', '--out', path.join(dir, 'a.onnx')], /--classes: 'x' is not an integer/],
    [['init', '--model', 'gan', '--classes', '3', '--size', '32', '--out', path.join(dir, 'a.onnx')], /--model: 'gan' is not one of/],
    [['init', '--model', 'pix2pix', '--size', '32', '--out', path.join(dir, 'a.onnx')], /--classes C or --palette P/],
    [['init', '--bogus'], /unknown option --bogus/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['export-training', '--model', 'pix2pix', '--classes', '3', '--size', '32', '--diversity', 'huge', '--out', dir], /--diversity: 'huge'/],
  ];
  for (const [args, message] of cases) {
    const r = divsyn(...args);
    t.is(r.status, 2, args.join(' '));
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    t.notRegex(r.stderr, /\bat .*\.js:\d+/, 'no stack trace');
  }
  t.false(fs.existsSync(path.join(dir, 'a.onnx')), 'nothing written on a usage error');
});

test('errors found later exit 1 and name the file', (t) => {
  const dir = tempDir();
  const missing = divsyn('init', '--model', 'pix2pix', '--palette', path.join(dir, 'nope.json'), '--size', '32', '--out', path.join(dir, 'a.onnx'));
  t.is(missing.status, 1);
  t.regex(missing.stderr, /nope\.json/);
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, '[{"name": "sky", "color": [0, 0]}]');
  const r = divsyn('init', '--model', 'pix2pix', '--palette', bad, '--size', '32', '--out', path.join(dir, 'a.onnx'));
  t.is(r.status, 1);
  t.regex(r.stderr, /bad\.json.*class 0/);
  const notOnnx = path.join(dir, 'x.onnx');
  fs.writeFileSync(notOnnx, 'hello');
  const info = divsyn('info', notOnnx);
  t.is(info.status, 1);
  t.regex(info.stderr, /x\.onnx/);
});

test('init writes a generator that info describes; an existing file needs --force', (t) => {
  const dir = tempDir();
  const out = path.join(dir, 'g.onnx');
  const r = divsyn('init', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', '32', '--width', '4', '--out', out);
  t.is(r.status, 0, r.stderr);
  const info = divsyn('info', out);
  t.is(info.status, 0);
  t.regex(info.stdout, /model:\s+pix2pix/);
  t.regex(info.stdout, /size:\s+32x32/);
  t.regex(info.stdout, /0\s+background\s+rgb\(0, 0, 223\)/);
  t.regex(info.stdout, /11\s+shop\s+rgb\(175, 0, 0\)/);
  t.regex(info.stdout, /layout\s+float32 \[N, 12, 32, 32\]/);
  t.regex(info.stdout, /noise\s+float32 \[N, 12\]/);
  t.regex(info.stdout, /image\s+float32 \[N, 3, 32, 32\]/);
  t.is(divsyn('init', '--model', 'pix2pix', '--classes', '3', '--size', '32', '--out', out).status, 1);
  t.is(divsyn('init', '--model', 'pix2pix', '--classes', '3', '--size', '32', '--out', out, '--force').status, 0);
  const json = JSON.parse(divsyn('info', out, '--json').stdout);
  t.is(json.classes.length, 3);
  t.is(json.classes[0].name, 'class0');
});

test('export-training refuses a non-empty directory without --force', (t) => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'keep.txt'), 'x');
  const r = divsyn('export-training', '--model', 'pix2pix', '--classes', '3', '--size', '32', '--width', '2', '--out', dir);
  t.is(r.status, 1);
  t.regex(r.stderr, /not empty/);
});

/** export-training's train_step manifest for these options. */
function trainStepManifest(...args: string[]): { inputs: { name: string; shape: number[] }[]; outputs: { name: string }[] } {
  const dir = tempDir();
  const r = divsyn('export-training', '--classes', '3', '--size', '32', '--width', '4', ...args, '--out', dir);
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).train_step;
}

test('export-training: --ndf sets the discriminator width; crn reports the content loss on G(l, n) unless --noise-content 0', (t) => {
  const d = trainStepManifest('--model', 'pix2pix', '--ndf', '5').inputs.find((i) => i.name.startsWith('dparam.') && i.name.endsWith('conv0.weight'));
  t.deepEqual(d?.shape.slice(0, 2), [5, 3 + 3], 'ndf output channels over layout + image');
  const names = (o: { outputs: { name: string }[] }) => o.outputs.map((x) => x.name);
  t.true(names(trainStepManifest('--model', 'crn')).includes('loss.G_content_noise'));
  t.false(names(trainStepManifest('--model', 'crn', '--noise-content', '0')).includes('loss.G_content_noise'));
});

test('demo writes generator, samples and report for both diversity settings (a short budget)', (t) => {
  for (const diversity of ['bounded', 'none']) {
    const out = tempDir();
    const r = divsyn('demo', '--minutes', '0.1', '--threads', '1', '--diversity', diversity, '--out', out, '--force');
    t.is(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    for (const key of ['steps', 'seconds', 'diversity', 'linking', 'l1_truth']) t.true(Number.isFinite(report[key]), `${diversity}: ${key}`);
    t.is(report.diversity_loss, diversity);
    for (const f of ['generator.onnx', 'samples.png']) t.true(fs.existsSync(path.join(out, f)), f);
  }
});
