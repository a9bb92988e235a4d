/**
 * erf(x) to ~1e-7 relative: a Taylor series near 0 (where 1 - erfc would lose relative accuracy), and the
 * Chebyshev-fitted erfc of Numerical Recipes (fractional error < 1.2e-7) elsewhere.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  if (z < 0.5) {
    // erf(x) = 2/√π · Σ (-1)^n x^(2n+1) / (n! (2n+1)); 12 terms reach double precision for |x| < 0.5
    const x2 = x * x;
    let term = x;
    let s = x;
    for (let n = 1; n < 12; n++) {
      term *= -x2 / n;
      s += term / (2 * n + 1);
    }
    return s * 1.1283791670955126;
  }
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc : erfc - 1;
}
