// divsyn export-web: flags into api/studio.ts's exportWeb(), and a summary line.
import { exportWeb, exportWebOptions } from '../../api/studio.js';
import { plural } from '../../api/common.js';
import { defineCommand } from '../command.js';

export const exportWebCommand = defineCommand({
  name: 'export-web',
  summary:
    "Write the knob studio as a static site (the page, the model, its layouts and onnxruntime-web's WASM files; nothing from a CDN) for any static host. Without cross-origin isolation headers the page runs on one WASM thread; the site's _headers file sends them on hosts that read it.",
  options: exportWebOptions,
  required: ['model', 'out'],
  async run(parsed) {
    const r = await exportWeb(parsed);
    console.log(`wrote ${plural(r.files, 'file')} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${plural(r.site.layouts, 'layout')}) to ${r.out}: serve it from any static host and open index.html there`);
  },
});
