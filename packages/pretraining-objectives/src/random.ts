import type { Generator } from '@tsformer/tensor';

/** Shuffles `items` in place (Fisher–Yates) with draws from `rng`, one uniform per swap, taken in one batch. */
export function shuffleInPlace<T>(items: T[], rng: Generator): T[] {
  const n = items.length;
  if (n < 2) return items;
  const u = rng.uniform(n - 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u[n - 1 - i]! * (i + 1)));
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}

/** A uniform integer in [0, n) from one uniform draw. */
export function randomIndex(u: number, n: number): number {
  return Math.min(n - 1, Math.floor(u * n));
}
