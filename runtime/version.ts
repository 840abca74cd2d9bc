// divsyn's version, as package.json states it: printed by --version and written into every file divsyn makes.
import fs from 'node:fs';

// this module runs as dist/runtime/version.js, two folders below the package root
const packageJson = new URL('../../package.json', import.meta.url);

export const VERSION: string = (JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version: string }).version;
