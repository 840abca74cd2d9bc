// The installable package: `npm pack` of a clean copy of the tree (no dist/: prepack builds it) gives a
// tarball of the built code, its .d.ts, the bin, docs and examples, without tests or sources; installed
// into an empty folder (ONNXRUNTIME_NODE_INSTALL=skip; dependencies from npm's cache, else the
// registry), `npx divsyn` runs, and an ESM program importing `divsyn` and `divsyn/web` type-checks with
// tsc against the shipped .d.ts (lib check on) and runs.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { envWithoutMallocSetting, repoRoot, tempDir } from './helpers/cli.js';

const env: NodeJS.ProcessEnv = { ...envWithoutMallocSetting(), ONNXRUNTIME_NODE_INSTALL: 'skip' };

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${cwd} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The working tree as git sees it (tracked and untracked, not ignored), without dist/, and the repository's node_modules. */
function cleanCopy(dir: string): string {
  const src = path.join(dir, 'src');
  const listed = run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], repoRoot).split('\0');
  for (const file of listed.filter((f) => f && fs.existsSync(path.join(repoRoot, f)))) {
    fs.mkdirSync(path.dirname(path.join(src, file)), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, file), path.join(src, file));
  }
  fs.symlinkSync(fs.realpathSync(path.join(repoRoot, 'node_modules')), path.join(src, 'node_modules'));
  // what a developer's build leaves in dist/ besides the shipped code: `files` must keep it out
  for (const stale of ['dist/test/stale.test.js', 'dist/bench/stale.js']) {
    fs.mkdirSync(path.dirname(path.join(src, stale)), { recursive: true });
    fs.writeFileSync(path.join(src, stale), '');
  }
  return src;
}

const CHECK_TS = `import fs from 'node:fs';
import ort from 'onnxruntime-node';
import { openGenerator, readGeneratorInfo, type GeneratorInfo, type Sample } from 'divsyn';
import { createSampler } from 'divsyn/web';

const bytes = fs.readFileSync(process.argv[2]);
const info: GeneratorInfo = readGeneratorInfo(bytes, process.argv[2]);
// never called: the types say the reader takes bytes (were they missing or any, the directive would be an error)
// @ts-expect-error: a number is not bytes
export const wrongUse = () => readGeneratorInfo(42);
const generator = await openGenerator(process.argv[2], { threads: 1 });
const layout = await generator.layout(new Uint8Array(info.height * info.width).map((_, i) => i % info.classes.length));
const a: Sample[] = await generator.sample(layout, { seed: 1, count: 2 });
const web = await createSampler(bytes, ort);
const b = await web.sample(layout.onehot, { seed: 1, stem: layout.stem, count: 2 });
await Promise.all([generator.release(), web.release()]);
const hw = info.height * info.width;
// levels apart: the API's 8-bit images against the web entry's floats
let same = 0;
for (const [k, s] of a.entries()) for (let p = 0; p < hw; p++) for (let c = 0; c < 3; c++) same = Math.max(same, Math.abs(s.image.data[3 * p + c] - Math.round(b.images[(3 * k + c) * hw + p] * 255)));
const samples = a[0].image.data.reduce((m, v, i) => Math.max(m, Math.abs(v - a[1].image.data[i])), 0);
console.log(JSON.stringify({ kind: generator.kind, inputs: generator.inputs.map((v) => v.name), images: a.length, same, samples, record: a[1].record }));
`;

test('npm pack gives an installable package: npx divsyn runs, and an ESM import type-checks against its .d.ts and runs', (t) => {
  const dir = tempDir('divsyn-pack-');
  try {
    const src = cleanCopy(dir);
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], src)) as { filename: string; files: { path: string }[] }[];
    const paths = packed.files.map((f) => f.path);
    for (const shipped of [
      'bin/divsyn',
      'bin/divsyn-node',
      'bin/divsyn.js',
      'dist/cli/main.js',
      'dist/runtime/pool-worker.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/web/index.js',
      'dist/web/index.d.ts',
      'docs/formats.md',
      'examples/sample.py',
      'README.md',
    ])
      t.true(paths.includes(shipped), shipped);
    t.deepEqual(
      paths.filter((p) => /^(test|bench|dist\/test|dist\/bench|dist\/examples)\/|\.map$|(?<!\.d)\.ts$/.test(p) && !p.startsWith('examples/')),
      [],
    );

    const app = path.join(dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, packed.filename)], app);
    t.regex(run('npx', ['divsyn', '--help'], app), /usage: divsyn COMMAND/);
    t.is(run('npx', ['divsyn-node', '-p', 'process.env.GLIBC_TUNABLES'], app).trim(), 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295');
    run('npx', ['divsyn', 'init', '--model', 'crn', '--classes', '3', '--size', '32', '--width', '4', '--out', 'g.onnx'], app);

    fs.writeFileSync(path.join(app, 'check.ts'), CHECK_TS);
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false }, files: ['check.ts'] }));
    run(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
    const result = JSON.parse(run(process.execPath, ['check.js', 'g.onnx'], app));
    t.is(result.kind, 'crn');
    t.deepEqual(result.inputs, ['layout', 'noise']);
    t.is(result.images, 2);
    t.true(result.same <= 1, `openGenerator and divsyn/web's createSampler on onnxruntime-node differ by ${result.same} levels`);
    t.true(result.samples > 0, 'the two samples differ');
    t.deepEqual(Object.keys(result.record.noise), ['class0', 'class1', 'class2']);
    t.like(result.record, { stem: 'layout', seed: 1, k: 1 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
