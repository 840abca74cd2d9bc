// Output paths checked before any work (common/output-paths.ts): every refusal is a UserError naming the
// option and the path, and nothing is made on disk by the check.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';
import { checkOutputDir, checkOutputFile } from '../common/output-paths.js';
import { tempDir } from './helpers/cli.js';

function refusal(t: { fail(m: string): void }, f: () => void): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError && !e.message.includes('\n')) return e.message;
    t.fail(`expected a one-line UserError, got ${String(e)}`);
    return '';
  }
  t.fail('expected a refusal');
  return '';
}

test('a file or folder to be made below a file is refused, naming the file in the way', (t) => {
  const d = tempDir('divsyn-out-');
  const afile = path.join(d, 'afile');
  fs.writeFileSync(afile, 'x');
  t.regex(
    refusal(t, () => checkOutputFile(path.join(afile, 'seg.onnx'), '--out')),
    /^--out '.*afile\/seg\.onnx' cannot be made: '.*afile' is a file, not a folder$/,
  );
  t.regex(
    refusal(t, () => checkOutputDir(path.join(afile, 'deep', 'run'))),
    /'.*afile' is a file, not a folder/,
  );
  // a run folder that is a file, and a file that is a folder
  t.regex(
    refusal(t, () => checkOutputDir(afile, '--out')),
    /^--out '.*afile' is a file, not a folder$/,
  );
  t.regex(
    refusal(t, () => checkOutputFile(d, '--out')),
    /is a folder, not a file$/,
  );
  t.deepEqual(fs.readdirSync(d), ['afile'], 'nothing made');
});

test('paths under /proc, /sys and /dev are refused, also through a link', (t) => {
  for (const p of ['/proc/x/seg.onnx', '/sys/run', '/dev/null', '/proc'])
    t.regex(
      refusal(t, () => checkOutputFile(p, '--out')),
      /under \/(proc|sys|dev), which holds no ordinary files/,
      p,
    );
  t.regex(
    refusal(t, () => checkOutputDir('/proc/self/run', '--out')),
    /^--out '\/proc\/self\/run' is under \/proc/,
  );
  const d = tempDir('divsyn-out-');
  fs.symlinkSync('/proc/self', path.join(d, 'link'));
  t.regex(
    refusal(t, () => checkOutputDir(path.join(d, 'link', 'run'), '--out')),
    /leads under \/proc \(through '.*link'\)/,
  );
});

test('writable places pass: a new file in a new folder, an existing file, an existing folder', (t) => {
  const d = tempDir('divsyn-out-');
  t.notThrows(() => checkOutputFile(path.join(d, 'a', 'b', 'seg.onnx')));
  t.notThrows(() => checkOutputDir(path.join(d, 'run')));
  fs.writeFileSync(path.join(d, 'g.onnx'), 'x');
  t.notThrows(() => checkOutputFile(path.join(d, 'g.onnx')));
  t.notThrows(() => checkOutputDir(d));
  t.deepEqual(fs.readdirSync(d), ['g.onnx'], 'the check makes nothing');
});
