#!/usr/bin/env python3
"""Reference trajectories for Schedule-Free AdamW and SGD (tests/test_schedfree.c).

The numbers come from the authors' own reference implementations, run unchanged in
float64 on Debian's torch 1.13:

    repository  https://github.com/facebookresearch/schedule_free
    commit      70785b53e778d0e872c0bbb75ff4ee54ee10c291
    files       schedulefree/adamw_schedulefree_reference.py  (AdamWScheduleFreeReference)
                schedulefree/sgd_schedulefree_reference.py    (SGDScheduleFreeReference)

That code is not part of this project. To regenerate, clone it outside the
repository, check out the commit above, and give this script the directory that
holds the `schedulefree` package (argument or SCHEDFREE_PATH), from the root of
this repository:

    git clone https://github.com/facebookresearch/schedule_free /some/where/schedule_free
    git -C /some/where/schedule_free checkout 70785b53e778d0e872c0bbb75ff4ee54ee10c291
    /usr/bin/python3 tests/ref/make_schedfree_refs.py /some/where/schedule_free > tests/ref/schedfree_ref.txt

The two reference files are loaded by path (the package's __init__ imports more than
torch 1.13 needs). The problems are those of tests/ref/make_optim_refs.py (the convex
"cubic" and the non-convex "wave"), 200 steps per case. The gradient is taken at the
parameters the optimizer leaves in p, which is y; after each recorded step the script
prints y and the evaluation point x (state['x']).

Output format (lines starting with '#' are comments):

    case <sfadamw|sfsgd> <problem> key=value ...
    step <t> <y_0> ... <y_n-1> <x_0> ... <x_n-1>     '%.17g'
    end

Keys use the header's names: beta1 is SGD's momentum and AdamW's betas[0]; beta2 is
AdamW's betas[1]; warmup_steps, r, weight_lr_power as upstream. lrsched=1 sets the
group lr to lr*(1 - 0.004*(t-1)) before step t (as make_optim_refs.py). Nothing is
printed unless the self-checks pass: every value finite, y really moves, x and y
differ, the case is well conditioned (relative noise of 1e-13 on
every gradient moves no recorded value by more than 1e-11), and the first step agrees with the update rule computed by hand here.
"""
import contextlib
import importlib.util
import io
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

UPSTREAM = 'facebookresearch/schedule_free'
COMMIT = '70785b53e778d0e872c0bbb75ff4ee54ee10c291'
FILES = {'sfadamw': ('schedulefree/adamw_schedulefree_reference.py', 'AdamWScheduleFreeReference'),
         'sfsgd': ('schedulefree/sgd_schedulefree_reference.py', 'SGDScheduleFreeReference')}
NSTEPS = 200
RECORD = (1, 2, 3, 5, 10, 25, 50, 100, 200)
LRSCHED_SLOPE = 0.004

# The problems of make_optim_refs.py.
from problems import PROBLEMS   # tests/ref/problems.py

DEFAULTS = {'sfadamw': dict(lr=0.0025, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, warmup_steps=0,
                            r=0.0, weight_lr_power=2.0, lrsched=0),
            'sfsgd': dict(lr=1.0, beta1=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0,
                          lrsched=0)}

CASES = [
    ('sfadamw', dict(lr=0.05)),
    ('sfadamw', dict(lr=0.05, warmup_steps=20, weight_decay=0.1)),
    ('sfadamw', dict(lr=0.02, beta1=0.5, beta2=0.99, eps=1e-6, r=1.0, weight_lr_power=0.0)),
    ('sfadamw', dict(lr=0.05, warmup_steps=10, r=2.0, weight_lr_power=1.0, lrsched=1)),
    ('sfadamw', dict(lr=0.02, beta1=0.0, weight_decay=0.5)),
    ('sfsgd', dict(lr=0.05)),
    ('sfsgd', dict(lr=0.1, warmup_steps=10, weight_decay=0.05)),
    ('sfsgd', dict(lr=0.02, beta1=0.5, r=1.0, weight_lr_power=0.0)),
    ('sfsgd', dict(lr=0.05, warmup_steps=5, r=0.5, lrsched=1)),
]


def load_classes(root):
    out = {}
    for opt, (rel, cls) in FILES.items():
        spec = importlib.util.spec_from_file_location('sf_' + opt, os.path.join(root, rel))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out[opt] = getattr(mod, cls)
    return out


def make(classes, opt, hp, p):
    common = dict(lr=hp['lr'], weight_decay=hp['weight_decay'], warmup_steps=int(hp['warmup_steps']), r=hp['r'],
                  weight_lr_power=hp['weight_lr_power'])
    if opt == 'sfadamw':
        o = classes[opt]([p], betas=(hp['beta1'], hp['beta2']), eps=hp['eps'], **common)
    else:
        o = classes[opt]([p], momentum=hp['beta1'], **common)
    with contextlib.redirect_stdout(io.StringIO()):   # the AdamW reference prints a line
        o.train()
    return o


