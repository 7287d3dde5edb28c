#!/usr/bin/env python3
"""Reference trajectories for Muon (optimfs.h chapter 11b), in tests/ref/optim_ref.txt's format.

Writes tests/ref/muon_ref.txt on stdout. Run from the repository root with NumPy:

    python3 tests/ref/make_muon_refs.py > tests/ref/muon_ref.txt

torch.optim.Muon arrived in torch 2.9; this machine has Debian's torch 1.13. So the update below
is a float64 NumPy transcription of torch/optim/_muon.py of github.com/pytorch/pytorch at commit
b5ee4d7a797023e11507aea90811559872ce8ff6, read line by line:

    lines 25-29    EPS = 1e-7, (a, b, c) = (3.4445, -4.7750, 2.0315), 5 steps
    lines 55-71    _zeropower_via_newtonschulz: X = grad (as bfloat16: NOT transcribed, see below),
                   transposed when rows > cols, X /= clamp(|X|_F, min=eps), then each step
                   A = X @ X.T;  B = addmm(A, A, A, beta=b, alpha=c) = b A + c A @ A;
                   X = addmm(X, B, X, beta=a) = a X + B @ X;  transposed back
    lines 74-87    _adjust_lr: "original" (None, the default) lr * sqrt(max(1, rows / cols)),
                   "match_rms_adamw" lr * 0.2 * sqrt(max(rows, cols))
    lines 91-101   defaults: lr 1e-3, weight_decay 0.1, momentum 0.95, nesterov True
    lines 312-321  buf.lerp_(grad, 1 - momentum); update = grad.lerp(buf, momentum) if nesterov
                   else buf; update = zeropower(update); param.mul_(1 - lr * weight_decay);
                   param.add_(update, alpha=-adjusted_lr)

torch casts the matrix to bfloat16 before the iteration (line 56, grad.bfloat16()), as Keller
Jordan's muon.py does (KellerJordan/Muon, muon.py line 17): in bfloat16 the iteration keeps about
three significant digits. This transcription runs it in float64, as optimfs.h does in double (and
in float in its float build): the comparison is of the algorithm, not of bfloat16 rounding.
maximize (not in torch's Muon; optimfs.h negates g first, as for every optimizer) is transcribed
as that negation.

The problems: tests/ref/problems.py's non-convex "wave" as a 2 x 2 matrix, and its matrix
problems "lsq" (3 x 5, convex least squares: the wide case) and "mf" (4 x 2, a non-convex
matrix factorisation: the tall, transposed case). Muon's step has a fixed size (the update's
singular values are all about 1), so with a constant lr it never settles; the cases with
lrsched=1 decay lr linearly, lr_t = lr (1 - 0.004 t) before step t + 1, as tests/test_muon.c
does. Nothing is printed unless every self-check passes: the first step against the rule worked
out from the gradient's SVD (the iteration is a polynomial of its singular values), the second
by hand, decay, maximize, the lr adjustments, and each trajectory finite, moving and well
conditioned (a 1e-12 change of theta0, or an error of 1e-14 in every gradient, stays below 1e-9
relative over 200 steps, so that a 1e-10 comparison with another implementation is meaningful).

Output format (as optim_ref.txt; lines starting with '#' are comments):

    case muon <problem> shape=<rows>x<cols> key=value ...   keys: ofs_optim_config fields, lrsched
    step <t> <theta_0> <theta_1> ...                        row by row, t = 1 .. 200, '%.17g'
    end
"""
import math
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit('/', 1)[0] if '/' in __file__ else '.')
from problems import PROBLEMS, MATRIX_PROBLEMS, MATRIX_NOTES, check_trajectory, fmt_keys   # tests/ref/problems.py

NSTEPS = 200
UPSTREAM = 'pytorch/pytorch torch/optim/_muon.py @ b5ee4d7a797023e11507aea90811559872ce8ff6'
NS = (3.4445, -4.7750, 2.0315)
DEFAULTS = dict(lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=1, eps=1e-7, ns_steps=5, match_rms_adamw=0,
                maximize=0)


def problem(name):
    """(theta0 as a matrix, gradient of a matrix): "wave" is tests/ref/problems.py's, as 2 x 2."""
    if name == 'wave':
        th0, g = PROBLEMS['wave']
        return th0.reshape(2, 2), lambda w: g(w.reshape(-1)).reshape(w.shape)
    return MATRIX_PROBLEMS[name]


