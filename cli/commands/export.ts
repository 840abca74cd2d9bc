// divsyn export: flags into api/export.ts's exportGenerator(); prints the file and its quality against fp32.
import { ExportReport, exportGenerator, exportOptions } from '../../api/export.js';
import { defineCommand } from '../command.js';

const dB = (v: number | undefined) => (v === undefined ? 'n/a' : Number.isFinite(v) ? `${v.toFixed(2)} dB` : 'identical');
const num = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(4));

function reportLines(r: ExportReport): string[] {
  const lines = [
    `wrote ${r.file}: ${r.precision}, ${(r.bytes.exported / 1e6).toFixed(2)} MB (fp32 ${(r.bytes.fp32 / 1e6).toFixed(2)} MB)`,
    `PSNR against fp32: calibration layouts ${dB(r.psnr.calibration)}, held-apart layouts ${dB(r.psnr.heldApart)} (${r.psnr.heldApartLayouts})`,
  ];
  if (r.measures) {
    const { fp32, exported, layouts } = r.measures;
    lines.push(
      `on ${layouts} held-apart layouts:  fp32 diversity ${num(fp32.diversity)} linking ${num(fp32.linking)}   ${r.precision} diversity ${num(exported.diversity)} linking ${num(exported.linking)}`,
    );
  }
  return lines;
}

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'Write an fp16 or int8 file of an fp32 generator (same inputs, outputs and metadata) and print its PSNR, diversity and linking against the fp32 file.',
  options: exportOptions,
  required: ['model', 'precision', 'out'],
  notes: [
    'int8: per-channel s8 weights and u8 activations in standard QuantizeLinear/DequantizeLinear form, ranges calibrated by running the fp32 file on --calibrate with seeded noise or codes.',
    'fp16: for GPUs and WebGPU; on a CPU it runs correctly but not faster.',
  ],
  async run(parsed) {
    const r = await exportGenerator(parsed, { onLog: (m) => console.error(m) });
    console.log(reportLines(r).join('\n'));
  },
});
