#!/usr/bin/env python3
"""Reference trajectories for Adafactor (optimfs.h chapter 11b), in tests/ref/optim_ref.txt's format.

Writes tests/ref/adafactor_ref.txt on stdout. Run from the repository root with NumPy:

    python3 tests/ref/make_adafactor_refs.py > tests/ref/adafactor_ref.txt

torch.optim.Adafactor arrived in torch 2.5; this machine has Debian's torch 1.13. So the update
below is a float64 NumPy transcription of torch/optim/_adafactor.py of github.com/pytorch/pytorch
at commit 5f65158aefc31977355102011b310a7d020e5604, _single_tensor_adafactor (lines 329-415), read
line by line (the algorithm box of the class's documentation, from line 178, says the same):

    lines 26-33    defaults: lr 1e-2, beta2_decay -0.8, eps (None, 1e-3), d 1.0, weight_decay 0,
                   maximize False
    line 366       grad = -grad if maximize
    lines 371-372  eps1 = None: torch.finfo(param.dtype).eps (float64 here: 2.220446049250313e-16)
    lines 375-380  step += 1; one_minus_beta2_t = step ** beta2_decay; rho_t = min(lr, 1 / sqrt(step));
                   alpha = max(eps2, |param|_2 / sqrt(numel)) * rho_t   (param before the decay)
    lines 383-384  if weight_decay != 0: param *= 1 - lr * weight_decay
    lines 386-402  dim > 1: row_mean = |grad|^2 over the last dim / its size, row_var.lerp_(row_mean,
                   one_minus_beta2_t); the same for the columns; var_estimate = row_var @ col_var,
                   divided by clamp(row_var.mean(), min=eps1)
    lines 403-409  a vector: variance.lerp_(grad * grad, one_minus_beta2_t), var_estimate a copy
    lines 411-415  update = rsqrt(clamp(var_estimate, min=eps1 * eps1)) * grad;
                   denom = max(1, |update|_2 / (sqrt(numel) * d)); param += -alpha / denom * update

The problems: tests/ref/problems.py's "cubic" and "wave" as flat arrays (torch's 1-D parameters,
unfactored), "wave" as a 2 x 2 matrix and "cubic" as 3 x 1 (factored), and the matrix problems
"lsq" (3 x 5) and "mf" (4 x 2). Nothing is printed unless every self-check passes: the first step
worked out by hand (flat: V = g^2, so U = sign(g); factored with a rank-1 gradient: V = g^2
again), the second step by hand, decay, maximize, the clip, and each trajectory finite, moving
and well conditioned (a 1e-12 change of theta0, or an error of 1e-14 in every gradient, stays
below 1e-9 relative over 200 steps).

Output format (as optim_ref.txt; lines starting with '#' are comments):

    case adafactor <problem> shape=<rows>x<cols> key=value ...   0x0: flat; keys: ofs_optim_config fields
    step <t> <theta_0> <theta_1> ...                             row by row, t = 1 .. 200, '%.17g'
    end
"""
import math
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit('/', 1)[0] if '/' in __file__ else '.')
from problems import PROBLEMS, MATRIX_PROBLEMS, MATRIX_NOTES, PROBLEM_NOTES, check_trajectory, fmt_keys   # tests/ref/problems.py

NSTEPS = 200
UPSTREAM = 'pytorch/pytorch torch/optim/_adafactor.py @ 5f65158aefc31977355102011b310a7d020e5604'
EPS64 = float(np.finfo(np.float64).eps)
DEFAULTS = dict(lr=1e-2, beta2_decay=-0.8, eps1=EPS64, eps2=1e-3, d=1.0, weight_decay=0.0, maximize=0)
SHAPES = {'cubic': (0, 0), 'wave': (0, 0), 'wave2': (2, 2), 'cubic3': (3, 1), 'lsq': (3, 5), 'mf': (4, 2)}


def problem(name):
    """(theta0, gradient, (rows, cols)): a flat problem's arrays are 1-D, a matrix's 2-D."""
    base = {'wave2': 'wave', 'cubic3': 'cubic'}.get(name, name)
    shape = SHAPES[name]
    if base in PROBLEMS:
        th0, g = PROBLEMS[base]
        if shape == (0, 0):
            return th0, g, shape
        return th0.reshape(shape), (lambda w: g(w.reshape(-1)).reshape(w.shape)), shape
    th0, g = MATRIX_PROBLEMS[base]
    return th0, g, shape