def run(classes, opt, hp, problem, noise=0.0):
    theta0, grad = PROBLEMS[problem]
    rng = np.random.default_rng(7)
    p = torch.nn.Parameter(torch.tensor(theta0))
    o = make(classes, opt, hp, p)
    path = {}
    for t in range(1, NSTEPS + 1):
        if hp['lrsched']:
            o.param_groups[0]['lr'] = hp['lr'] * (1 - LRSCHED_SLOPE * (t - 1))
        g = grad(p.detach().numpy().copy())
        p.grad = torch.tensor(g * (1 + noise * rng.standard_normal(g.shape)))
        o.step()
        st = o.state[p]
        assert torch.equal(st['y'], p.detach())
        path[t] = (p.detach().numpy().copy(), st['x'].numpy().copy())
    return path


def first_step_by_hand(opt, hp, problem):
    """Step 1 from the paper's rule: z1 = z0 - lr1 (d + decay), c1 = 1, x1 = z1, y1 = (1-b) z1 + b x1 = z1."""
    theta0, grad = PROBLEMS[problem]
    lr = hp['lr'] * (1.0 / hp['warmup_steps'] if hp['warmup_steps'] > 0 else 1.0)
    g = grad(theta0)
    if opt == 'sfadamw':
        v = (1 - hp['beta2']) * g * g
        d = g / (np.sqrt(v / (1 - hp['beta2'])) + hp['eps'])
    else:
        d = g
    z = theta0 - lr * hp['weight_decay'] * theta0 - lr * d
    return z, z


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('SCHEDFREE_PATH')
    assert root, 'give the directory holding schedulefree/ (argument or SCHEDFREE_PATH)'
    classes = load_classes(root)
    lines = ['# optimfs Schedule-Free reference trajectories, written by tests/ref/make_schedfree_refs.py',
             '# torch %s, numpy %s, dtype float64' % (torch.__version__, np.__version__),
             '# source: %s at commit %s:' % (UPSTREAM, COMMIT)]
    lines += ['#   %s (%s)' % f for f in FILES.values()]
    lines += ['# problems: as tests/ref/make_optim_refs.py (cubic: theta0 = [1, -2, 0.5]; wave: theta0 = [1.5, -2.5, 0.3, 4])',
              '# %d steps per case; after step t in %s: y (= p, where the gradient is taken) then x' %
              (NSTEPS, ' '.join(map(str, RECORD))),
              '# lrsched=1: before step t (1-based) the group lr is set to lr*(1 - %g*(t-1))' % LRSCHED_SLOPE,
              '# keys: beta1 = SGD momentum / AdamW betas[0], beta2 = AdamW betas[1]']
    for opt, d in DEFAULTS.items():
        lines.append('# defaults %s: %s' % (opt, ' '.join('%s=%r' % kv for kv in d.items())))
    for opt, keys in CASES:
        hp = dict(DEFAULTS[opt], **keys)
        for problem in PROBLEMS:
            path = run(classes, opt, hp, problem)
            ys = np.array([path[t][0] for t in path]); xs = np.array([path[t][1] for t in path])
            assert np.all(np.isfinite(ys)) and np.all(np.isfinite(xs)), (opt, problem, keys)
            assert np.max(np.abs(path[NSTEPS][0] - PROBLEMS[problem][0])) > 1e-2, (opt, problem, keys)
            assert opt == 'sfadamw' and hp['beta1'] == 0 or np.max(np.abs(ys - xs)) > 1e-6, (opt, problem, keys)
            noisy = run(classes, opt, hp, problem, noise=1e-13)   # well conditioned: rounding stays small
            err = max(np.max(np.abs(np.concatenate(noisy[t]) - np.concatenate(path[t]))) /
                      np.max(np.abs(np.concatenate(path[t]))) for t in RECORD)
            assert err <= 1e-11, (opt, problem, keys, err)
            y1, x1 = first_step_by_hand(opt, hp, problem)
            assert np.max(np.abs(path[1][0] - y1)) <= 1e-15 and np.max(np.abs(path[1][1] - x1)) <= 1e-15, (opt, problem)
            shown = ' '.join('%s=%r' % (k, v) for k, v in keys.items())
            lines.append('case %s %s %s' % (opt, problem, shown))
            for t in RECORD:
                lines.append('step %d %s' % (t, ' '.join('%.17g' % v for v in np.concatenate(path[t]))))
            lines.append('end')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
