// examples/ as a user runs them: the Node script samples a grid through the package's exports that is
// `divsyn sample --grid`'s grid with the same noise; the Python script's metadata half (Debian's
// python3-onnx; onnxruntime for Python is not available here) describes every kind as the reader does,
// and builds the inputs as they are described, from index and colour label maps alike.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { readGeneratorInfo } from '../common/generator-info.js';
import { indicesToColors, writePng } from '../common/image.js';
import { cmpFacades } from '../common/palettes.js';
import { fixtureLayout } from '../fixtures/facades.js';
import { writeIndexPng } from '../train/labels.js';
import { divsyn, repoRoot, tempDir } from './helpers/cli.js';
import { initGenerators } from './helpers/generators.js';

const S = 32;
const dir = tempDir();
const files = initGenerators(dir);
const indices = fixtureLayout('test', 0, S);
const layouts = path.join(dir, 'layouts');
fs.mkdirSync(layouts);
const indexPng = path.join(layouts, 'facade.png');
const colourPng = path.join(dir, 'colour.png');
const written = Promise.all([writeIndexPng(indexPng, indices, S, S, cmpFacades()), writePng(colourPng, { data: indicesToColors(indices, cmpFacades()), width: S, height: S, channels: 3 })]);

const run = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
const pixels = async (file: string) => sharp(file).raw().toBuffer({ resolveWithObject: true });

for (const name of ['crn', 'latent --with-noise']) {
  test(`${name}: examples/sample-grid.ts samples divsyn sample's grid, and prints the noise and code fed`, async (t) => {
    await written;
    const out = path.join(dir, `${name.replace(/\W+/g, '-')}-grid.png`);
    const example = run(process.execPath, [path.join(repoRoot, 'dist', 'examples', 'sample-grid.js'), files[name], indexPng, out, '6', '5']);
    t.is(example.status, 0, example.stderr);
    const sampled = path.join(dir, `${name.replace(/\W+/g, '-')}-sample`);
    const r = divsyn('sample', '--model', files[name], '--layouts', layouts, '--out', sampled, '--count', '6', '--seed', '5', '--grid', '--grid-columns', '4', '--threads', '1');
    t.is(r.status, 0, r.stderr);

    const [mine, theirs] = await Promise.all([pixels(out), pixels(path.join(sampled, 'facade_grid.png'))]);
    t.deepEqual([mine.info.width, mine.info.height], [theirs.info.width, theirs.info.height]);
    let worst = 0;
    for (let i = 0; i < mine.data.length; i++) worst = Math.max(worst, Math.abs(mine.data[i] - theirs.data[i]));
    t.true(worst <= 1, `pixels differ by up to ${worst}`);

    const lines = example.stdout.trim().split('\n');
    t.regex(lines.pop() ?? '', /wrote .*-grid\.png: 6 samples of \w+ 32x32/);
    const records = fs
      .readFileSync(path.join(sampled, 'samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    t.deepEqual(
      lines.map((l) => JSON.parse(l)),
      records.map((r) => ({ stem: 'facade', seed: 5, k: r.k, noise: r.noise, ...(r.code ? { code: r.code } : {}) })),
    );
  });
}

test("examples/sample.py --info: every kind's description, from onnx's metadata, is the reader's (less architecture)", (t) => {
  for (const [name, file] of Object.entries(files)) {
    const r = run('/usr/bin/python3', [path.join(repoRoot, 'examples', 'sample.py'), file, '--info']);
    t.is(r.status, 0, r.stderr);
    const { architecture, ...rest } = readGeneratorInfo(fs.readFileSync(file), file);
    t.truthy(architecture);
    t.deepEqual(JSON.parse(r.stdout), rest, name);
  }
});

test('examples/sample.py --dry-run: the inputs as described, the layout from index and colour maps as divsyn reads it', async (t) => {
  await written;
  const counts = Array.from({ length: 12 }, (_, c) => indices.filter((v) => v === c).length);
  for (const [name, layout] of [
    ['latent --with-noise', indexPng],
    ['crn-multi', colourPng],
  ]) {
    const r = run('/usr/bin/python3', [path.join(repoRoot, 'examples', 'sample.py'), files[name], '--layout', layout, '--count', '5', '--dry-run']);
    t.is(r.status, 0, r.stderr);
    const feeds = JSON.parse(r.stdout);
    const info = readGeneratorInfo(fs.readFileSync(files[name]));
    t.deepEqual(
      Object.keys(feeds),
      info.inputs.map((v) => v.name),
      name,
    );
    for (const v of info.inputs) {
      t.deepEqual(
        feeds[v.name].shape,
        v.shape.map((d) => (d === 'N' ? 5 : d)),
      );
      t.true(feeds[v.name].min >= v.range![0] && feeds[v.name].max <= v.range![1], `${name} ${v.name} within ${v.range}`);
    }
    t.deepEqual(feeds.layout.class_pixels, counts, `${name}: ${layout}`);
  }
});

test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
