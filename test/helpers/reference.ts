// Where the PyTorch reference lives: ../shared/reference beside the checkout (the yardstick of record),
// else the copy in test/python/reference.
import fs from 'node:fs';
import path from 'node:path';

export function referenceDir(repoRoot: string): string {
  const shared = path.resolve(repoRoot, '..', 'shared', 'reference');
  if (fs.existsSync(path.join(shared, 'pytorch_pix2pix.py'))) return shared;
  return path.join(repoRoot, 'test', 'python', 'reference');
}
