// The bad-input corpus, tried as a user would (bin/divsyn): every file is made here in a temporary folder,
// and every case must end with its exit status, one line on stderr naming the file or option, no stack
// trace, and nothing written. The table of cases (case, status, message) is logged (npx ava --verbose).
// The cases that need the dataset check, --skip-bad and the output-path checks wired into the commands
// are tested at the library level (dataset-check, output-paths, input-files tests).
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { indicesToColors, writePng } from '../common/image.js';
import { cmpFacades } from '../common/palettes.js';
import { fixtureItem } from '../fixtures/facades.js';
import { divsyn, repoRoot, tempDir } from './helpers/cli.js';
import { pngBytes } from './helpers/png.js';
import { classes3, editedModel, makeModelFiles, setMetadata } from './helpers/input-files.js';

interface Case {
  name: string;
  args: string[];
  status: number;
  /** What the (first) line must name (a file, an option), and say. */
  says: RegExp;
  /** Lines on stderr: 1, or a first line and one per bad item for a dataset's refusal. */
  lines?: number;
}

function run(args: string[]): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(path.join(repoRoot, 'bin', 'divsyn'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ status: code ?? -1, stderr }));
  });
}

/** Every file below `dir`, relative, sorted: what a case must leave unchanged. */
function listing(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

async function makeData(d: string): Promise<void> {
  const cmp = cmpFacades();
  const it = fixtureItem('train', 0, 32);
  const layout = { data: indicesToColors(it.layout, cmp), width: 32, height: 32, channels: 3 as const };
  const photo = { data: it.photo, width: 32, height: 32, channels: 3 as const };
  // a pix2pix dataset root with its split folders, and a pairs root with one
  for (const split of ['train', 'test']) {
    const both = new Uint8Array(64 * 32 * 3);
    for (let y = 0; y < 32; y++) {
      both.set(layout.data.subarray(y * 96, (y + 1) * 96), y * 192);
      both.set(photo.data.subarray(y * 96, (y + 1) * 96), y * 192 + 96);
    }
    await writePng(path.join(d, 'facades', split, 'a.png'), { data: both, width: 64, height: 32, channels: 3 });
  }
  await writePng(path.join(d, 'pairs-root', 'train', 'layouts', 'a.png'), layout);
  await writePng(path.join(d, 'pairs-root', 'train', 'photos', 'a.png'), photo);
  // a pairs folder whose layout has no photo
  await writePng(path.join(d, 'unmatched', 'layouts', 'a.png'), layout);
  await writePng(path.join(d, 'unmatched', 'photos', 'b.png'), photo);
  // a pix2pix folder in the 3 classes of the model files (test/helpers/input-files.ts)
  const three = new Uint8Array(64 * 32 * 3);
  const layout3 = indicesToColors(
    it.layout.map((c) => c % 3),
    classes3,
  );
  for (let y = 0; y < 32; y++) {
    three.set(layout3.subarray(y * 96, (y + 1) * 96), y * 192);
    three.set(photo.data.subarray(y * 96, (y + 1) * 96), y * 192 + 96);
  }
  await writePng(path.join(d, 'three', 'a.png'), { data: three, width: 64, height: 32, channels: 3 });
  // pairs folders with one bad item beside a good one: a truncated photo; a 16-bit index map holding 514
  for (const folder of ['truncated', 'deep']) {
    await writePng(path.join(d, folder, 'layouts', 'a.png'), layout);
    await writePng(path.join(d, folder, 'photos', 'a.png'), photo);
    await writePng(path.join(d, folder, 'photos', 'b.png'), photo);
  }
  await writePng(path.join(d, 'truncated', 'layouts', 'b.png'), layout);
  const whole = fs.readFileSync(path.join(d, 'truncated', 'photos', 'b.png'));
  fs.writeFileSync(path.join(d, 'truncated', 'photos', 'b.png'), whole.subarray(0, whole.length >> 1));
  fs.writeFileSync(path.join(d, 'deep', 'layouts', 'b.png'), pngBytes({ width: 32, height: 32, depth: 16, colourType: 0, samples: Array.from({ length: 1024 }, (_, i) => (i < 512 ? 514 : 1)) }));
  // a pix2pix folder written the other way round (photo | layout, as CMP Facades is), and one with a noise layout
  const swapped = new Uint8Array(64 * 32 * 3);
  const noise = new Uint8Array(64 * 32 * 3);
  for (let y = 0; y < 32; y++) {
    swapped.set(photo.data.subarray(y * 96, (y + 1) * 96), y * 192);
    swapped.set(layout.data.subarray(y * 96, (y + 1) * 96), y * 192 + 96);
    for (let x = 0; x < 96; x++) noise[y * 192 + x] = (x * 7919 + y * 104729) % 251;
    noise.set(photo.data.subarray(y * 96, (y + 1) * 96), y * 192 + 96);
  }
  await writePng(path.join(d, 'swapped', 'a.png'), { data: swapped, width: 64, height: 32, channels: 3 });
  await writePng(path.join(d, 'noisy', 'a.png'), { data: noise, width: 64, height: 32, channels: 3 });
  fs.writeFileSync(path.join(d, 'afile'), '');
  fs.mkdirSync(path.join(d, 'empty'));
  fs.writeFileSync(path.join(d, 'bad-palette.json'), '[{"name": "a", "color": [1, 2]}]');
  fs.writeFileSync(path.join(d, 'broken.json'), '{');
}

test('every bad input: its status, one line naming the file or option, no stack trace, nothing written', async (t) => {
  const d = tempDir('divsyn-corpus-');
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  makeModelFiles(d);
  await makeData(d);
  const at = (p: string) => path.join(d, p);
  editedModel(d, 'g.onnx', 'huge.onnx', (m) => setMetadata(m, 'divsyn.size', '1048576x1048576'));
  editedModel(d, 'g.onnx', 'gap.onnx', (m) => {
    m.graph!.initializer = m.graph!.initializer!.filter((x) => x.name !== 'param.block0.down.weight');
  });
  const out = at('out'); // never made
  const sample = (model: string) => ['sample', '--model', at(model), '--layouts', 'fixture', '--out', out, '--threads', '1'];
  const evalWith = (option: string, file: string) => ['eval', '--model', at('g.onnx'), '--data', at('three'), option, at(file), '--out', out, '--threads', '1'];
  const trainCrn = (...more: string[]) => ['train', '--model', 'crn', '--data', 'fixture', '--size', '32', '--width', '8', '--steps', '1', '--threads', '1', ...more, '--out', out];
  const trainData = (...data: string[]) => [
    'train',
    '--model',
    'pix2pix',
    '--palette',
    'cmp-facades',
    '--size',
    '32',
    '--width',
    '4',
    '--steps',
    '1',
    '--threads',
    '1',
    '--data',
    ...data,
    '--out',
    out,
  ];
  const cases: Case[] = [
    // model files where a generator belongs
    { name: 'info: train_step.onnx as a generator', args: ['info', at('export/train_step.onnx')], status: 1, says: /train_step\.onnx' is a divsyn training program/ },
    { name: 'info: init.onnx as a generator', args: ['info', at('export/init.onnx')], status: 1, says: /init\.onnx' is a divsyn training program's initial values/ },
    { name: 'info: a segmenter as a generator', args: ['info', at('seg.onnx')], status: 1, says: /seg\.onnx' is a divsyn segmenter/ },
    { name: 'info: a feature network as a generator', args: ['info', at('features.onnx')], status: 1, says: /features\.onnx' is not a divsyn generator/ },
    { name: 'info: a text file', args: ['info', at('notes.txt')], status: 1, says: /notes\.txt' is not an ONNX model/ },
    { name: 'info: a missing file', args: ['info', at('missing.onnx')], status: 1, says: /missing\.onnx' cannot be read \(ENOENT\)/ },
    { name: 'info: a generator of size 1048576', args: ['info', at('huge.onnx')], status: 1, says: /huge\.onnx': divsyn\.size metadata: each side must be at most 4096/ },
    { name: 'info: a generator missing a parameter', args: ['info', at('gap.onnx')], status: 1, says: /gap\.onnx' is not a working pix2pix generator: 1 of its \d+ parameters are missing/ },
    { name: 'sample --model train_step.onnx', args: sample('export/train_step.onnx'), status: 1, says: /train_step\.onnx' is a divsyn training program/ },
    { name: 'sample --model a segmenter', args: sample('seg.onnx'), status: 1, says: /seg\.onnx' is a divsyn segmenter/ },
    {
      name: 'eval --model forward_loss.onnx',
      args: ['eval', '--model', at('export/forward_loss.onnx'), '--data', 'fixture', '--out', out],
      status: 1,
      says: /forward_loss\.onnx' is a divsyn training program/,
    },
    // --segmenter, --features, --init
    { name: 'eval --segmenter a generator', args: evalWith('--segmenter', 'g.onnx'), status: 1, says: /g\.onnx' is a divsyn pix2pix generator, not a segmenter/ },
    { name: 'eval --features a generator', args: evalWith('--features', 'g.onnx'), status: 1, says: /g\.onnx' is a divsyn pix2pix generator \(it takes layouts\), not a feature network/ },
    { name: 'eval --features a two-channel network', args: evalWith('--features', 'two-channel.onnx'), status: 1, says: /two-channel\.onnx' does not take float32 images/ },
    {
      name: 'train crn --features gradients.onnx',
      args: trainCrn('--features', at('export/gradients.onnx')),
      status: 1,
      says: /gradients\.onnx' is a divsyn training program .*not a feature network/,
    },
    { name: 'train crn --segmenter train_step.onnx', args: trainCrn('--segmenter', at('export/train_step.onnx')), status: 1, says: /train_step\.onnx' is a divsyn training program .*not a segmenter/ },
    { name: 'train crn --segmenter a generator', args: trainCrn('--segmenter', at('crn.onnx')), status: 1, says: /crn\.onnx' is a divsyn crn generator, not a segmenter/ },
    // sizes
    {
      name: 'init --size 1048576',
      args: ['init', '--model', 'pix2pix', '--classes', '3', '--size', '1048576', '--out', at('out.onnx')],
      status: 2,
      says: /--size: each side must be at most 4096, got '1048576'/,
    },
    {
      name: 'init --size 48 (pix2pix)',
      args: ['init', '--model', 'pix2pix', '--classes', '3', '--size', '48', '--out', at('out.onnx')],
      status: 2,
      says: /--size: pix2pix needs a square power of two/,
    },
    {
      name: 'init --size 64x8192 (crn)',
      args: ['init', '--model', 'crn', '--classes', '3', '--size', '64x8192', '--out', at('out.onnx')],
      status: 2,
      says: /--size: each side must be at most 4096, got '64x8192'/,
    },
    // datasets
    {
      name: 'train --data a pix2pix root with split folders',
      args: trainData(at('facades')),
      status: 1,
      says: /facades' is a dataset root with the split folders test\/, train\/: give one of them as --data/,
    },
    {
      name: 'train --data a pairs root with split folders',
      args: [...trainData(at('pairs-root')), '--format', 'pairs'],
      status: 1,
      says: /pairs-root' is a dataset root with the split folders train\//,
    },
    { name: 'train --data a missing folder', args: trainData(at('nope')), status: 1, says: /nope' does not exist/ },
    { name: 'train --data an empty folder', args: trainData(at('empty')), status: 1, says: /empty' holds no \.jpg or \.png images/ },
    { name: 'train --data pairs with an unmatched layout', args: [...trainData(at('unmatched')), '--format', 'pairs'], status: 1, says: /layouts\/a\.png' has no photo/ },
    // options and palettes, already handled before this corpus
    {
      name: 'train --palette a missing file',
      args: ['train', '--model', 'pix2pix', '--data', 'fixture', '--palette', at('none.json'), '--size', '32', '--out', out],
      status: 1,
      says: /palette file '.*none\.json' cannot be read/,
    },
    {
      name: 'train --palette invalid JSON',
      args: ['train', '--model', 'pix2pix', '--data', 'fixture', '--palette', at('broken.json'), '--size', '32', '--out', out],
      status: 1,
      says: /palette file '.*broken\.json' is not valid JSON/,
    },
    {
      name: 'train --palette a colour of two values',
      args: ['train', '--model', 'pix2pix', '--data', 'fixture', '--palette', at('bad-palette.json'), '--size', '32', '--out', out],
      status: 1,
      says: /bad-palette\.json': class 0 must be/,
    },
    { name: 'train --direction sideways', args: [...trainData(at('facades/train')), '--direction', 'sideways'], status: 2, says: /--direction/ },
    { name: 'train --format zip', args: [...trainData(at('facades/train')), '--format', 'zip'], status: 2, says: /--format/ },
    { name: 'train without --out', args: ['train', '--model', 'pix2pix', '--data', 'fixture', '--size', '32'], status: 2, says: /--out/ },
    { name: 'train --steps 0', args: ['train', '--model', 'pix2pix', '--data', 'fixture', '--size', '32', '--steps', '0', '--out', out], status: 2, says: /--steps: 0 is below the minimum 1/ },
    { name: 'an unknown option', args: ['info', at('g.onnx'), '--colour'], status: 2, says: /--colour/ },
    // the dataset check before step 1
    {
      name: 'train --data pairs with a truncated photo',
      args: [...trainData(at('truncated')), '--format', 'pairs'],
      status: 1,
      lines: 2,
      says: /1 of 2 items of .*truncated.* cannot be used \(--skip-bad trains without them\)/,
    },
    { name: 'train --data pairs with a 16-bit layout holding 514', args: [...trainData(at('deep')), '--format', 'pairs'], status: 1, lines: 2, says: /1 of 2 items of .*deep.* cannot be used/ },
    { name: 'train --data photos given as layouts (AtoB on BtoA data)', args: trainData(at('swapped')), status: 1, says: /--direction BtoA/ },
    { name: 'train --data a noise layout', args: trainData(at('noisy')), status: 1, lines: 2, says: /1 of 1 items of .*noisy.* cannot be used/ },
    { name: 'train --init a crn file for pix2pix', args: [...trainData('fixture'), '--init', at('crn.onnx')], status: 1, says: /--init.*crn\.onnx.*(another kind of model|crn)/ },
    // output paths
    {
      name: 'train-segmenter --out under a file',
      args: ['train-segmenter', '--data', 'fixture', '--size', '32', '--steps', '1', '--out', at('afile/seg.onnx')],
      status: 1,
      says: /afile' is a file, not a folder/,
    },
    { name: 'init --out under a file', args: ['init', '--model', 'pix2pix', '--classes', '3', '--size', '32', '--out', at('afile/g.onnx')], status: 1, says: /afile' is a file, not a folder/ },
    { name: 'train --out under /proc', args: [...trainData('fixture').slice(0, -2), '--out', '/proc/divsyn-run'], status: 1, says: /under \/proc/ },
    { name: 'an unknown command', args: ['trian'], status: 2, says: /unknown command 'trian'/ },
  ];
  const before = listing(d);
  const results: { c: Case; status: number; stderr: string }[] = [];
  // two at a time: each run starts node and onnxruntime
  for (let i = 0; i < cases.length; i += 2) results.push(...(await Promise.all(cases.slice(i, i + 2).map(async (c) => ({ c, ...(await run(c.args)) })))));
  for (const { c, status, stderr } of results) {
    const lines = stderr.trim().split('\n');
    t.is(status, c.status, `${c.name}: status (${stderr.trim()})`);
    t.is(lines.length, c.lines ?? 1, `${c.name}: lines, got ${JSON.stringify(stderr)}`);
    t.regex(lines[0], /^divsyn: /, c.name);
    t.regex(lines[0], c.says, c.name);
    t.notRegex(stderr, /^\s+at |--verbose for details/m, `${c.name}: no stack trace`);
  }
  t.deepEqual(listing(d), before, 'no case wrote a file');
  t.false(fs.existsSync(out));
  const width = Math.max(...results.map((r) => r.c.name.length));
  t.log(
    ['case'.padEnd(width) + '  exit  message', ...results.map((r) => `${r.c.name.padEnd(width)}  ${String(r.status).padEnd(4)}  ${r.stderr.trim().replaceAll(d, 'TMP').replaceAll('\n', ' / ')}`)].join(
      '\n',
    ),
  );
});

test('--skip-bad trains without the bad items, says how many, records them, and a resume leaves out the same ones', async (t) => {
  const d = tempDir('divsyn-skip-');
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  await makeData(d);
  const run = path.join(d, 'run');
  const args = ['train', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', '32', '--width', '4', '--steps', '2', '--threads', '1', '--data', path.join(d, 'truncated'), '--format', 'pairs'];
  const r = divsyn(...args, '--skip-bad', '--out', run);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /skipping 1 bad item of 2: b/);
  const record = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8')) as { skippedFiles: string[] };
  t.true(
    record.skippedFiles.some((f) => f.endsWith(path.join('truncated', 'photos', 'b.png'))),
    JSON.stringify(record.skippedFiles),
  );
  const more = divsyn('train', '--out', run, '--resume', '--steps', '3');
  t.is(more.status, 0, more.stderr);
  t.notRegex(more.stderr, /cannot be used/);
  t.is(fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8').trim().split('\n').length, 3);
});