def torch_lerp(start, end, weight):
    """torch.lerp on CPU (aten/src/ATen/native/Lerp.h): the formula depends on weight."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def zeropower(g, steps, eps):
    a, b, c = NS
    x = g.copy()
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    x = x / max(np.linalg.norm(x), eps)
    for _ in range(steps):
        A = x @ x.T
        B = b * A + c * (A @ A)
        x = a * x + B @ x
    return x.T if tall else x


def adjusted_lr(lr, shape, match):
    rows, cols = shape
    return lr * (0.2 * math.sqrt(max(rows, cols)) if match else math.sqrt(max(1, rows / cols)))


def muon_run(hp, prob, nsteps=NSTEPS, theta0=None, noise=None):
    h = dict(DEFAULTS, **hp)
    th0, grad_fn = problem(prob)
    p = (th0 if theta0 is None else theta0).astype(np.float64).copy()
    buf = np.zeros_like(p)
    mu = h['momentum']
    out = []
    for t in range(nsteps):
        lr = h['lr'] * (1 - 0.004 * t) if h.get('lrsched') else h['lr']
        g = grad_fn(p)
        if noise is not None:
            g = g + noise * np.random.default_rng(t).standard_normal(g.shape)
        if h['maximize']:
            g = -g
        buf = torch_lerp(buf, g, 1 - mu)
        u = torch_lerp(g, buf, mu) if h['nesterov'] else buf
        u = zeropower(u, int(h['ns_steps']), h['eps'])
        p = p * (1 - lr * h['weight_decay'])
        p = p + (-adjusted_lr(lr, p.shape, h['match_rms_adamw'])) * u
        out.append(p.copy())
    return out


# Muon's step has a fixed size, so that near a minimum the gradient's direction (and so the step)
# is decided by its smallest parts, where rounding lives; the cases below are those whose
# trajectories stay well conditioned over 200 steps (check_trajectory): most decay lr, or keep a
# weight decay that holds the weights off the minimum. Each problem covers torch's defaults (but
# lr), plain momentum, three iterations with momentum 0.5, match_rms_adamw, maximize, no decay.
CASES = [
    ('wave', dict(lr=0.01)),
    ('wave', dict(lr=0.02, weight_decay=0.5, nesterov=0, lrsched=1)),
    ('wave', dict(lr=0.01, weight_decay=0.3, momentum=0.5, ns_steps=3, lrsched=1)),
    ('wave', dict(lr=0.005, weight_decay=0.5, match_rms_adamw=1, lrsched=1)),
    ('wave', dict(lr=0.01, weight_decay=0.5, match_rms_adamw=1, lrsched=1)),
    ('wave', dict(lr=0.01, weight_decay=0.9, maximize=1, lrsched=1)),
    ('lsq', dict(lr=0.01)),
    ('lsq', dict(lr=0.02, weight_decay=0.5, lrsched=1)),
    ('lsq', dict(lr=0.01, weight_decay=0, nesterov=0, lrsched=1)),
    ('lsq', dict(lr=0.01, weight_decay=0.3, momentum=0.5, ns_steps=3, lrsched=1)),
    ('lsq', dict(lr=0.01, weight_decay=0.5, match_rms_adamw=1, lrsched=1)),
    ('lsq', dict(lr=0.01, weight_decay=0.9, maximize=1, lrsched=1)),
    ('mf', dict(lr=0.01, weight_decay=0.5, ns_steps=3)),
    ('mf', dict(lr=0.01, weight_decay=0, nesterov=0, lrsched=1)),
    ('mf', dict(lr=0.01, weight_decay=0.3, momentum=0.5, ns_steps=3, lrsched=1)),
    ('mf', dict(lr=0.005, weight_decay=0)),
    ('mf', dict(lr=0.01, weight_decay=0.5, match_rms_adamw=1, lrsched=1)),
    ('mf', dict(lr=0.01, weight_decay=0.9, maximize=1, lrsched=1)),
]


def close(a, b, tol):
    return np.all(np.abs(a - b) <= tol * np.maximum(np.abs(b), 1e-300))


def by_svd(u, steps):
    """The iteration as a function of the singular values: X = U diag(q(s / |s|)) V^T."""
    U, s, Vt = np.linalg.svd(u, full_matrices=False)
    a, b, c = NS
    x = s / math.sqrt(np.sum(s * s))
    for _ in range(steps):
        x = a * x + b * x ** 3 + c * x ** 5
    return U @ np.diag(x) @ Vt


def self_checks():
    for prob in ('wave', 'lsq', 'mf'):
        th0, gfn = problem(prob)
        g0 = gfn(th0)
        # Step 1: buf = 0.05 g, the Nesterov update g + 0.95 (buf - g) = 0.0975 g, whose direction is g's.
        want = th0 * (1 - 0.02 * 0.1) - adjusted_lr(0.02, th0.shape, 0) * by_svd(g0, 5)
        assert close(muon_run(dict(lr=0.02), prob, 1)[0], want, 1e-12), (prob, 'step 1')
        # Step 2 by hand: buf = 0.05 g0 then 0.95 * 0.05 g0 + 0.05 g1; plain momentum uses buf itself.
        th1 = th0 - 0.05 * by_svd(g0, 5) * math.sqrt(max(1, th0.shape[0] / th0.shape[1]))
        g1 = gfn(th1)
        b2 = 0.95 * 0.05 * g0 + 0.05 * g1
        want = th1 - 0.05 * (1 - 0.004) * by_svd(b2, 5) * math.sqrt(max(1, th0.shape[0] / th0.shape[1]))
        got = muon_run(dict(lr=0.05, weight_decay=0, nesterov=0, lrsched=1), prob, 2)
        assert close(got[0], th1, 1e-12) and close(got[1], want, 1e-12), (prob, 'step 2')
        # Three steps of the iteration and match_rms_adamw's 0.2 sqrt(max(rows, cols)), with decay.
        want = th0 * (1 - 0.01 * 0.5) - 0.01 * 0.2 * math.sqrt(max(th0.shape)) * by_svd(g0, 3)
        assert close(muon_run(dict(lr=0.01, match_rms_adamw=1, weight_decay=0.5, ns_steps=3), prob, 1)[0], want, 1e-12)
        # maximize: the step uphill, by the same amount.
        up = muon_run(dict(lr=0.02, weight_decay=0, maximize=1), prob, 1)[0]
        down = muon_run(dict(lr=0.02, weight_decay=0), prob, 1)[0]
        assert close(up - th0, th0 - down, 1e-12), (prob, 'maximize')
    # The iteration's singular values lie in about [0.68, 1.2] for any input spectrum (Keller
    # Jordan's "S' ~ Uniform(0.5, 1.5)"), and an already orthogonal matrix stays near itself.
    q = np.linalg.svd(zeropower(np.diag([1.0, 1e-3, 0.3]) @ np.ones((3, 4)) + np.eye(3, 4), 5, 1e-7), compute_uv=False)
    assert np.all(q > 0.6) and np.all(q < 1.25), q


INT_KEYS = ('maximize', 'nesterov', 'match_rms_adamw', 'lrsched', 'ns_steps')


def main():
    self_checks()
    lines = [
        '# optimfs Muon reference trajectories, written by tests/ref/make_muon_refs.py',
        '# numpy %s, float64; a transcription of %s,' % (np.__version__, UPSTREAM),
        '#   _zeropower_via_newtonschulz lines 55-71, _adjust_lr 74-87, _single_tensor_muon 312-321, with',
        '#   the Newton-Schulz iteration in float64 (torch runs it in bfloat16); the file needs torch >= 2.9',
        '# self-checks passed: step 1 against the gradient\'s SVD, step 2 by hand, 3 iterations with',
        '#   match_rms_adamw, maximize; a 1e-12 change of theta0, or an error of 1e-14 in every gradient,',
        '#   changes no theta by more than 1e-9 relative',
        '# problems: wave (tests/ref/optim_ref.txt) as 2 x 2, and',
    ] + ['#   ' + s for s in MATRIX_NOTES] + [
        '# theta after every step t = 1 .. %d, row by row, %%.17g; lrsched=1: lr (1 - 0.004 t) before step t + 1' % NSTEPS,
        '# keys are ofs_optim_config fields; absent keys have the defaults: ' + fmt_keys(DEFAULTS, INT_KEYS),
    ]
    worst = 0.0
    for prob, keys in CASES:
        path = muon_run(keys, prob)
        worst = max(worst, check_trajectory(lambda **kw: muon_run(keys, prob, **kw), problem(prob)[0], path, (prob, keys)))
        shape = problem(prob)[0].shape
        lines.append('case muon %s shape=%dx%d %s' % (prob, shape[0], shape[1], fmt_keys(keys, INT_KEYS)))
        for t, th in enumerate(path, 1):
            lines.append('step %d %s' % (t, ' '.join('%.17g' % x for x in th.reshape(-1))))
        lines.append('end')
    lines.insert(7, '#   (largest relative change seen: %.2g)' % worst)
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
