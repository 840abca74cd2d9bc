// divsyn command line (built into dist/ by `make build`), run by bin/divsyn under bin/divsyn-node.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.join(root, 'dist', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error('divsyn: not built yet; run `make build` (or `make demo` / `make test`) in ' + root);
  process.exit(1);
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
