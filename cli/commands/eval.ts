// divsyn eval: flags into api/evaluate.ts's evaluate(), with a progress bar; prints where the report is and each model's headline figures.
import path from 'node:path';
import { evalOptions, evaluate } from '../../api/evaluate.js';
import { need } from '../../api/options.js';
import { defineCommand } from '../command.js';
import { progressCallback } from '../progress.js';

export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'Compare generators: realism (segmentation), accuracy (RMSE, SSIM, FSIM) and diversity; report.json and report.html.',
  options: evalOptions,
  required: ['model', 'data', 'out'],
  async run(parsed) {
    const report = await evaluate(parsed, {
      onLog: (m) => console.error(m),
      onProgress: progressCallback('layouts'),
    });
    console.log(
      JSON.stringify({
        report: path.resolve(need(parsed.values, 'out'), 'report.html'),
        models: report.models.map((m) => ({ model: m.model, diversity: m.diversity.diversity, ssim_best: m.accuracy.ssim.best, pixel_accuracy: m.realism?.pixelAccuracy })),
      }),
    );
  },
});
