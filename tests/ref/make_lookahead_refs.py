#!/usr/bin/env python3
"""Reference trajectories for Lookahead (Zhang, Lucas, Hinton and Ba 2019, arXiv 1907.08610,
Algorithm 1) wrapping torch 1.13's SGD (with momentum), Adam and AdamW.

The numbers come from the authors' own PyTorch code, run unchanged in float64 on Debian's
torch 1.13:

    repository  https://github.com/michaelrzhang/lookahead
    commit      c4fd85f73cdaa6450eacf7d52d9050d9ff98a6e1
    file        lookahead_pytorch.py  (class Lookahead; last changed in 3902077fa74f970a12d8268f3754c6293d0ee439)

That code is not part of this project. To regenerate, clone it outside the repository,
check out the commit above, and give this script the file (argument or LOOKAHEAD_PY),
from the root of this repository:

    git clone https://github.com/michaelrzhang/lookahead /some/where/lookahead
    git -C /some/where/lookahead checkout c4fd85f73cdaa6450eacf7d52d9050d9ff98a6e1
    /usr/bin/python3 tests/ref/make_lookahead_refs.py /some/where/lookahead/lookahead_pytorch.py > tests/ref/lookahead_ref.txt

What the file computes (lookahead_pytorch.py, lines cited):

    lines 30-34  the slow weights start as a copy of the parameters when the wrapper is made
    line 87      each step is first the inner optimizer's step (the gradient is taken at the
                 fast weights, the parameters)
    lines 88-91  a counter counts inner steps; when it reaches la_steps (k) it goes back to 0 and
    line 96      p = la_alpha * p + (1 - la_alpha) * slow      (p.mul_(alpha).add_(slow, alpha=1-alpha))
    line 97      slow = p
                 so the sync comes after the inner steps k, 2k, 3k, ... and the fast and slow
                 weights are equal after it; the inner optimizer's state (momentum, Adam's
                 moments and step count) is kept as it is (pullback_momentum="none", the default)
    lines 54-58  state_dict() is the inner optimizer's alone: the slow weights and the counter
                 are not in it (a checkpoint of this wrapper must add both)

The problems are those of tests/ref/problems.py (the convex "cubic" and the non-convex "wave"),
200 steps per case; the gradient is taken at the parameters before every step.

Output format (lines starting with '#' are comments):

    case lookahead <problem> k=<k> alpha=<alpha> base=<optimizer> key=value ...
    step <t> <fast_0> ... <fast_n-1> <slow_0> ... <slow_n-1>      '%.17g'
    end

The keys after base= are the base optimizer's, by ofs_optim_config field names (beta1/beta2
are torch's betas); every key that matters is printed. "fast" is the parameters after step t,
"slow" the slow weights after step t. Nothing is printed unless every self-check passes: the
upstream file against the rule worked by hand (steps 1 .. k-1 are the base optimizer's alone,
the first sync at step k is alpha fast + (1 - alpha) theta0, and a NumPy Lookahead around a
NumPy SGD with momentum gives the whole 200 steps), alpha = 1 is the base optimizer bit for bit,
every trajectory is finite, bounded and moves, and each case is well conditioned (a change of
1e-12 in theta0, or an error of 1e-14 in every gradient, moves no value v by more than
1e-9 |v| + 1e-12, a tenth of what the C test allows for rounding), so that a 1e-10 comparison with another implementation means something.
"""
import importlib.util
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

from problems import PROBLEM_NOTES, PROBLEMS   # tests/ref/problems.py

UPSTREAM = 'michaelrzhang/lookahead'
COMMIT = 'c4fd85f73cdaa6450eacf7d52d9050d9ff98a6e1'
FILE = 'lookahead_pytorch.py'
NSTEPS = 200
RECORD = tuple(range(1, 13)) + (19, 20, 21, 25, 49, 50, 51, 99, 100, 101, 150, 199, 200)

# Base optimizers: (ofs name, keys by ofs_optim_config field names). Every key the update
# reads is given, so that no default of either side matters.
BASES = [
    ('sgd', dict(lr=0.01, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=0)),
    ('adam', dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)),
    ('adamw', dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1)),
]
SETTINGS = [dict(k=5, alpha=0.5), dict(k=5, alpha=0.8), dict(k=10, alpha=0.5), dict(k=10, alpha=0.8)]
EXTRA = [   # a few more: nesterov with coupled decay, a cycle of 1, a cycle of 7 with Adam's amsgrad
    (dict(k=5, alpha=0.5), ('sgd', dict(lr=0.02, momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=1))),
    (dict(k=1, alpha=0.5), ('sgd', dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=0))),
    (dict(k=7, alpha=0.3), ('adam', dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=1))),
]
CASES = [(s, b) for b in BASES for s in SETTINGS] + EXTRA
FLAGS = ('nesterov', 'amsgrad')


