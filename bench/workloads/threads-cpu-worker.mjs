// The CPU-bound function of the threads-cpu benchmark, in plain JavaScript so that every
// implementation runs the very same code: beamish's pool and the main-thread loop import it,
// and Piscina needs a file. About 2 ms per call on an idle core of the reference machine.
export const ROUNDS = 400_000;

/** A few hundred thousand rounds of an integer hash (xorshift and multiply), seeded by `seed`. */
export function work(seed) {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < ROUNDS; i++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    h = Math.imul(h, 0x85ebca6b) + i;
  }
  return h >>> 0;
}

export default work;
