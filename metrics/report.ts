// The evaluation report: report.json and report.html with the tables (realism as Yang et al.'s Table II,
// accuracy and diversity), sample grids, gradation strips and the accuracy-diversity scatter as images.
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../common/files.js';
import { ModelReport } from './evaluate.js';
import { scatterSvg } from './plot.js';
import { SegmentationScore } from './segmenter.js';

export interface Report {
  data: string;
  layouts: number;
  samples_per_layout: number;
  seed: number;
  segmenter?: string;
  features?: string;
  real?: SegmentationScore;
  models: ModelReport[];
}

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const f3 = (x: number | undefined | null) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(3));

/** An HTML table; the first cell of each row is a name (escaped here), the others HTML as given. */
export function table(head: string[], rows: string[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<td class="name">${esc(c)}</td>` : `<td>${c}</td>`)).join('')}</tr>`).join('')}</table>`;
}

/** Short names that tell models apart: the shortest path tails that differ (run/generator.onnx). */
export function modelLabels(paths: string[]): string[] {
  const parts = paths.map((p) => path.resolve(p).split(path.sep));
  for (let k = 1; ; k++) {
    const labels = parts.map((ps) => ps.slice(-k).join('/'));
    if (new Set(labels).size === labels.length || parts.every((ps) => ps.length <= k)) return labels;
  }
}

/** An SVG plot rasterised to a PNG file. */
export async function writePlot(file: string, svg: string): Promise<void> {
  writeFileAtomic(file, await sharp(Buffer.from(svg)).png().toBuffer());
}

export async function writeScatter(file: string, report: Report): Promise<void> {
  const svg = scatterSvg(
    modelLabels(report.models.map((m) => m.model)).map((label, i) => ({ label, x: report.models[i].diversity.diversity, y: report.models[i].accuracy.ssim.best })),
    'diversity (mean pairwise L1 between samples)',
    `SSIM, best of ${report.samples_per_layout}`,
    'accuracy against diversity',
  );
  await writePlot(file, svg);
}

export const STYLE =
  'body{font-family:sans-serif;margin:2em;max-width:1100px} table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #bbb;padding:4px 10px;text-align:right} td.name{text-align:left} img{image-rendering:pixelated;max-width:100%} .note{color:#555}';

/** images: per model, the file names of its sample grid and gradation strip (relative to the report). */
export function writeReport(dir: string, report: Report, images: { grids: string[]; sweeps: string[]; scatter: string }): void {
  writeFileAtomic(path.join(dir, 'report.json'), JSON.stringify(report, null, 1) + '\n');
  const names = modelLabels(report.models.map((m) => m.model));
  const realismRows = report.models.map((m, i) => [names[i], f3(m.realism?.pixelAccuracy), f3(m.realism?.meanIoU)]);
  if (report.real) realismRows.push(['real photos', f3(report.real.pixelAccuracy), f3(report.real.meanIoU)]);
  const acc = report.models.map((m, i) => [names[i], ...(['rmse', 'ssim', 'fsim', 'fsimc'] as const).flatMap((k) => [f3(m.accuracy[k].best), f3(m.accuracy[k].mean)])]);
  const div = report.models.map((m, i) => [
    names[i],
    f3(m.diversity.diversity),
    f3(m.diversity.linking),
    f3(m.diversity.l1_truth),
    f3(m.diversity.feature_distance),
    f3(m.diversity.feature_std),
    f3(m.diversity.distance_to_mean.mean),
    f3(m.diversity.distance_to_mean.max),
  ]);
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>divsyn evaluation</title>
<style>${STYLE}</style>
</head><body>
<h1>divsyn evaluation</h1>
<p class="note">${esc(report.data)}: ${report.layouts} layouts, ${report.samples_per_layout} samples each (seed ${report.seed}).</p>
<h2>Realism by segmentation (Yang et al., Table II)</h2>
${report.segmenter ? `<p class="note">segmenter ${esc(report.segmenter)} on every sample; pixel accuracy per image averaged over images, IoU from the pooled confusion matrix averaged over the classes present in truth or prediction.</p>${table(['model', 'pixel accuracy', 'mean IoU'], realismRows)}` : '<p class="note">no --segmenter given.</p>'}
<h2>Accuracy against the true photo (best / mean of ${report.samples_per_layout})</h2>
${table(['model', 'RMSE best', 'RMSE mean', 'SSIM best', 'SSIM mean', 'FSIM best', 'FSIM mean', 'FSIMc best', 'FSIMc mean'], acc)}
<h2>Diversity</h2>
${table(['model', 'diversity', 'linking', 'l1_truth', 'feature distance', 'feature std', 'to mean (mean)', 'to mean (max)'], div)}
<p class="note">diversity: mean pairwise L1 between samples; linking: change inside a class over change outside when its noise moves; feature distance and std over the samples' features${report.features ? ` (${esc(report.features)})` : ' (no --features given)'}; distance to the mean image as RMS over pixel values.</p>
<h2>Accuracy against diversity</h2>
<img src="${images.scatter}" alt="scatter">
${report.models.map((m, i) => `<h2>${esc(names[i])}</h2><p class="note">rows: layouts; columns: layout, true photo, samples</p><img src="${images.grids[i]}" alt="samples">${images.sweeps[i] ? `<p class="note">gradation: one class's noise from -1 to 1, the others 0</p><img src="${images.sweeps[i]}" alt="sweep">` : '<p class="note">no per-class noise: no gradation strip</p>'}`).join('\n')}
</body></html>
`;
  writeFileAtomic(path.join(dir, 'report.html'), html);
}
