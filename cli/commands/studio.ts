// divsyn studio: flags into api/studio.ts's startStudio(), served until interrupted.
import { startStudio, studioOptions } from '../../api/studio.js';
import { plural } from '../../api/common.js';
import { defineCommand } from '../command.js';

export const studioCommand = defineCommand({
  name: 'studio',
  summary: 'Serve the knob studio on 127.0.0.1: a page with one noise slider per class that runs the model in the browser (onnxruntime-web: WebGPU where offered, else multithreaded WASM).',
  options: studioOptions,
  required: ['model'],
  async run(parsed) {
    const { site, server } = await startStudio(parsed);
    console.log(`divsyn studio: ${site.info.kind} ${site.info.height}x${site.info.width}, ${plural(site.layouts, 'layout')}, at ${server.url}`);
    console.error('(Ctrl-C stops it)');
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
});
