// divsyn worker: api/worker.ts's worker() until a signal, which lets the job in hand finish.
import { worker, workerOptions } from '../../api/worker.js';
import { plural } from '../../api/common.js';
import { InterruptedRun } from '../../common/errors.js';
import { defineCommand } from '../command.js';
import { catchInterrupt } from '../interrupt.js';

export const workerCommand = defineCommand({
  name: 'worker',
  summary: 'Run the jobs of divsyn sample --redis URL --queue NAME runs, on any number of machines that see the model and output folder.',
  options: workerOptions,
  required: ['redis', 'queue'],
  notes: ['runs until Ctrl-C or SIGTERM, which let the job in hand finish, or with --exit-when-empty until the queue stays empty; a worker killed outright has its job rerun by another'],
  async run(parsed) {
    const interrupt = catchInterrupt('finishing the job in hand');
    try {
      const r = await worker(parsed, {
        signal: interrupt.signal,
        onLog: (m) => console.error(m),
        onJob: (j) => console.error(`job ${j.id}: ${plural(j.images, 'image')} in ${j.seconds.toFixed(1)} s${j.attempt > 1 ? ` (attempt ${j.attempt})` : ''}`),
      });
      console.error(`worker stopped${r.empty ? ' (the queue stayed empty)' : ''} after ${plural(r.jobs, 'job')}, ${plural(r.images, 'image')}`);
    } finally {
      interrupt.dispose();
    }
    if (interrupt.requested) throw new InterruptedRun();
  },
});
