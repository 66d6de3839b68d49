#!/usr/bin/env python3
"""Fits the coefficients of templates/simd/fastmath.h.

    /usr/bin/python3 templates/simd/fit_fastmath.py     (needs numpy and mpmath)

prints, as float literals, the coefficients pasted into fastmath.h:
  exp   e^r ~ 1 + r + r^2 (c2 + c3 r + ... + c6 r^4) on |r| <= ln2/2
  erf   erf(x) ~ x P(x^2) / Q(x^2), P and Q of degree 5, on [0, 4]
  tanh  tanh(x) ~ x P(x^2) / Q(x^2), P and Q of degree 4, on [0, 9]
each for minimax relative error. The method: weighted linear least squares on
Chebyshev-distributed points, the rational case linearized as P - f Q with weights
1 / |f Q_previous| (Loeb), and Lawson's reweighting (w *= |err|^0.5) pushing the
least-squares fit to the equioscillating minimax one. The references come from
mpmath at 30 digits. The errors printed are of the real-valued fit; after rounding
the coefficients to float and evaluating in float, tests/check_simd.c measures
what the kernels really get (fastmath.h documents those numbers).
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 30


def chebyshev_points(lo, hi, n):
    return np.array([lo + (hi - lo) * (1 - np.cos(np.pi * (i + 0.5) / n)) / 2 for i in range(n)])


def fit_poly(f, lo, hi, deg, fixed, npts=3000, iters=60):
    """Coefficients c[0..deg] of sum c_k x^k ~ f on [lo, hi], the ones in `fixed` given."""
    xs = chebyshev_points(lo, hi, npts)
    fx = np.array([float(f(mp.mpf(x))) for x in xs])
    lw = np.ones(npts)
    free = [k for k in range(deg + 1) if k not in fixed]
    for _ in range(iters):
        A = np.stack([xs ** k for k in free], 1)
        rhs = fx - sum(v * xs ** k for k, v in fixed.items())
        w = np.sqrt(lw) / np.abs(fx)
        c, *_ = np.linalg.lstsq(A * w[:, None], rhs * w, rcond=None)
        co = dict(fixed)
        co.update({k: c[i] for i, k in enumerate(free)})
        err = (sum(co[k] * xs ** k for k in range(deg + 1)) - fx) / np.abs(fx)
        lw = lw * np.abs(err) ** 0.5
        lw /= lw.sum()
    return [co[k] for k in range(deg + 1)], np.abs(err).max()


def fit_rational_even(f, lo, hi, nd, dd, npts=4000, iters=60):
    """N(t) / D(t) ~ f with t = x^2, D(0) = 1; returns monomial coefficients in t."""
    xs = chebyshev_points(lo, hi, npts)
    fx = np.array([float(f(mp.mpf(x))) for x in xs])
    t = xs * xs
    tmax = t.max()
    s = t / tmax  # fit in s = t / tmax in [0, 1] for conditioning
    lw = np.ones(npts)
    D = np.ones(npts)
    for _ in range(iters):
        A = np.zeros((npts, nd + 1 + dd))
        for k in range(nd + 1):
            A[:, k] = s ** k
        for k in range(1, dd + 1):
            A[:, nd + k] = -fx * s ** k
        w = np.sqrt(lw) / (np.abs(D) * np.abs(fx))
        c, *_ = np.linalg.lstsq(A * w[:, None], fx * w, rcond=None)
        nc = c[: nd + 1]
        dc = np.concatenate([[1.0], c[nd + 1:]])
        N = sum(nc[k] * s ** k for k in range(nd + 1))
        D = sum(dc[k] * s ** k for k in range(dd + 1))
        err = (N / D - fx) / np.abs(fx)
        lw = lw * np.abs(err) ** 0.5
        lw /= lw.sum()
    return [nc[k] / tmax ** k for k in range(nd + 1)], [dc[k] / tmax ** k for k in range(dd + 1)], np.abs(err).max()


def f32(v):
    return "%.9gf" % float(np.float32(v))


def main():
    ln2 = float(mp.log(2))
    c, e = fit_poly(mp.exp, -ln2 / 2, ln2 / 2, 6, {0: 1.0, 1: 1.0})
    print("exp  c2..c6 (max rel err %.3g):" % e, ", ".join(f32(v) for v in c[2:]))

    def erf_over_x(x):
        return mp.erf(x) / x if x != 0 else 2 / mp.sqrt(mp.pi)

    n, d, e = fit_rational_even(erf_over_x, 0, 4.0, 5, 5)
    print("erf  P (max rel err %.3g):" % e, ", ".join(f32(v) for v in n))
    print("erf  Q:", ", ".join(f32(v) for v in d))

    def tanh_over_x(x):
        return mp.tanh(x) / x if x != 0 else mp.mpf(1)

    n, d, e = fit_rational_even(tanh_over_x, 0, 9.0, 4, 4)
    print("tanh P (max rel err %.3g):" % e, ", ".join(f32(v) for v in n))
    print("tanh Q:", ", ".join(f32(v) for v in d))


if __name__ == "__main__":
    main()
