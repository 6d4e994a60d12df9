/**
 * xorshift32: a deterministic generator of test choices from `seed`. Returns
 * `next(n)`, a number in `[0, n)`. Seed 0 (a fixed point of xorshift) is
 * taken as 1.
 */
export function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}
