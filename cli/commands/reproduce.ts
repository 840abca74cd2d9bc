// divsyn reproduce PAPER: flags into api/reproduce.ts's reproduce(), with each stage's progress on stderr,
// Ctrl-C (or SIGTERM, SIGHUP) stopping the stage at its next safe point; prints the report's table.
import { InterruptedRun } from '../../common/errors.js';
import { checkValue } from '../../api/options.js';
import { reproduce, reproduceOptions } from '../../api/reproduce.js';
import { defineCommand } from '../command.js';
import { Progress } from '../progress.js';
import { catchInterrupt } from '../interrupt.js';

// the paper is the command's argument
const { paper, ...flags } = reproduceOptions;

export const reproduceCommand = defineCommand({
  name: 'reproduce',
  summary: "Reproduce a paper's table (yang-facades, he-latent) in DIR, resumably: DIR/report.html, report.json.",
  options: flags,
  required: ['data', 'out'],
  positional: { min: 1, max: 1, names: 'yang-facades|he-latent' },
  notes: ['Run the same command again to continue a reproduction that stopped (Ctrl-C, kill -9): finished stages are kept, a training continues from its checkpoint.'],
  async run(parsed) {
    const values = { ...parsed.values, paper: checkValue('paper', paper, parsed.positional[0]) as (typeof paper.choices)[number] };
    const interrupt = catchInterrupt('stopping at the next checkpoint');
    let bar: Progress | undefined;
    try {
      const r = await reproduce(
        { values, given: new Set([...parsed.given, 'paper' as const]), positional: [] },
        {
          signal: interrupt.signal,
          onLog: (m) => console.error(m),
          onStage: ({ name, index, count, status, seconds }) => {
            bar = undefined;
            const at = `[${index + 1}/${count}] ${name}`;
            if (status === 'skipped') console.error(`${at}: done earlier (${seconds?.toFixed(0)} s)`);
            else if (status === 'done') console.error(`${at}: done in ${seconds?.toFixed(0)} s`);
            else console.error(`${at}: ${status === 'resumed' ? 'continuing' : 'starting'}`);
          },
          onSteps: (stage, step, total) => {
            bar ??= new Progress(stage, total, step - 1);
            bar.update(step);
          },
        },
      );
      if (r.stopped) {
        console.error(`stopped in stage ${r.stage}; run the same command again to continue`);
        process.exitCode = 130;
        throw new InterruptedRun();
      }
      console.log(JSON.stringify({ report: r.html, table: r.report!.table }));
    } finally {
      interrupt.dispose();
    }
  },
});
