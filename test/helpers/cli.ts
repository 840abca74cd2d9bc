// Runs bin/divsyn as a user would, capturing status and output.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function divsyn(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(path.join(repoRoot, 'bin', 'divsyn'), args, { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** This process's environment without a malloc setting of the caller's, so that bin/divsyn-node sets its own. */
export function envWithoutMallocSetting(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'GLIBC_TUNABLES' && !/^MALLOC_[A-Z_]*_$/.test(k)));
}

// Every folder tempDir makes is removed when the test process exits (AVA runs each test file in its own
// process), so a suite run leaves nothing in the temporary folder, whichever test made it.
const tempDirs: string[] = [];
process.once('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder under the system's temporary folder, removed when this process exits. */
export function tempDir(prefix = 'divsyn-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** bin/divsyn in a child process, without blocking (tests run side by side): its status, or the signal that ended it. */
export function divsynAsync(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot, 'bin', 'divsyn'), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/**
 * `divsyn studio --model model --port 0` in a child process, as a user starts it (through `command`, a path
 * to bin/divsyn or a link to it): the child, and the address it prints.
 */
export function startStudio(model: string, o: { command?: string; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(o.command ?? path.join(repoRoot, 'bin', 'divsyn'), ['studio', '--model', model, '--port', '0'], { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`divsyn studio exited (${code}): ${out}`)));
  });
  return { child, url };
}

/** The start of a tiny training's command line: a model (pix2pix) on the fixture at 32 px, one thread. */
export const tinyTrainArgs = (width = 4, model = 'pix2pix') => ['train', '--model', model, '--data', 'fixture', '--size', '32', '--width', String(width), '--threads', '1'];