def torch_lerp(start, end, weight):
    """torch.lerp on CPU (aten/src/ATen/native/Lerp.h), element-wise, weight a scalar."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def rms(x):
    return np.linalg.norm(x.reshape(-1)) / math.sqrt(x.size)


def adafactor_run(hp, prob, nsteps=NSTEPS, theta0=None, noise=None, clips=None):
    h = dict(DEFAULTS, **hp)
    th0, grad_fn, shape = problem(prob)
    p = (th0 if theta0 is None else theta0).astype(np.float64).copy()
    factored = p.ndim > 1
    row_var = np.zeros((p.shape[0], 1)) if factored else None
    col_var = np.zeros((1, p.shape[1])) if factored else None
    variance = None if factored else np.zeros_like(p)
    lr, eps1, eps2, d, wd = h['lr'], h['eps1'], h['eps2'], h['d'], h['weight_decay']
    out = []
    for t in range(1, nsteps + 1):
        g = grad_fn(p)
        if noise is not None:
            g = g + noise * np.random.default_rng(t).standard_normal(g.shape)
        if h['maximize']:
            g = -g
        w = t ** h['beta2_decay']
        rho = min(lr, 1 / t ** 0.5)
        alpha = max(eps2, np.linalg.norm(p.reshape(-1)) / math.sqrt(p.size)) * rho
        if wd != 0:
            p = p * (1 - lr * wd)
        if factored:
            row_var = torch_lerp(row_var, np.linalg.norm(g, axis=-1, keepdims=True) ** 2 / g.shape[-1], w)
            col_var = torch_lerp(col_var, np.linalg.norm(g, axis=-2, keepdims=True) ** 2 / g.shape[-2], w)
            v = (row_var @ col_var) / max(row_var.mean(), eps1)
        else:
            variance = torch_lerp(variance, g * g, w)
            v = variance.copy()
        u = 1 / np.sqrt(np.maximum(v, eps1 * eps1)) * g
        denom = max(1.0, np.linalg.norm(u.reshape(-1)) / (math.sqrt(u.size) * d))
        if clips is not None and denom > 1:
            clips.append(t)
        p = p + (-alpha / denom) * u
        out.append(p.copy())
    return out


# Adafactor's update is normalised (U = g / sqrt(V) is about the sign of g while V follows g^2), so
# near a minimum the steps are decided by the gradient's smallest parts, where rounding lives; the
# cases are those whose trajectories stay well conditioned over 200 steps (check_trajectory). Each
# problem has torch's defaults (not "mf": its defaults are not), decay, beta2_decay, eps1, d, maximize.
CASES = []
for prob in ('cubic', 'wave', 'wave2', 'cubic3', 'lsq', 'mf'):
    CASES += [(prob, dict())] if prob != 'mf' else []
    CASES += [
        (prob, dict(weight_decay=0.5)),
        (prob, dict(lr=0.005, eps1=0.01, beta2_decay=-0.5, d=2.0)),
        (prob, dict(d=2.0, maximize=1)),
        (prob, dict(eps1=0.01, weight_decay=0.5, beta2_decay=-0.5, maximize=1)),
    ]


def close(a, b, tol):
    return np.all(np.abs(a - b) <= tol * np.maximum(np.abs(b), 1e-300))


def self_checks():
    for prob in SHAPES:
        th0, gfn, shape = problem(prob)
        g0 = gfn(th0)
        a1 = max(1e-3, rms(th0)) * 0.01
        if shape[0] == 0 or min(shape) == 1:
            # Step 1: 1 - beta2_1 = 1, so V = g^2 (flat) or the rank-1 fit of a rank-1 g^2, which is g^2: U = sign(g),
            # RMS(U) = 1 <= d, so theta moves by alpha_1 = max(eps2, RMS(theta0)) min(lr, 1) against sign(g).
            assert close(adafactor_run({}, prob, 1)[0], th0 - a1 * np.sign(g0), 1e-14), (prob, 'step 1')
        # Step 1 of a factored matrix by hand: R_i = mean_j g^2, C_j = mean_i g^2, V = R C^T / mean(R).
        if shape[0] > 1 and shape[1] > 1:
            R = np.array([[sum(x * x for x in row) / shape[1]] for row in g0])
            C = np.array([[sum(g0[i][j] ** 2 for i in range(shape[0])) / shape[0] for j in range(shape[1])]])
            V = R @ C / (sum(R.reshape(-1)) / shape[0])
            U = g0 / np.sqrt(V)
            want = th0 - a1 / max(1.0, rms(U)) * U
            assert close(adafactor_run({}, prob, 1)[0], want, 1e-13), (prob, 'factored step 1')
        # Step 2 by hand, flat or not, with decay: 1 - beta2_2 = 2^-0.5, rho_2 = min(0.03, 1/sqrt 2) = 0.03.
        path = adafactor_run(dict(lr=0.03, weight_decay=0.5, beta2_decay=-0.5), prob, 2)
        th1 = path[0]
        g1 = gfn(th1)
        w = 2 ** -0.5
        if shape[0] == 0:
            V = (1 - w) * g0 * g0 + w * g1 * g1
        else:
            R1 = (g0 * g0).mean(axis=1, keepdims=True) * (1 - w) + (g1 * g1).mean(axis=1, keepdims=True) * w
            C1 = (g0 * g0).mean(axis=0, keepdims=True) * (1 - w) + (g1 * g1).mean(axis=0, keepdims=True) * w
            V = R1 @ C1 / R1.mean()
        U = g1 / np.sqrt(V)
        want = th1 * (1 - 0.03 * 0.5) - max(1e-3, rms(th1)) * 0.03 / max(1.0, rms(U)) * U
        assert close(path[1], want, 1e-12), (prob, 'step 2')
        # maximize: the same first step uphill (the eps2 floor, 0.3, above RMS(theta0) or not).
        up = adafactor_run(dict(lr=0.02, eps2=0.3, maximize=1), prob, 1)[0]
        down = adafactor_run(dict(lr=0.02, eps2=0.3), prob, 1)[0]
        assert close(up - th0, th0 - down, 1e-12), (prob, 'maximize')
    # The clip acts: in some recorded steps RMS(U) > d, so that the tests see it.
    clips = []
    for prob, keys in CASES:
        adafactor_run(keys, prob, clips=clips)
    assert len(clips) > 10, 'the clip is not reached'
    return len(clips)


def main():
    nclips = self_checks()
    lines = [
        '# optimfs Adafactor reference trajectories, written by tests/ref/make_adafactor_refs.py',
        '# numpy %s, float64; a transcription of %s,' % (np.__version__, UPSTREAM),
        '#   _single_tensor_adafactor, lines 329-415 (the file needs torch >= 2.5; this machine has 1.13)',
        '# self-checks passed: step 1 by hand (flat, rank-1 and factored), step 2 by hand with decay and',
        '#   beta2_decay -0.5, maximize; the clip RMS(U) > d acts in %d recorded steps; a 1e-12 change of theta0,' % nclips,
        '#   or an error of 1e-14 in every gradient, changes no theta by more than 1e-9 relative',
        '# problems: cubic and wave flat (shape=0x0), wave as 2 x 2, cubic as 3 x 1 (as tests/ref/optim_ref.txt):',
    ] + ['#   ' + s for s in PROBLEM_NOTES + MATRIX_NOTES] + [
        '# theta after every step t = 1 .. %d, row by row, %%.17g' % NSTEPS,
        '# keys are ofs_optim_config fields; absent keys have the defaults: ' + fmt_keys(DEFAULTS),
        '#   (eps1: torch\'s None, the machine epsilon of float64)',
    ]
    worst = 0.0
    for prob, keys in CASES:
        path = adafactor_run(keys, prob)
        worst = max(worst, check_trajectory(lambda **kw: adafactor_run(keys, prob, **kw), problem(prob)[0], path, (prob, keys)))
        shape = SHAPES[prob]
        lines.append(('case adafactor %s shape=%dx%d %s' % ({'wave2': 'wave', 'cubic3': 'cubic'}.get(prob, prob),
                                                          shape[0], shape[1], fmt_keys(keys))).rstrip())
        for t, th in enumerate(path, 1):
            lines.append('step %d %s' % (t, ' '.join('%.17g' % x for x in th.reshape(-1))))
        lines.append('end')
    lines.insert(6, '#   (largest relative change seen: %.2g)' % worst)
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
