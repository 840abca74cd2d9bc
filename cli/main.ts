// The divsyn command line: dispatch, --help/--version, and exit statuses (0 ok, 2 usage, 1 later failure).
import { UserError, usageError } from '../common/errors.js';
import { VERSION } from '../runtime/version.js';
import { formatHelp, parseOptions, usageLine } from './options.js';
import { Command } from './command.js';
import { exportTrainingCommand } from './commands/export-training.js';
import { infoCommand } from './commands/info.js';
import { initCommand } from './commands/init.js';
import { trainCommand } from './commands/train.js';
import { demoCommand } from './commands/demo.js';
import { sampleCommand } from './commands/sample.js';
import { compareCommand } from './commands/compare.js';
import { evalCommand } from './commands/eval.js';
import { trainSegmenterCommand } from './commands/train-segmenter.js';
import { studioCommand } from './commands/studio.js';
import { exportWebCommand } from './commands/export-web.js';
import { exportCommand } from './commands/export.js';
import { mergeCommand } from './commands/merge.js';
import { workerCommand } from './commands/worker.js';
import { reproduceCommand } from './commands/reproduce.js';

export const commands: Command[] = [
  demoCommand,
  trainCommand,
  sampleCommand,
  initCommand,
  infoCommand,
  exportTrainingCommand,
  exportCommand,
  evalCommand,
  trainSegmenterCommand,
  reproduceCommand,
  compareCommand,
  studioCommand,
  exportWebCommand,
  mergeCommand,
  workerCommand,
];

function mainHelp(): string {
  return [
    'usage: divsyn COMMAND [options]   (divsyn COMMAND --help for its options)',
    '',
    'Diverse image synthesis from semantic layouts, trained and shipped as plain ONNX graphs.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(17)}${c.summary}`),
    '',
    'options: --help, --version, --verbose (stack traces on errors)',
  ].join('\n');
}

export function commandHelp(cmd: Command): string {
  return formatHelp(usageLine(cmd.name, cmd.options, cmd.required ?? [], cmd.positional), cmd.summary, cmd.options, cmd.notes);
}

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  try {
    // `divsyn help CMD` is `divsyn CMD --help`
    if (args[0] === 'help' && args.length > 1) return await main([args[1], '--help']);
    if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
      console.log(mainHelp());
      return args.length === 0 ? 2 : 0;
    }
    if (args[0] === '--version') {
      console.log(`divsyn ${VERSION}`);
      return 0;
    }
    const cmd = commands.find((c) => c.name === args[0]);
    if (!cmd) throw usageError(`unknown command '${args[0]}' (commands: ${commands.map((c) => c.name).join(', ')})`);
    const rest = args.slice(1);
    const beforeEnd = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (beforeEnd.includes('--help') || beforeEnd.includes('-h')) {
      console.log(commandHelp(cmd));
      return 0;
    }
    await cmd.run(parseOptions(rest, cmd.options, cmd.positional));
    return 0;
  } catch (e) {
    if (e instanceof UserError) {
      if (e.exitCode === 130) return 130; // interrupted after a checkpoint: already reported
      console.error(`divsyn: ${e.message}`);
      if (verbose) console.error(e.stack);
      return e.exitCode;
    }
    console.error(`divsyn: ${(e as Error).message ?? e}`);
    if (verbose) console.error((e as Error).stack);
    else console.error('(run with --verbose for details)');
    return 1;
  }
}
