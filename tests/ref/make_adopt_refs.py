#!/usr/bin/env python3
"""Reference trajectories for ADOPT (optimfs.h chapter 10), in tests/ref/optim_ref.txt's format.

Writes tests/ref/adopt_ref.txt on stdout. Run from the repository root with NumPy:

    python3 tests/ref/make_adopt_refs.py > tests/ref/adopt_ref.txt

ADOPT (Taniguchi et al. 2024, arXiv 2411.02853) is not in torch 1.13. Its authors' reference,
src/adopt/adopt.py of github.com/iShohei220/adopt at commit
6468572b4b3688a2f056b796b071da540568520e, imports private helpers of torch 2.x
(torch.optim.optimizer._capturable_doc and others) and does not load on torch 1.13. So the
update below is a float64 NumPy transcription of that file's _single_tensor_adopt (lines
273-321), read line by line:

    line 274       grad = -grad if maximize
    lines 289-290  coupled decay (decouple=False, the default): grad = grad + weight_decay * param
    lines 300-304  first step (state step == 0): exp_avg_sq += grad * grad; the parameter does not move
    lines 306-307  decoupled decay: param = param + (-lr * weight_decay) * param
    line 309       denom = clamp(sqrt(exp_avg_sq), min=eps)
    lines 310-313  normed_grad = grad / denom, clamped to [-clip, clip], clip = clip_lambda(step),
                   clip_lambda = lambda step: step ** 0.25 (line 39), step = steps taken before
    line 315       exp_avg.lerp_(normed_grad, 1 - beta1)   (torch's lerp, transcribed below)
    line 317       param = param + (-lr) * exp_avg
    line 318       exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) * grad * grad
    defaults (lines 36-41): lr 1e-3, betas (0.9, 0.9999), eps 1e-6, weight_decay 0, decouple False

The problems are those of tests/ref/make_optim_refs.py (copied here). Nothing is printed unless
every self-check passes: the first three steps against values worked out by hand from the rule,
the clip is reached in some case (so the tests see it), every trajectory is finite and moves,
and a perturbation of 1e-12 in theta0 stays below 1e-9 relative after 200 steps (so a
1e-10 comparison with another implementation is meaningful).

Output format (as optim_ref.txt; lines starting with '#' are comments):

    case adopt <problem> key=value ...      keys are optimfs.h's ofs_optim_config field names
    step <t> <theta_0> <theta_1> ...        t = 1 .. 200, '%.17g'
    end
"""
import math

import numpy as np

NSTEPS = 200
UPSTREAM = 'iShohei220/adopt src/adopt/adopt.py @ 6468572b4b3688a2f056b796b071da540568520e'

# ----------------------------------------------------------------------------------------------
# Problems (as tests/ref/make_optim_refs.py): theta0 and the gradient at the current theta.

from problems import PROBLEMS, check_trajectory, fmt_keys   # tests/ref/problems.py

DEFAULTS = dict(lr=1e-3, beta1=0.9, beta2=0.9999, eps=1e-6, weight_decay=0.0, decoupled_weight_decay=0,
                maximize=0)


# ----------------------------------------------------------------------------------------------
# The transcription

def torch_lerp(start, end, weight):
    """torch.lerp on CPU (aten/src/ATen/native/Lerp.h, lerp()): the formula depends on weight."""
    diff = end - start
    if abs(weight) < 0.5:
        return start + weight * diff
    return end - diff * (1 - weight)


def adopt_run(hp, problem, nsteps=NSTEPS, theta0=None, record=None, noise=None):
    """theta after each step t = 1 .. nsteps (a list of arrays); record(t, m, v, u) sees the state."""
    h = dict(DEFAULTS, **hp)
    th0, grad_fn = PROBLEMS[problem]
    param = (th0 if theta0 is None else theta0).astype(np.float64).copy()
    exp_avg = np.zeros_like(param)
    exp_avg_sq = np.zeros_like(param)
    lr, beta1, beta2, eps, wd = h['lr'], h['beta1'], h['beta2'], h['eps'], h['weight_decay']
    out = []
    for step in range(nsteps):            # step: the file's state["step"] before this update
        grad = grad_fn(param)
        if noise is not None:             # the conditioning check: an absolute error in every gradient
            grad = grad + noise * np.random.default_rng(step).standard_normal(grad.shape)
        if h['maximize']:
            grad = -grad
        if wd != 0 and not h['decoupled_weight_decay']:
            grad = grad + wd * param
        if step == 0:
            exp_avg_sq = exp_avg_sq + grad * grad
            out.append(param.copy())
            if record:
                record(step + 1, exp_avg, exp_avg_sq, None)
            continue
        if wd != 0 and h['decoupled_weight_decay']:
            param = param + (-lr * wd) * param
        denom = np.maximum(np.sqrt(exp_avg_sq), eps)
        clip = step ** 0.25
        normed = np.clip(grad / denom, -clip, clip)
        exp_avg = torch_lerp(exp_avg, normed, 1 - beta1)
        param = param + (-lr) * exp_avg
        exp_avg_sq = exp_avg_sq * beta2 + (1 - beta2) * grad * grad
        out.append(param.copy())
        if record:
            record(step + 1, exp_avg, exp_avg_sq, normed)
    return out


# ----------------------------------------------------------------------------------------------
# Cases: (problem, keys); lr is always printed.

