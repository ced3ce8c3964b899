/** What test/python/torch_coverage.py and torch_resume.py report as passed, over either transport. */

/** torch_coverage.py's world size x worker count scenarios. */
export const COVERAGE = ['world 1 workers 2', 'world 2 workers 2', 'world 3 workers 2', 'world 1 workers 0', 'world 2 workers 0', 'world 3 workers 0'];

/** torch_resume.py's scenarios. */
export const RESUME = [
  '2 workers -> 2 ranks',
  '2 workers -> 3 ranks',
  'same world, rank-local state',
  '2 -> 3 ranks, resumed twice',
  '3 ranks -> 1 rank x 2 workers',
  'drop_last after resume',
  'finished epoch',
];
