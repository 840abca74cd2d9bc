// The README's commands run as written, in order, in a fresh folder: every `divsyn` line of its code
// blocks (and `make demo`, which runs divsyn demo), at tiny sizes so that the whole walk takes about a minute.
// A line ending in `&` runs in the background until the walk is over (the queue's workers); redis:// URLs
// point at a real redis-server the test starts.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fixtureItem } from '../fixtures/facades.js';
import { cmpFacades } from '../common/palettes.js';
import { indicesToColors, writePng } from '../common/image.js';
import { repoRoot, tempDir } from './helpers/cli.js';
import { RedisServer, startRedis } from './helpers/redis.js';

/** The command lines of the README's code blocks (indented or fenced), continuations joined, comments cut. */
export function readmeCommands(text: string): string[][] {
  const lines = text.split('\n');
  const out: string[][] = [];
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('```')) fenced = !fenced;
    const inBlock = fenced || lines[i].startsWith('    ');
    let line = lines[i].trim();
    if (!inBlock || !/^(bin\/divsyn|divsyn|make demo)\b/.test(line)) continue;
    while (line.endsWith('\\')) line = line.slice(0, -1) + ' ' + lines[++i].trim();
    out.push(
      line
        .replace(/\s#.*$/, '')
        .trim()
        .split(/\s+/),
    );
  }
  return out;
}

/** Values that keep each run tiny; the options themselves stay as the README writes them. */
const TINY: Record<string, string> = {
  '--width': '4',
  '--steps': '2',
  '--count': '2',
  '--images': '2',
  '--neighbours': '1',
  '--noise-search': '2',
  '--beta-ramp': '1',
  '--warmup': '1',
  '--colour-clusters': '2',
};
/** A reproduction (the README runs it at its defaults) at the smallest sizes, each paper's own options added. */
const TINY_REPRODUCTION: Record<string, Record<string, string>> = {
  common: { '--size': '32', '--width': '4', '--steps': '2', '--segmenter-steps': '2', '--segmenter-width': '4', '--samples': '2', '--limit': '2', '--threads': '1' },
  'yang-facades': { '--sweep-beta': 'none', '--sweep-lambda': 'none' },
  'he-latent': { '--branches': '2', '--neighbours': '1' },
};
const THREADED = new Set(['demo', 'train', 'sample', 'eval', 'train-segmenter', 'export']);

function tiny(words: string[]): string[] {
  const args = words[0] === 'make' ? ['demo', '--out', 'out/demo'] : words.slice(1);
  const shrunk = args.map((a, i) => (i > 0 && TINY[args[i - 1]] !== undefined ? TINY[args[i - 1]] : a));
  if ((args[0] === 'demo' || args[0] === 'train-segmenter') && !args.includes('--steps')) shrunk.push('--steps', '2');
  if (THREADED.has(args[0]) && !args.includes('--threads')) shrunk.push('--threads', '1');
  if (args[0] === 'reproduce') for (const [option, value] of Object.entries({ ...TINY_REPRODUCTION.common, ...TINY_REPRODUCTION[args[1]] })) if (!args.includes(option)) shrunk.push(option, value);
  return shrunk;
}

test("the README's commands run as written, in order, from a fresh folder", async (t) => {
  const commands = readmeCommands(fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));
  t.true(commands.length >= 15, `found ${commands.length} commands`);
  const dir = tempDir();
  // the README's label map of one's own
  const item = fixtureItem('test', 0, 64);
  await writePng(path.join(dir, 'my_layout.png'), { data: indicesToColors(item.layout, cmpFacades()), width: 64, height: 64, channels: 3 });
  const redis: RedisServer | undefined = commands.some((w) => w.includes('--redis')) ? await startRedis() : undefined;
  const background: { words: string[]; child: ChildProcess; done: Promise<{ status: number | null; stderr: string }> }[] = [];
  try {
    for (const line of commands) {
      const inBackground = line.at(-1) === '&';
      const words = inBackground ? line.slice(0, -1) : line;
      const args = tiny(words).map((a, i, all) => (all[i - 1] === '--redis' ? redis!.url : a));
      if (inBackground) {
        const child = spawn(path.join(repoRoot, 'bin', 'divsyn'), args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        background.push({ words, child, done: new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr }))) });
        continue;
      }
      const r = spawnSync(path.join(repoRoot, 'bin', 'divsyn'), args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      t.is(r.status, 0, `${words.join(' ')}\n  ran as: divsyn ${args.join(' ')}\n${r.stderr}`);
      if (r.status !== 0) return;
    }
    // the background commands (workers) ran until now and stop on SIGTERM, as a scheduler stops them
    for (const b of background) b.child.kill('SIGTERM');
    for (const b of background) {
      const r = await b.done;
      t.is(r.status, 143, `${b.words.join(' ')} &\n${r.stderr}`);
    }
  } finally {
    for (const b of background) b.child.kill('SIGKILL');
    await redis?.stop();
  }
  for (const f of [
    'out/demo/generator.onnx',
    'out/baseline/generator.onnx',
    'report/report.html',
    'runs/latent/generator.onnx',
    'prog/train_step.onnx',
    's2/samples.jsonl',
    'many/samples.jsonl',
    'merged/samples.jsonl',
  ])
    t.true(fs.existsSync(path.join(dir, f)), f);
});

/** The JavaScript blocks of the README's library section, at tiny sizes (the options as written otherwise). */
function libraryExamples(text: string): string[] {
  const section = text.slice(text.indexOf('## Using divsyn as a library'), text.indexOf('## Commands'));
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) =>
    m[1]
      .replace(/size: '64'/g, "size: '32'")
      .replace(/width: \d+/g, 'width: 4')
      .replace(/steps: \d+/g, 'steps: 2')
      .replace(/threads: \d+/g, 'threads: 1'),
  );
}

test("the README's library examples run as written against the package's exports", async (t) => {
  const examples = libraryExamples(fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));
  t.is(examples.length, 2);
  const dir = tempDir();
  const item = fixtureItem('test', 0, 64);
  await writePng(path.join(dir, 'my_layout.png'), { data: indicesToColors(item.layout, cmpFacades()), width: 64, height: 64, channels: 3 });
  const init = spawnSync(path.join(repoRoot, 'bin', 'divsyn'), ['init', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', '64', '--width', '4', '--out', 'g.onnx'], {
    cwd: dir,
    encoding: 'utf8',
  });
  t.is(init.status, 0, init.stderr);
  for (const [i, code] of examples.entries()) {
    // inside the package, so that `import … from 'divsyn'` resolves to it (a package may import itself by name)
    const script = path.join(repoRoot, 'dist', 'test', `readme-example-${i}-${process.pid}.mjs`);
    fs.writeFileSync(script, code);
    try {
      const r = spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
      t.is(r.status, 0, `example ${i + 1}:\n${code}\n${r.stderr}`);
      t.notRegex(r.stderr, /\w+: .*(error|Error)/, r.stderr);
    } finally {
      fs.rmSync(script, { force: true });
    }
  }
  for (const f of ['my_layout_0.png', 'my_layout_3.png', 'run/generator.onnx', 'report/report.json']) t.true(fs.existsSync(path.join(dir, f)), f);
});
