// make bench: divsyn's pix2pix inference next to the PyTorch reference, in one run (the train step is
// train-torch.ts; this machine is shared and noisy: only side-by-side ratios mean anything). Prints
// figures; never fails on time.
import { CLASSES, THREADS, reference } from './workload.js';
import { printSideBySide, torchSideBySide } from './torch.js';

async function main() {
  console.log(`divsyn bench: ${THREADS} threads, ${CLASSES} classes, PyTorch reference ${reference}`);
  printSideBySide(await torchSideBySide({ size: 256, width: 64, batch: 8, threads: THREADS, rounds: 6, reference }));
}

await main();
