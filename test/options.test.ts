// Typed options (cli/options.ts) and the command line built on them: provenance, usage errors naming the
// option, help generated from the declarations, demo parsed as train is.
import test from 'ava';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';
import { choice, flag, flagName, int, list, str } from '../api/options.js';
import { formatHelp, parseOptions, unknownOptionHint } from '../cli/options.js';
import { commands } from '../cli/main.js';
import { demoTrainOptions } from '../api/demo.js';
import { trainOptions } from '../api/train.js';
import { divsyn, tempDir } from './helpers/cli.js';

const defs = {
  model: choice(['a', 'b'] as const, { help: 'the model' }),
  batch: int({ min: 1, default: 4, help: 'batch' }),
  betaRamp: int({ min: 0, help: 'ramp' }),
  out: str({ help: 'where' }),
  force: flag({ help: 'force' }),
  model2: list({ help: 'several' }),
};

const usage = (argv: string[]) => {
  try {
    parseOptions(argv, defs, { min: 0, max: 1, names: 'FILE' });
  } catch (e) {
    if (e instanceof UserError && e.exitCode === 2) return e.message;
    throw e;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
};

test('values are typed and defaulted; provenance holds only what was typed', (t) => {
  const p = parseOptions(['--model', 'b', '--beta-ramp=3'], defs, { min: 0, max: 1, names: 'FILE' });
  t.deepEqual(p.values, { model: 'b', batch: 4, betaRamp: 3, force: false, model2: [] });
  t.deepEqual([...p.given].sort(), ['betaRamp', 'model']);
  t.false(p.given.has('batch'), 'a default is not reported as given');
  const again = parseOptions(['--batch', '4'], defs);
  t.true(again.given.has('batch'), 'typing the default value is still giving it');
});

test('camelCase keys are kebab-case options; lists collect; -- ends the options', (t) => {
  t.is(flagName('splitDepth'), 'split-depth');
  const p = parseOptions(['--model2', 'x', '--model2', 'y', '--', '--force'], defs, { min: 0, max: 1, names: 'FILE' });
  t.deepEqual(p.values.model2, ['x', 'y']);
  t.false(p.values.force);
  t.deepEqual(p.positional, ['--force']);
});

test('usage errors name the option: duplicates, unknown options with a hint, bad values, arguments', (t) => {
  t.is(usage(['--batch', '2', '--batch', '3']), 'option --batch is given twice');
  t.is(usage(['--bacth', '2']), 'unknown option --bacth; did you mean --batch?');
  t.is(usage(['--batch_size', '2']), 'unknown option --batch_size; divsyn calls it --batch');
  t.is(usage(['--beta_ramp', '2']), 'unknown option --beta_ramp; did you mean --beta-ramp?');
  t.is(usage(['--zzzzzz']), 'unknown option --zzzzzz (see --help)');
  t.is(usage(['--model', 'c']), "option --model: 'c' is not one of a, b");
  t.is(usage(['--batch', '0']), 'option --batch: 0 is below the minimum 1');
  t.is(usage(['--force=yes']), 'option --force takes no value');
  t.is(usage(['--out']), 'option --out needs a value (string)');
  t.is(usage(['a', 'b']), 'expected FILE, got 2 argument(s)');
});

test('the spellings of pix2pix and diffusers point to divsyn options', (t) => {
  const known = Object.keys(trainOptions).map(flagName).concat('count');
  t.is(unknownOptionHint('dataroot', known), '; divsyn calls it --data');
  t.is(unknownOptionHint('batch_size', known), '; divsyn calls it --batch');
  t.is(unknownOptionHint('ngf', known), '; divsyn calls it --width');
  t.is(unknownOptionHint('n_epochs', known), '; divsyn calls it --epochs');
  t.is(unknownOptionHint('num_images_per_prompt', known), '; divsyn calls it --count');
});

test('help is generated from the declarations: every option of every command, with its default', (t) => {
  for (const cmd of commands) {
    const r = divsyn('help', cmd.name);
    t.is(r.status, 0, cmd.name);
    t.is(r.stdout, divsyn(cmd.name, '--help').stdout, `divsyn help ${cmd.name} = divsyn ${cmd.name} --help`);
    t.regex(r.stdout, new RegExp(`^usage: divsyn ${cmd.name} `));
    for (const [key, d] of Object.entries(cmd.options)) {
      t.true(r.stdout.includes(`--${flagName(key)}`), `${cmd.name} --help lists --${flagName(key)}`);
      if ('default' in d && d.default !== undefined) t.true(r.stdout.includes(`(default ${d.default})`), `${cmd.name} --${flagName(key)} default`);
    }
    for (const req of cmd.required ?? []) t.regex(r.stdout.split('\n')[0], new RegExp(`--${flagName(req)} `), `${cmd.name}'s usage line shows --${flagName(req)}`);
  }
  t.regex(formatHelp('u', 's', { n: int({ help: 'a number', default: 3 }) }), /--n INT +a number \(default 3\)/);
});

test('options that do not apply to the model or mode are usage errors naming the option, before any work', (t) => {
  const dir = tempDir();
  const model = (kind: string, ...extra: string[]) => {
    const f = path.join(dir, `${kind}.onnx`);
    if (!fs.existsSync(f)) t.is(divsyn('init', '--model', kind, '--palette', 'cmp-facades', '--size', '32', '--width', '4', ...extra, '--out', f).status, 0);
    return f;
  };
  const train = ['train', '--data', 'fixture', '--size', '32', '--width', '4', '--steps', '1', '--out', path.join(dir, 'run')];
  const cases: [string[], RegExp][] = [
    [['sample', '--model', model('pix2pix'), '--layouts', 'fixture', '--codes', 'train', '--out', path.join(dir, 's')], /option --codes needs a latent model; '.*pix2pix\.onnx' is pix2pix/],
    [['sample', '--model', model('crn-multi', '--images', '2'), '--layouts', 'fixture', '--noise', 'window=0.5', '--out', path.join(dir, 's')], /--noise and --sweep need per-class noise/],
    [['sample', '--model', model('pix2pix'), '--layouts', 'fixture', '--sweep-steps', '3', '--out', path.join(dir, 's')], /option --sweep-steps needs --sweep/],
    [['sample', '--model', model('pix2pix'), '--layouts', 'fixture', '--grid-columns', '3', '--out', path.join(dir, 's')], /option --grid-columns needs --grid/],
    [[...train, '--model', 'crn', '--images', '3'], /--images applies to --model crn-multi, not --model crn$/m],
    [[...train, '--model', 'pix2pix', '--branches', '2'], /--branches applies to --model latent, not --model pix2pix$/m],
    [[...train, '--model', 'crn', '--with-noise'], /--with-noise applies to --model latent/],
    [[...train, '--model', 'pix2pix', '--warmup', '0'], /--warmup applies to --model latent/],
    [[...train, '--model', 'pix2pix', '--steps', '2'], /option --steps is given twice/],
    [[...train, '--model', 'pix2pix', '--dataroot', 'x'], /unknown option --dataroot; divsyn calls it --data/],
    [[...train, '--model', 'pix2pix', '--resume', '--force'], /--resume or --force, not both/],
    [['eval', '--model', model('pix2pix'), '--data', 'fixture', '--feature-norm', 'none', '--out', path.join(dir, 'e')], /option --feature-norm needs --features/],
    [['demo', '--minutes', '1', '--steps', '2', '--out', path.join(dir, 'd')], /--minutes or --steps, not both/],
  ];
  for (const [args, message] of cases) {
    const r = divsyn(...args);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  for (const out of ['run', 's', 'e', 'd']) t.false(fs.existsSync(path.join(dir, out)), `nothing written to ${out}`);
});

test("demo trains with train()'s options: the same generator file as divsyn train with those options", (t) => {
  const dir = tempDir();
  const demo = divsyn('demo', '--steps', '3', '--threads', '1', '--seed', '2', '--out', path.join(dir, 'demo'));
  t.is(demo.status, 0, demo.stderr);
  t.regex(demo.stderr, /wrote .*generator\.onnx, .*samples\.png, .*report\.json, .*preview\.png, .*log\.jsonl, .*state\//);
  const options = demoTrainOptions({ out: path.join(dir, 'train'), minutes: 5, steps: 3, diversity: 'bounded', seed: 2, threads: 1, force: false });
  const args = Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => (v === true ? [`--${flagName(k)}`] : [`--${flagName(k)}`, String(v)]));
  t.deepEqual(args.slice(0, 4), ['--model', 'pix2pix', '--data', 'fixture']);
  const train = divsyn('train', ...args);
  t.is(train.status, 0, train.stderr);
  const hash = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  t.is(hash(path.join(dir, 'demo', 'generator.onnx')), hash(path.join(dir, 'train', 'generator.onnx')));
  const info = divsyn('info', path.join(dir, 'train', 'generator.onnx'));
  t.regex(info.stdout, /training: 3 steps on fixture, seed 2, batch 1\n {2}diversity loss: bounded \(β 0\.1, λ 0\.3\)\n {2}learning rate: 0\.0002 \(constant\)/);
});

test('a demo into a non-empty folder suggests --force, not --resume', (t) => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'x'), '');
  const r = divsyn('demo', '--out', dir, '--steps', '1');
  t.is(r.status, 1);
  t.regex(r.stderr, /not empty \(use --force to write into it\)/);
  t.notRegex(r.stderr, /--resume/);
});
