"""The two problems every optimizer reference script runs on (make_optim_refs.py,
make_adopt_refs.py, make_schedfree_refs.py, make_average_refs.py), and that the C
tests rebuild in tests/problems.h: theta0 and the gradient, evaluated at the current
theta before every step; the matrix problems of make_muon_refs.py and
make_adafactor_refs.py; and what those two and make_adopt_refs.py share: the check that a
case is well conditioned, and the format of a case's keys."""
import math

import numpy as np

CUBIC_C = np.array([1.0, 0.5, 2.0])
CUBIC_B = np.array([0.3, -0.1, 0.2])
WAVE_K = 0.15 * math.pi


def cubic_grad(th):
    """Gradient of sum(c*th^2/2 + th^4/4 - b*th): the problem of OPTIMIZERS.md section 8."""
    return CUBIC_C * th + th * th * th - CUBIC_B


def wave_grad(th):
    """Gradient of sum(th*cos(k*th) + 0.05*th^2): non-convex, several local minima."""
    return np.cos(WAVE_K * th) - WAVE_K * th * np.sin(WAVE_K * th) + 0.1 * th


PROBLEMS = {
    'cubic': (np.array([1.0, -2.0, 0.5]), cubic_grad),
    'wave': (np.array([1.5, -2.5, 0.3, 4.0]), wave_grad),
}
PROBLEM_NOTES = [
    'cubic: theta0 = [1, -2, 0.5]; grad = c*theta + theta^3 - b, c = [1, 0.5, 2], b = [0.3, -0.1, 0.2]',
    'wave:  theta0 = [1.5, -2.5, 0.3, 4]; f_i = theta_i*cos(k*theta_i) + 0.05*theta_i^2, k = 0.15*pi;',
    '       grad_i = cos(k*theta_i) - k*theta_i*sin(k*theta_i) + 0.1*theta_i',
]


# ----------------------------------------------------------------------------------------------
# Matrix problems (make_muon_refs.py, make_adafactor_refs.py; tests/problems.h rebuilds them).
# Every constant is a small exact binary fraction, so that C and NumPy start from the same bits.

def _lsq_a():
    return np.array([[((3 * i + 5 * j) % 7 - 3) / 4.0 for j in range(6)] for i in range(5)])   # 5 x 6


def _lsq_b():
    return np.array([[((2 * i + 3 * j) % 5 - 2) / 2.0 for j in range(6)] for i in range(3)])   # 3 x 6


def _mf_m():
    u = np.array([[((i + 3 * j) % 4 - 1.5) / 2.0 for j in range(2)] for i in range(4)])       # 4 x 2
    return u @ u.T                                                                            # 4 x 4, rank 2


def lsq_grad(w):
    """f(W) = |W A - B|_F^2 / 2 for W 3 x 5 (wide): convex; gradient (W A - B) A^T."""
    a = _lsq_a()
    return (w @ a - _lsq_b()) @ a.T


def mf_grad(w):
    """f(W) = |W W^T - M|_F^2 / 4 for W 4 x 2 (tall), M = U U^T of rank 2: non-convex; gradient (W W^T - M) W."""
    return (w @ w.T - _mf_m()) @ w


# name: (theta0 as a matrix, gradient of the matrix)
MATRIX_PROBLEMS = {
    'lsq': (np.array([[((i + 2 * j) % 4 - 1.5) / 2.0 for j in range(5)] for i in range(3)]), lsq_grad),
    'mf': (np.array([[((2 * i + j) % 3 - 1) / 2.0 + 0.25 for j in range(2)] for i in range(4)]), mf_grad),
}
MATRIX_NOTES = [
    'lsq: W 3 x 5, f = |W A - B|^2 / 2, A_ij = ((3i + 5j) mod 7 - 3) / 4 (5 x 6), B_ij = ((2i + 3j) mod 5 - 2) / 2 (3 x 6),',
    '     W0_ij = ((i + 2j) mod 4 - 1.5) / 2; grad = (W A - B) A^T',
    'mf:  W 4 x 2, f = |W W^T - M|^2 / 4, M = U U^T, U_ij = ((i + 3j) mod 4 - 1.5) / 2 (4 x 2),',
    '     W0_ij = ((2i + j) mod 3 - 1) / 2 + 1/4; grad = (W W^T - M) W',
]


def check_trajectory(run, th0, path, what):
    """A case worth a 1e-10 comparison: finite, it moves, it stays bounded, and it is well
    conditioned: a 1e-12 change of theta0, or an error of 1e-14 in every gradient (the rounding
    of another implementation: near a minimum g is a difference of O(1) terms, and its error is
    absolute), moves no recorded theta by more than 1e-9 (relative, or absolute below 1e-3).
    run(theta0=None, noise=0) reruns the case; returns the largest such change."""
    assert all(np.all(np.isfinite(p)) for p in path), what
    assert np.max(np.abs(path[-1] - th0)) > 1e-3, ('does not move',) + tuple(what)
    assert np.max(np.abs(path[-1])) < 100, ('diverges',) + tuple(what)
    worst = 0.0
    for other in (run(theta0=th0 * (1 + 1e-12)), run(noise=1e-14)):
        for a, b in zip(path, other):
            worst = max(worst, np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3)))
    assert worst < 1e-9, ('ill conditioned',) + tuple(what) + (worst,)
    return worst


def fmt_keys(keys, ints=('maximize',)):
    """A case's keys as the reference files write them: the names in ints as integers, the
    others with repr(float)."""
    return ' '.join('%s=%s' % (k, str(int(v)) if k in ints else repr(float(v))) for k, v in keys.items())