CASES = []
for prob in ('cubic', 'wave'):
    CASES += [
        (prob, dict(lr=1e-3)),                                            # the file's defaults
        (prob, dict(lr=0.01)),
        (prob, dict(lr=0.05)),
        (prob, dict(lr=0.01, weight_decay=0.1)),                          # coupled (decouple=False)
        (prob, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=1)),
        (prob, dict(lr=0.02, beta1=0.5, beta2=0.999)),                    # lerp weight 0.5: the other formula
        (prob, dict(lr=0.02, beta1=0.0, beta2=0.99)),
        (prob, dict(lr=0.01, beta1=0.95, beta2=0.5, eps=1e-3)),
        (prob, dict(lr=0.005, maximize=1)),
    ]


def close(a, b, tol=1e-15):
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-300)


def self_checks():
    th0, gfn = PROBLEMS['cubic']
    g0 = gfn(th0)
    # Step 1 moves nothing; step 2 sees the same g, so u = g / |g| = sign(g) (clip 1), m = (1 - beta1) u.
    path = adopt_run(dict(lr=0.01), 'cubic', 3)
    assert np.array_equal(path[0], th0), path[0]
    want2 = th0 - 0.01 * 0.1 * np.sign(g0)
    assert all(close(a, b) for a, b in zip(path[1], want2)), (path[1], want2)
    # Step 3: v = 0.9999 g0^2 + 0.0001 g0^2, u = clip(g(theta2) / sqrt(v), 2^(1/4)), m = 0.9 m + 0.1 u.
    g2 = gfn(want2)
    v = 0.9999 * g0 * g0 + 0.0001 * g0 * g0
    u = np.array([max(-2 ** 0.25, min(2 ** 0.25, x / math.sqrt(y))) for x, y in zip(g2, v)])
    m = 0.9 * 0.1 * np.sign(g0) + 0.1 * u
    want3 = want2 - 0.01 * m
    assert all(close(a, b, 1e-14) for a, b in zip(path[2], want3)), (path[2], want3)
    # Decoupled decay: theta0 (1 - lr wd) first, and not at step 1.
    path = adopt_run(dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=1), 'cubic', 2)
    assert np.array_equal(path[0], th0)
    want = th0 * (1 - 0.01 * 0.1) - 0.01 * 0.1 * np.sign(g0)
    assert all(close(a, b, 1e-15) for a, b in zip(path[1], want)), (path[1], want)
    # Coupled decay: g + wd theta, in v from step 1 on; step 2 uses sign(g0 + wd theta0).
    path = adopt_run(dict(lr=0.01, weight_decay=3.0), 'cubic', 2)
    want = th0 - 0.01 * 0.1 * np.sign(g0 + 3.0 * th0)
    assert all(close(a, b) for a, b in zip(path[1], want)), (path[1], want)
    # maximize: the same steps uphill.
    path = adopt_run(dict(lr=0.01, maximize=1), 'cubic', 2)
    assert all(close(a, b) for a, b in zip(path[1], th0 + 0.01 * 0.1 * np.sign(g0)))
    # torch's lerp formula at weight 0.5 and 0.1 (its two branches) equals beta1 m + (1 - beta1) u to rounding.
    assert close(torch_lerp(0.3, -1.7, 0.5), 0.5 * 0.3 + 0.5 * -1.7) and close(torch_lerp(0.3, -1.7, 0.1), 0.9 * 0.3 + 0.1 * -1.7, 1e-15)
    # Some recorded case reaches the clip after step 2, so that the tests exercise it.
    clipped = []

    def rec(t, m_, v_, u_):
        if u_ is not None and t > 2 and np.any(np.abs(u_) >= (t - 1) ** 0.25):
            clipped.append(t)
    for prob, keys in CASES:
        adopt_run(keys, prob, record=rec)
    assert clipped, 'no case reaches the clip'
    return len(clipped)


# ADOPT divides g by the root of an average of recent g^2: with a short average (beta2 = 0.9) near
# a minimum, the quotient of two rounding errors makes whole steps, and check_trajectory refuses
# such a case.
INT_KEYS = ('maximize', 'decoupled_weight_decay')


def main():
    nclipped = self_checks()
    lines = [
        '# optimfs ADOPT reference trajectories, written by tests/ref/make_adopt_refs.py',
        '# numpy %s, float64; a transcription of %s,' % (np.__version__, UPSTREAM),
        '#   _single_tensor_adopt, lines 273-321 (the file needs torch >= 2; this machine has 1.13)',
        '# self-checks passed: the first three steps against the rule worked by hand, decay both ways,',
        '#   maximize; the clip (t-1)^(1/4) is reached in %d recorded steps; a 1e-12 change of theta0, or' % nclipped,
        '#   an error of 1e-14 in every gradient, changes no theta by more than 1e-9 relative',
        '# problems as tests/ref/optim_ref.txt (cubic, wave); theta after every step t = 1 .. %d, %%.17g' % NSTEPS,
        '# keys are ofs_optim_config fields; absent keys have the defaults: ' + fmt_keys(DEFAULTS, INT_KEYS),
        '#   (decoupled_weight_decay=1 is the file\'s decouple=True)',
    ]
    worst = 0.0
    for prob, keys in CASES:
        path = adopt_run(keys, prob)
        worst = max(worst, check_trajectory(lambda **kw: adopt_run(keys, prob, **kw), PROBLEMS[prob][0], path, (prob, keys)))
        lines.append('case adopt %s %s' % (prob, fmt_keys(keys, INT_KEYS)))
        for t, th in enumerate(path, 1):
            lines.append('step %d %s' % (t, ' '.join('%.17g' % x for x in th)))
        lines.append('end')
    lines.insert(6, '#   (largest relative change seen: %.2g)' % worst)
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
