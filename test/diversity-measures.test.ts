// He et al.'s diversity measures on hand-computed cases.
import test from 'ava';
import { distanceToMean, meanFeatureStd, meanPairwiseL2 } from '../metrics/diversity.js';

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;

test('mean pairwise L2 of three 2-D points', (t) => {
  // (0,0), (3,4), (0,4): distances 5, 4, 3
  t.true(close(meanPairwiseL2(Float32Array.of(0, 0, 3, 4, 0, 4), 3), 4));
});

test('feature std: per component over samples, averaged', (t) => {
  // component 0: 1, 3 -> std 1; component 1: 5, 5 -> 0
  t.true(close(meanFeatureStd(Float32Array.of(1, 5, 3, 5), 2), 0.5));
  t.is(meanFeatureStd(Float32Array.of(2, 2, 2, 2), 2), 0, 'identical samples: no diversity');
});

test('distance to the mean image: RMS over values, mean and max over samples', (t) => {
  // samples (0,0), (2,0), (4,6): mean (2,2); distances sqrt((4+4)/2)=2, sqrt((0+4)/2)=sqrt2, sqrt((4+16)/2)=sqrt10
  const r = distanceToMean(Float32Array.of(0, 0, 2, 0, 4, 6), 3);
  t.true(close(r.mean, (2 + Math.SQRT2 + Math.sqrt(10)) / 3));
  t.true(close(r.max, Math.sqrt(10)));
});
