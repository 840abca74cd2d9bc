// Runs bin/divsyn as a user would, capturing status and output.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function divsyn(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(path.join(repoRoot, 'bin', 'divsyn'), args, { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'divsyn-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