def load_lookahead(path):
    spec = importlib.util.spec_from_file_location('lookahead_upstream', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.Lookahead


def make_base(name, hp, params):
    if name == 'sgd':
        return torch.optim.SGD(params, lr=hp['lr'], momentum=hp['momentum'], dampening=hp['dampening'],
                               weight_decay=hp['weight_decay'], nesterov=bool(hp['nesterov']))
    cls = torch.optim.Adam if name == 'adam' else torch.optim.AdamW
    return cls(params, lr=hp['lr'], betas=(hp['beta1'], hp['beta2']), eps=hp['eps'], weight_decay=hp['weight_decay'],
               amsgrad=bool(hp.get('amsgrad', 0)))


def run(Lookahead, la, base, problem, nsteps=NSTEPS, theta0=None, noise=0.0, wrap=True):
    """{t: (fast, slow)} for t = 1 .. nsteps; wrap=False runs the base optimizer alone (slow = None)."""
    th0, grad = PROBLEMS[problem]
    p = torch.nn.Parameter(torch.tensor(th0 if theta0 is None else theta0))
    inner = make_base(base[0], base[1], [p])
    opt = Lookahead(inner, la_steps=la['k'], la_alpha=la['alpha']) if wrap else inner
    out = {}
    for t in range(1, nsteps + 1):
        g = grad(p.detach().numpy().copy())
        if noise:
            g = g + noise * np.random.default_rng(t).standard_normal(g.shape)
        p.grad = torch.tensor(g)
        opt.step()
        slow = opt.state[p]['cached_params'].numpy().copy() if wrap else None
        out[t] = (p.detach().numpy().copy(), slow)
    return out


def close(a, b, tol):
    return np.all(np.abs(a - b) <= tol * np.maximum(np.abs(b), 1e-300))


def numpy_lookahead_sgd(la, hp, problem, nsteps=NSTEPS):
    """Algorithm 1 of the paper, by hand, around torch's SGD with momentum (dampening 0,
    no nesterov, no decay): buf = g at the first step, then buf = mu buf + g; p -= lr buf.
    Slow weights phi start at theta0; after every k-th inner step p = phi + alpha (p - phi)
    (the file writes alpha p + (1 - alpha) phi: the same to rounding) and phi = p."""
    th0, grad = PROBLEMS[problem]
    p, phi, buf, out = th0.copy(), th0.copy(), None, {}
    for t in range(1, nsteps + 1):
        g = grad(p)
        buf = g.copy() if buf is None else hp['momentum'] * buf + g
        p = p - hp['lr'] * buf
        if t % la['k'] == 0:
            p = phi + la['alpha'] * (p - phi)
            phi = p.copy()
        out[t] = (p, phi)
    return out


def self_checks(Lookahead):
    for la, base in CASES:
        for problem in PROBLEMS:
            k, a = la['k'], la['alpha']
            th0 = PROBLEMS[problem][0]
            got = run(Lookahead, la, base, problem, nsteps=2 * k + 1)
            alone = run(Lookahead, la, base, problem, nsteps=k, wrap=False)
            # Steps 1 .. k-1: the base optimizer's own parameters, and the slow weights still theta0.
            for t in range(1, k):
                assert np.array_equal(got[t][0], alone[t][0]) and np.array_equal(got[t][1], th0), (la, base, problem, t)
            # Step k: the first sync, alpha fast + (1 - alpha) theta0, and slow = fast.
            want = a * alone[k][0] + (1 - a) * th0
            assert close(got[k][0], want, 1e-15) and np.array_equal(got[k][0], got[k][1]), (la, base, problem)
            # Step k+1 moves the fast weights only; step 2k syncs again (slow = fast).
            assert np.array_equal(got[k + 1][1], got[k][0]) or k == 1, (la, base, problem)
            assert np.array_equal(got[2 * k][0], got[2 * k][1]), (la, base, problem)
            # alpha = 1 is the base optimizer, bit for bit.
            one = run(Lookahead, dict(la, alpha=1.0), base, problem)
            solo = run(Lookahead, la, base, problem, wrap=False)
            assert all(np.array_equal(one[t][0], solo[t][0]) for t in one), (la, base, problem)
    # The whole trajectory of Lookahead(SGD with momentum) against the NumPy transcription of Algorithm 1.
    for la, base in CASES:
        if base[0] == 'sgd' and not base[1]['nesterov'] and base[1]['weight_decay'] == 0:
            for problem in PROBLEMS:
                got = run(Lookahead, la, base, problem)
                want = numpy_lookahead_sgd(la, base[1], problem)
                for t in got:
                    assert close(got[t][0], want[t][0], 1e-12) and close(got[t][1], want[t][1], 1e-12), (la, problem, t)


def check_trajectory(Lookahead, la, base, problem, path):
    th0 = PROBLEMS[problem][0]
    assert all(np.all(np.isfinite(np.concatenate(v))) for v in path.values()), (la, base, problem)
    assert np.max(np.abs(path[NSTEPS][0] - th0)) > 1e-2, ('does not move', la, base, problem)
    assert np.max(np.abs(path[NSTEPS][0])) < 100, ('diverges', la, base, problem)
    worst = 0.0
    for other in (run(Lookahead, la, base, problem, theta0=th0 * (1 + 1e-12)),
                  run(Lookahead, la, base, problem, noise=1e-14)):
        for t in path:
            a, b = np.concatenate(path[t]), np.concatenate(other[t])
            worst = max(worst, np.max(np.abs(a - b) / (1e-9 * np.abs(a) + 1e-12)))
    assert worst < 1, ('ill conditioned', la, base, problem, worst)
    return worst


def fmt(keys):
    return ' '.join('%s=%s' % (k, int(v) if k in FLAGS or k == 'k' else repr(float(v))) for k, v in keys.items())


def main():
    path_arg = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('LOOKAHEAD_PY')
    assert path_arg, 'give the path of lookahead_pytorch.py (argument or LOOKAHEAD_PY)'
    Lookahead = load_lookahead(path_arg)
    self_checks(Lookahead)
    blocks, worst = [], 0.0
    for la, base in CASES:
        for problem in PROBLEMS:
            path = run(Lookahead, la, base, problem)
            worst = max(worst, check_trajectory(Lookahead, la, base, problem, path))
            blocks.append('case lookahead %s %s base=%s %s' % (problem, fmt(la), base[0], fmt(base[1])))
            for t in RECORD:
                blocks.append('step %d %s' % (t, ' '.join('%.17g' % v for v in np.concatenate(path[t]))))
            blocks.append('end')
    lines = ['# optimfs Lookahead reference trajectories, written by tests/ref/make_lookahead_refs.py',
             '# torch %s, numpy %s, dtype float64' % (torch.__version__, np.__version__),
             '# source: %s at commit %s: %s (class Lookahead, pullback_momentum="none"),' % (UPSTREAM, COMMIT, FILE),
             '#   wrapping torch.optim.SGD, Adam, AdamW of torch %s' % torch.__version__,
             '# problems (tests/ref/problems.py), the gradient taken at the parameters before every step:']
    lines += ['#   ' + s for s in PROBLEM_NOTES]
    lines += ['# %d steps per case; after step t in %s: the parameters (fast), then the slow weights' %
              (NSTEPS, ' '.join(map(str, RECORD))),
              '# the slow weights start at theta0; after inner steps k, 2k, ...: fast = alpha fast + (1 - alpha) slow, slow = fast',
              '# keys before base=: Lookahead\'s k (la_steps) and alpha (la_alpha); after it: the base optimizer\'s,',
              '#   by ofs_optim_config field names (beta1, beta2 = torch\'s betas)',
              '# self-checks passed: steps 1 .. k-1 are the base optimizer\'s, the first sync by hand, a NumPy',
              '#   Lookahead(SGD) over 200 steps within 1e-12, alpha = 1 is the base optimizer bit for bit; a 1e-12',
              '#   change of theta0, or an error of 1e-14 in every gradient, changes no value v by more than',
              '#   1e-9 |v| + 1e-12 (the largest change seen is %.2g of that)' % worst]
    print('\n'.join(lines + blocks))


if __name__ == '__main__':
    main()
