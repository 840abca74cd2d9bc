// bin/divsyn-node and bin/divsyn: Node under divsyn's malloc setting. The tests read what glibc did with a
// 16 MiB block (a heap grown by it, or a mapping of its own) and the environment and command line of the
// process that bin/divsyn leaves running. (That the heap is kept rather than trimmed shows in no probe: V8
// frees a collected array's memory later, on a thread of its own.)
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { divsyn, envWithoutMallocSetting, repoRoot, startStudio, tempDir } from './helpers/cli.js';

const SETTING = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295';

// How much the [heap] mapping grows while a 16 MiB typed array is made and written, and GLIBC_TUNABLES as the process sees it.
const PROBE = `const fs = require('node:fs');
const heap = () => { const m = /^([0-9a-f]+)-([0-9a-f]+) .*\\[heap\\]$/m.exec(fs.readFileSync('/proc/self/maps', 'utf8')); return m ? parseInt(m[2], 16) - parseInt(m[1], 16) : 0; };
const before = heap();
const block = new Float64Array(2 * 2 ** 20).fill(1);
console.log(JSON.stringify({ grew: heap() - before, tunables: process.env.GLIBC_TUNABLES ?? null, length: block.length }));`;

function probe(env: NodeJS.ProcessEnv): { grew: number; tunables: string | null } {
  const r = spawnSync(path.join(repoRoot, 'bin', 'divsyn-node'), ['-e', PROBE], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bin/divsyn-node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { grew: number; tunables: string | null };
}

test('bin/divsyn-node sets the malloc setting, and glibc then takes a 16 MiB block from its heap', (t) => {
  const r = probe(envWithoutMallocSetting());
  t.is(r.tunables, SETTING);
  t.true(r.grew >= 8 * 2 ** 20, `the heap grew by ${r.grew} bytes`);
});

test("bin/divsyn-node leaves a user's malloc setting alone (GLIBC_TUNABLES, even empty, or MALLOC_..._): glibc then maps the block apart", (t) => {
  for (const own of [{ GLIBC_TUNABLES: '' }, { GLIBC_TUNABLES: 'glibc.malloc.perturb=0' }, { MALLOC_MMAP_THRESHOLD_: '8388608' }]) {
    const r = probe({ ...envWithoutMallocSetting(), ...own });
    t.is(r.tunables, own.GLIBC_TUNABLES ?? null);
    t.true(r.grew < 8 * 2 ** 20, `with ${JSON.stringify(own)} the heap grew by ${r.grew} bytes`);
  }
});

test('bin/divsyn is node itself (its pid) running bin/divsyn.js under the malloc setting', async (t) => {
  const dir = tempDir();
  const model = path.join(dir, 'g.onnx');
  const init = divsyn('init', '--model', 'crn', '--classes', '3', '--size', '32', '--width', '4', '--out', model);
  t.is(init.status, 0, init.stderr);
  // through a symbolic link, as npm installs it in node_modules/.bin
  const link = path.join(dir, 'divsyn');
  fs.symlinkSync(path.join(repoRoot, 'bin', 'divsyn'), link);
  const { child, url } = startStudio(model, { command: link, env: envWithoutMallocSetting() });
  try {
    await url;
    const cmdline = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    t.is(path.basename(cmdline[0]), 'node');
    t.is(cmdline[1], fs.realpathSync(path.join(repoRoot, 'bin', 'divsyn.js')));
    t.deepEqual(cmdline.slice(2, 4), ['studio', '--model']);
    // glibc up to 2.38 cuts the value it parsed after each tunable, in place (/proc then shows the first alone); later ones leave it whole
    const environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
    const shown = environ.find((e) => e.startsWith('GLIBC_TUNABLES='));
    t.true(shown === `GLIBC_TUNABLES=${SETTING}` || shown === `GLIBC_TUNABLES=${SETTING.split(':')[0]}`, shown);
  } finally {
    child.kill();
  }
});
