#!/usr/bin/env python3
"""Reference learning-rate sequences for the optimfs.h schedule tests (header chapter 12).

Writes tests/ref/sched_ref.txt on stdout. Run from the repository root with PyTorch 1.13
(Debian's python3-torch):

    python3 tests/ref/make_sched_refs.py > tests/ref/sched_ref.txt

Almost every case is torch.optim.lr_scheduler itself, driven the usual way: an SGD optimizer
(momentum 0.9, so that OneCycleLR can cycle it), then n-1 times `optimizer.step();
scheduler.step()`, recording the group's lr (and momentum) before each optimizer step. So the
k-th value (k = 0, 1, ...) is the rate of optimizer step k+1, which optimfs.h calls lr(k).

The schedules that exist only in D2L (square root, D2L's polynomial decay, the factor scheduler,
piecewise constant, cosine held at its floor, warmup from 0) have no torch class; their values
are computed here in plain Python float arithmetic, written the way D2L writes them, and the
case is preceded by a comment line that says so. So has warmup-stable-decay (WSD): its cases
transcribe the cooldown formulas of Hagele et al. 2024 (arXiv 2405.18392, section 3), each
labelled so.

Nothing is printed unless every self-check passes (an assertion fails otherwise): the golden
values of OPTIMIZERS.md section 8.2, the D2L numbers quoted by the tutorial, the warm-restart
boundary at k = 242, and the torch defaults this script assumes.

Output format (lines starting with '#' are comments and may appear anywhere):

    case <schedule> key=value ...        keys are optimfs.h's ofs_sched field names; an absent
                                         key has the default of ofs_sched_defaults
    child <schedule> key=value ...       sequential, chained: the children, in order
    lr <v0> <v1> ...                     lr(k) for k = 0, 1, ..., '%.17g'
    momentum <v0> <v1> ...               onecycle with cycle_momentum: the momentum (or beta1)
    end

    case plateau lr=... mode=min|max threshold_mode=rel|abs key=value ...
    metric <m1> <m2> ...                 the metric passed to each step() ('nan' allowed)
    lr <v1> <v2> ...                     the group lr after each step()
    end

Lists (milestones, values) are comma-separated. For onecycle, base_lr is torch's max_lr.
"""
import inspect
import math
import warnings

import torch
from torch.optim import lr_scheduler as L
from torch.optim.swa_utils import SWALR

torch.set_default_dtype(torch.float64)
warnings.filterwarnings('ignore')   # 1.13's SequentialLR calls the deprecated step(epoch)

# optimfs.h's defaults (ofs_sched_defaults), named by ofs_sched field; absent keys take these.
DEFAULTS = dict(gamma=0.1, factor=1 / 3, start_factor=1 / 3, end_factor=1.0, total_iters=5, power=1.0,
                beta=0.0, eta_min=0.0, hold=0, t_mult=1, pct_start=0.3, div_factor=25.0,
                final_div_factor=1e4, base_momentum=0.85, max_momentum=0.95, three_phase=0,
                anneal_linear=0, cycle_momentum=1, warmup_steps=0, warmup_start=0.0)
PLATEAU_DEFAULTS = dict(mode='min', factor=0.1, patience=10, threshold=1e-4, threshold_mode='rel',
                        cooldown=0, min_lr=0.0, eps=1e-8)
DEFAULTS.update(max_lr=0.0, step_size_up=2000, step_size_down=0, cyclic_mode=0, scale_iterations=0, swa_lr=0.0,
                anneal_epochs=10)
KIND_DEFAULTS = {'cyclic': dict(gamma=1.0, base_momentum=0.8, max_momentum=0.9)}   # CyclicLR's own
INT_KEYS = {'step_size', 'total_iters', 't_max', 't_0', 't_mult', 'total_steps', 'warmup_steps', 'hold',
            'three_phase', 'anneal_linear', 'cycle_momentum', 'patience', 'cooldown', 'step_size_up',
            'step_size_down', 'cyclic_mode', 'scale_iterations', 'anneal_epochs', 'decay_steps', 'wsd_shape'}
CYCLIC_MODES = ('triangular', 'triangular2', 'exp_range')

# The functions a case names with fn=NAME (tests/test_sched.c defines the same ones): LambdaLR's
# and MultiplicativeLR's lr_lambda of the step k, CyclicLR's scale_fn of the cycle or the step.
FUNCS = {
    'decay': lambda k: 0.95 ** k,
    'inv': lambda k: 1.0 / (1.0 + 0.1 * k),
    'wave': lambda k: 1.0 + 0.5 * math.sin(0.3 * k),
    'mul_const': lambda k: 0.97,
    'mul_wave': lambda k: 1.0 + 0.05 * math.sin(0.3 * k),
    'scale_inv': lambda x: 1.0 / (1.0 + 0.5 * x),
    'scale_exp': lambda x: 0.99 ** x,
}
FUNC_TEXT = {'decay': '0.95 ** k', 'inv': '1 / (1 + 0.1 k)', 'wave': '1 + 0.5 sin(0.3 k)', 'mul_const': '0.97',
             'mul_wave': '1 + 0.05 sin(0.3 k)', 'scale_inv': '1 / (1 + 0.5 x)', 'scale_exp': '0.99 ** x'}


def check_torch_defaults():
    """The torch defaults this file relies on are the ones of the installed torch."""
    def d(cls, name):
        return inspect.signature(cls.__init__).parameters[name].default
    assert d(L.StepLR, 'gamma') == d(L.MultiStepLR, 'gamma') == DEFAULTS['gamma']
    assert d(L.ConstantLR, 'factor') == DEFAULTS['factor'] and d(L.ConstantLR, 'total_iters') == 5
    assert d(L.LinearLR, 'start_factor') == DEFAULTS['start_factor'] and d(L.LinearLR, 'end_factor') == 1.0
    assert d(L.PolynomialLR, 'total_iters') == 5 and d(L.PolynomialLR, 'power') == 1.0
    assert d(L.CosineAnnealingLR, 'eta_min') == 0 and d(L.CosineAnnealingWarmRestarts, 'T_mult') == 1
    for k, v in dict(pct_start=0.3, div_factor=25.0, final_div_factor=1e4, base_momentum=0.85,
                     max_momentum=0.95, three_phase=False, anneal_strategy='cos').items():
        assert d(L.OneCycleLR, k) == v, k
    for k, v in PLATEAU_DEFAULTS.items():
        assert d(L.ReduceLROnPlateau, k) == v, k
    for k, v in dict(KIND_DEFAULTS['cyclic'], step_size_up=DEFAULTS['step_size_up'], step_size_down=None,
                     mode='triangular', scale_mode='cycle', cycle_momentum=True).items():
        assert d(L.CyclicLR, k) == v, k
    assert d(SWALR, 'anneal_epochs') == DEFAULTS['anneal_epochs'] and d(SWALR, 'anneal_strategy') == 'cos'


# ----------------------------------------------------------------------------------------------
# torch schedulers from optimfs.h's keys

def resolve(keys, kind=None):
    return dict(DEFAULTS, **dict(KIND_DEFAULTS.get(kind, {}), **keys))


def torch_args(kind, h):
    """(torch class, keyword arguments) of a schedule without warmup, from resolved keys h."""
    if kind == 'constant':
        return L.LambdaLR, dict(lr_lambda=lambda k: 1.0)
    if kind == 'constant_factor':
        return L.ConstantLR, dict(factor=h['factor'], total_iters=h['total_iters'])
    if kind == 'linear':
        return L.LinearLR, dict(start_factor=h['start_factor'], end_factor=h['end_factor'],
                                total_iters=h['total_iters'])
    if kind == 'step':
        return L.StepLR, dict(step_size=h['step_size'], gamma=h['gamma'])
    if kind == 'multistep':
        return L.MultiStepLR, dict(milestones=h['milestones'], gamma=h['gamma'])
    if kind == 'exponential':
        return L.ExponentialLR, dict(gamma=h['gamma'])
    if kind == 'polynomial':
        return L.PolynomialLR, dict(total_iters=h['total_iters'], power=h['power'])
    if kind == 'cosine':
        assert not h['hold'], 'torch cosine is periodic'
        return L.CosineAnnealingLR, dict(T_max=h['t_max'], eta_min=h['eta_min'])
    if kind == 'cosine_restarts':
        return L.CosineAnnealingWarmRestarts, dict(T_0=h['t_0'], T_mult=h['t_mult'], eta_min=h['eta_min'])
    if kind == 'cyclic':
        fn = FUNCS[h['fn']] if 'fn' in h else None
        return L.CyclicLR, dict(base_lr=h['base_lr'], max_lr=h['max_lr'], step_size_up=h['step_size_up'],
                                step_size_down=h['step_size_down'] or None, mode=CYCLIC_MODES[h['cyclic_mode']],
                                gamma=h['gamma'], scale_fn=fn, scale_mode='iterations' if h['scale_iterations'] else 'cycle',
                                cycle_momentum=bool(h['cycle_momentum']), base_momentum=h['base_momentum'],
                                max_momentum=h['max_momentum'])
    if kind in ('lambda', 'multiplicative'):
        return (L.LambdaLR if kind == 'lambda' else L.MultiplicativeLR), dict(lr_lambda=FUNCS[h['fn']])
    if kind == 'swalr':
        return SWALR, dict(swa_lr=h['swa_lr'], anneal_epochs=h['anneal_epochs'],
                           anneal_strategy='linear' if h['anneal_linear'] else 'cos')
    if kind == 'onecycle':
        return L.OneCycleLR, dict(max_lr=h['base_lr'], total_steps=h['total_steps'], pct_start=h['pct_start'],
                                  anneal_strategy='linear' if h['anneal_linear'] else 'cos',
                                  cycle_momentum=bool(h['cycle_momentum']), base_momentum=h['base_momentum'],
                                  max_momentum=h['max_momentum'], div_factor=h['div_factor'],
                                  final_div_factor=h['final_div_factor'], three_phase=bool(h['three_phase']))
    raise ValueError(kind)


def show(cls, args):
    names = {id(f): n for n, f in FUNCS.items()}
    text = ', '.join('%s=%s' % (k, ('lambda: ' + FUNC_TEXT[names[id(v)]] if id(v) in names else 'lambda k: 1.0')
                                if callable(v) else v) for k, v in args.items())
    return '%s(%s)' % (cls.__name__, text)


def build(opt, kind, keys, children=()):
    """(torch scheduler on opt, its description) for (kind, keys); a warmup becomes SequentialLR's
    first phase."""
    h = resolve(keys, kind)
    if h['warmup_steps'] > 0:
        w = h['warmup_steps']
        warm = L.LinearLR(opt, start_factor=h['warmup_start'], end_factor=1.0, total_iters=w)
        inner, text = build(opt, kind, dict(keys, warmup_steps=0), children)
        return (L.SequentialLR(opt, [warm, inner], milestones=[w]),
                'SequentialLR([LinearLR(start_factor=%r, end_factor=1.0, total_iters=%d), %s], milestones=[%d])'
                % (h['warmup_start'], w, text, w))
    if kind in ('sequential', 'chained'):
        kids = [build(opt, ck, ckeys) for ck, ckeys in children]
        scheds, texts = [k[0] for k in kids], ', '.join(k[1] for k in kids)
        if kind == 'sequential':
            return (L.SequentialLR(opt, scheds, milestones=h['milestones']),
                    'SequentialLR([%s], milestones=%s)' % (texts, h['milestones']))
        return L.ChainedScheduler(scheds), 'ChainedScheduler([%s])' % texts
    cls, args = torch_args(kind, h)
    return cls(opt, **args), show(cls, args)


def make_opt(lr, adam=False):
    p = torch.nn.Parameter(torch.zeros(1))
    if adam:
        return torch.optim.Adam([p], lr=lr)
    return torch.optim.SGD([p], lr=lr, momentum=0.9)


def run_torch(kind, keys, n, children=(), adam=False):
    """(lrs, momenta) for k = 0..n-1."""
    opt = make_opt(keys['base_lr'], adam)
    sched = build(opt, kind, keys, children)[0]
    group = opt.param_groups[0]
    lrs, moms = [], []
    for k in range(n):
        lrs.append(group['lr'])
        moms.append(group['betas'][0] if adam else group['momentum'])
        if k < n - 1:
            opt.step()
            sched.step()
    return lrs, moms


# ----------------------------------------------------------------------------------------------
# D2L's schedulers (d2l-en, chapter_optimization/lr-scheduler.md and sgd.md), as D2L writes them

class D2LCosineScheduler:
    def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0, warmup_begin_lr=0):
        self.base_lr_orig, self.max_update, self.final_lr = base_lr, max_update, final_lr
        self.warmup_steps, self.warmup_begin_lr = warmup_steps, warmup_begin_lr
        self.max_steps = self.max_update - self.warmup_steps

    def get_warmup_lr(self, epoch):
        increase = (self.base_lr_orig - self.warmup_begin_lr) * float(epoch) / float(self.warmup_steps)
        return self.warmup_begin_lr + increase

    def __call__(self, epoch):
        if epoch < self.warmup_steps:
            return self.get_warmup_lr(epoch)
        if epoch <= self.max_update:
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * (
                1 + math.cos(math.pi * (epoch - self.warmup_steps) / self.max_steps)) / 2
        return self.base_lr


def d2l_cosine(n, *args, **kwargs):
    """scheduler(t) for t = 0..n-1, called in order on one instance, as D2L plots it."""
    sched = D2LCosineScheduler(*args, **kwargs)
    return [sched(t) for t in range(n)]


def d2l_factor(n, factor, stop_factor_lr, base_lr):
    """FactorScheduler: eta_{t+1} = max(stop, factor*eta_t). D2L's train loop sets the lr of epoch
    t+1 to scheduler(t), so epoch t runs at eta_t: base_lr, then the successive calls."""
    out, lr = [], base_lr
    for _ in range(n):
        out.append(lr)
        lr = max(stop_factor_lr, lr * factor)
    return out


D2L_CASES = [
    ('D2L CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01): scheduler(t), t = 0..29; '
     'held at final_lr after max_update',
     'cosine', dict(base_lr=0.3, t_max=20, eta_min=0.01, hold=1),
     lambda n: d2l_cosine(n, 20, 0.3, 0.01), 30),
    ('D2L CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01): linear warmup from 0, '
     'then cosine over the remaining 15 steps; scheduler(t), t = 0..29',
     'cosine', dict(base_lr=0.3, t_max=15, eta_min=0.01, hold=1, warmup_steps=5),
     lambda n: d2l_cosine(n, 20, 0.3, 0.01, warmup_steps=5), 30),
    ('D2L CosineScheduler(100, warmup_steps=10, base_lr=0.5, final_lr=0.0, warmup_begin_lr=0.05)',
     'cosine', dict(base_lr=0.5, t_max=90, hold=1, warmup_steps=10, warmup_start=0.1),
     lambda n: d2l_cosine(n, 100, 0.5, 0.0, 10, 0.05), 120),
    ('D2L SquareRootScheduler(lr=0.1): lr * pow(t + 1.0, -0.5)',
     'sqrt', dict(base_lr=0.1), lambda n: [0.1 * pow(t + 1.0, -0.5) for t in range(n)], 60),
    ('D2L SquareRootScheduler(lr=2.5)',
     'sqrt', dict(base_lr=2.5), lambda n: [2.5 * pow(t + 1.0, -0.5) for t in range(n)], 50),
    ('D2L FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0): eta_t, eta_{t+1} = '
     'max(stop, 0.9 eta_t)',
     'factor', dict(base_lr=2.0, gamma=0.9, eta_min=1e-2), lambda n: d2l_factor(n, 0.9, 1e-2, 2.0), 60),
    ('D2L FactorScheduler(factor=0.5, stop_factor_lr=1e-3, base_lr=0.1)',
     'factor', dict(base_lr=0.1, gamma=0.5, eta_min=1e-3), lambda n: d2l_factor(n, 0.5, 1e-3, 0.1), 50),
    ('D2L sgd.md polynomial decay: eta * (1 + 0.1 t) ** (-0.5)',
     'inverse_power', dict(base_lr=0.1, beta=0.1, power=0.5),
     lambda n: [0.1 * (1 + 0.1 * t) ** (-0.5) for t in range(n)], 60),
    ('D2L polynomial decay eta0 (beta t + 1)^-alpha with eta0 = 1, beta = 0.5, alpha = 2',
     'inverse_power', dict(base_lr=1.0, beta=0.5, power=2.0),
     lambda n: [1.0 * (0.5 * t + 1) ** (-2.0) for t in range(n)], 50),
    ('D2L sgd.md exponential decay: eta * math.exp(-0.1 * t) (gamma = exp(-0.1))',
     'exponential', dict(base_lr=0.1, gamma=math.exp(-0.1)),
     lambda n: [0.1 * math.exp(-0.1 * t) for t in range(n)], 60),
    ('piecewise constant (D2L sgd.md: eta_i for t_i <= t < t_{i+1}); factors of eta0 = 0.5',
     'piecewise', dict(base_lr=0.5, milestones=[10, 25, 40], values=[1.0, 0.5, 0.1, 0.02]),
     lambda n: [0.5 * [1.0, 0.5, 0.1, 0.02][sum(1 for m in (10, 25, 40) if m <= t)] for t in range(n)], 60),
    ('piecewise constant with a milestone at 0 and a rising value',
     'piecewise', dict(base_lr=2.0, milestones=[0, 5, 6], values=[9.0, 0.25, 1.5, 0.125]),
     lambda n: [2.0 * [9.0, 0.25, 1.5, 0.125][sum(1 for m in (0, 5, 6) if m <= t)] for t in range(n)], 50),
]

# ----------------------------------------------------------------------------------------------
# Warmup-stable-decay (no torch class). Hagele et al. 2024, "Scaling Laws and Compute-Optimal
# Training Beyond Fixed Training Durations", section 3: a constant rate, then a cooldown over the
# last N_decay of N steps, f(n, N, N_decay) = 1 - sqrt((n - (N - N_decay)) / N_decay) for their
# (1-sqrt) and 1 - (n - (N - N_decay)) / N_decay for the linear one; their code's other decay
# types are cosine, (1 + cos(pi p)) / 2, and square, 1 - p^2; the floor enters as
# floor + (peak - floor) f, and N_decay = int(fraction N). k counts from the end of the warmup.

WSD_SHAPES = {0: lambda p: 1 - p, 1: lambda p: (1 + math.cos(math.pi * p)) / 2,
              2: lambda p: 1 - math.sqrt(p), 3: lambda p: 1 - p * p}
WSD_NAMES = {0: 'linear', 1: 'cosine', 2: '1-sqrt', 3: '1-square'}


def wsd_paper(n, keys):
    eta0, big_n, floor = keys['base_lr'], keys['total_steps'], keys.get('eta_min', 0.0)
    d = keys['decay_steps'] if keys.get('decay_steps', 0) > 0 else int(keys['decay_fraction'] * big_n)
    w, ws = keys.get('warmup_steps', 0), keys.get('warmup_start', 0.0)
    out = []
    for k in range(n):
        if k < w:
            out.append(eta0 * (ws + (1 - ws) * k / w))
            continue
        j = k - w
        if j < big_n - d:
            out.append(eta0)
            continue
        p = min(1.0, (j - (big_n - d)) / d)
        out.append(floor + (eta0 - floor) * WSD_SHAPES[keys['wsd_shape']](p))
    return out


WSD_CASES = [
    dict(base_lr=0.1, total_steps=150, decay_steps=30, decay_fraction=0.2, wsd_shape=0),
    dict(base_lr=0.1, total_steps=180, decay_steps=0, decay_fraction=0.2, wsd_shape=1, eta_min=0.01),
    dict(base_lr=0.5, total_steps=200, decay_steps=0, decay_fraction=0.2, wsd_shape=2),
    dict(base_lr=0.3, total_steps=160, decay_steps=50, decay_fraction=0.2, wsd_shape=3, eta_min=1e-3,
         warmup_steps=20, warmup_start=0.1),
    dict(base_lr=0.05, total_steps=100, decay_steps=100, decay_fraction=0.2, wsd_shape=2, eta_min=0.005),
    dict(base_lr=0.2, total_steps=173, decay_steps=0, decay_fraction=0.1, wsd_shape=0, warmup_steps=7),
]


def check_wsd():
    """A few values worked out by hand from the formulas."""
    v = wsd_paper(201, WSD_CASES[2])          # N = 200, D = 40, 1-sqrt from k = 160
    assert v[159] == 0.5 and close(v[170], 0.5 * (1 - math.sqrt(0.25))) and v[200] == 0.0, v[155:]
    v = wsd_paper(200, WSD_CASES[0])          # N = 150, D = 30, linear from k = 120
    assert v[119] == 0.1 and close(v[135], 0.05) and v[150] == 0.0 and v[199] == 0.0, v[115:]
    v = wsd_paper(200, WSD_CASES[3])          # warmup 20, then N = 160, D = 50 from j = 110; p = 0.5 at j = 135
    assert close(v[10], 0.3 * (0.1 + 0.9 * 0.5)) and close(v[155], 1e-3 + (0.3 - 1e-3) * 0.75), v[150:160]
    v = wsd_paper(200, WSD_CASES[1])          # cosine, D = 36 from k = 144: halfway at k = 162
    assert close(v[162], 0.01 + 0.09 * 0.5) and v[180] == 0.01, v[160:]
    v = wsd_paper(200, WSD_CASES[5])          # int(0.1 * 173) = 17
    assert v[7 + 156] == 0.2 and close(v[7 + 157], 0.2 * (1 - 1 / 17)), v[160:170]   # p = 0 at j = N - D


# ----------------------------------------------------------------------------------------------
# torch cases: (kind, keys, n, children)

TORCH_CASES = [
    ('constant', dict(base_lr=0.1), 50, ()),
    ('constant_factor', dict(base_lr=0.1, factor=0.25, total_iters=3), 50, ()),
    ('constant_factor', dict(base_lr=0.1), 50, ()),
    ('constant_factor', dict(base_lr=0.7, factor=1.0, total_iters=4), 50, ()),
    ('constant_factor', dict(base_lr=0.05, factor=0.5, total_iters=1), 50, ()),
    ('linear', dict(base_lr=0.1, start_factor=0.1, end_factor=1.0, total_iters=4), 50, ()),
    ('linear', dict(base_lr=0.1), 50, ()),
    ('linear', dict(base_lr=0.1, start_factor=1.0, end_factor=0.1, total_iters=50), 100, ()),
    ('linear', dict(base_lr=0.3, start_factor=0.5, end_factor=0.0, total_iters=10), 50, ()),
    ('linear', dict(base_lr=1.0, start_factor=0.01, total_iters=100), 120, ()),
    ('step', dict(base_lr=0.1, step_size=3, gamma=0.5), 60, ()),
    ('step', dict(base_lr=0.1, step_size=7, gamma=0.3), 100, ()),
    ('step', dict(base_lr=0.1, step_size=1, gamma=0.9), 50, ()),
    ('step', dict(base_lr=0.01, step_size=10, gamma=2.0), 50, ()),
    ('multistep', dict(base_lr=0.1, milestones=[2, 2, 5], gamma=0.1), 60, ()),
    ('multistep', dict(base_lr=0.1, milestones=[5, 5, 20, 40], gamma=0.5), 100, ()),
    ('multistep', dict(base_lr=0.1, milestones=[0, 10, 30], gamma=0.2), 60, ()),
    ('multistep', dict(base_lr=0.5, milestones=[15, 30], gamma=0.5), 50, ()),    # D2L's MultiFactor
    ('exponential', dict(base_lr=0.1, gamma=0.9), 60, ()),
    ('exponential', dict(base_lr=0.1, gamma=0.97), 200, ()),
    ('exponential', dict(base_lr=1e-3, gamma=1.05), 50, ()),
    ('polynomial', dict(base_lr=0.1, total_iters=4, power=2.0), 50, ()),
    ('polynomial', dict(base_lr=0.1), 50, ()),
    ('polynomial', dict(base_lr=0.1, total_iters=50, power=0.9), 100, ()),
    ('polynomial', dict(base_lr=0.3, total_iters=20, power=2.0), 50, ()),
    ('polynomial', dict(base_lr=0.1, total_iters=10, power=0.5), 50, ()),
    ('cosine', dict(base_lr=0.1, t_max=4, eta_min=0.01), 60, ()),              # periodic past t_max
    ('cosine', dict(base_lr=0.1, t_max=10), 60, ()),
    ('cosine', dict(base_lr=0.1, t_max=100, eta_min=0.001), 250, ()),
    ('cosine', dict(base_lr=0.1, t_max=7), 50, ()),
    ('cosine', dict(base_lr=0.3, t_max=20, eta_min=0.01), 60, ()),           # D2L's, the torch way
    ('cosine', dict(base_lr=0.1, t_max=1), 50, ()),
    ('cosine_restarts', dict(base_lr=0.1, t_0=2, t_mult=2), 60, ()),
    ('cosine_restarts', dict(base_lr=0.1, t_0=10), 60, ()),
    ('cosine_restarts', dict(base_lr=0.1, t_0=5, t_mult=2, eta_min=0.001), 100, ()),
    ('cosine_restarts', dict(base_lr=0.1, t_0=3, t_mult=3), 60, ()),
    ('cosine_restarts', dict(base_lr=0.1, t_0=2, t_mult=3), 250, ()),        # k = 242 is a restart
    ('cosine_restarts', dict(base_lr=0.1, t_0=1, t_mult=3), 130, ()),        # k = 121
    ('cosine_restarts', dict(base_lr=0.1, t_0=1, t_mult=10), 120, ()),       # k = 111
    ('cosine_restarts', dict(base_lr=0.1, t_0=1), 50, ()),
    ('onecycle', dict(base_lr=1.0, total_steps=10), 11, ()),
    ('onecycle', dict(base_lr=1.0, total_steps=10, anneal_linear=1, three_phase=1), 11, ()),
    ('onecycle', dict(base_lr=1.0, total_steps=100), 101, ()),
    ('onecycle', dict(base_lr=1.0, total_steps=100, anneal_linear=1), 101, ()),
    ('onecycle', dict(base_lr=1.0, total_steps=100, three_phase=1), 101, ()),
    ('onecycle', dict(base_lr=0.5, total_steps=100, three_phase=1, anneal_linear=1, pct_start=0.4), 101, ()),
    ('onecycle', dict(base_lr=0.1, total_steps=57, pct_start=0.25, div_factor=10.0, final_div_factor=100.0,
                      anneal_linear=1), 58, ()),
    ('onecycle', dict(base_lr=0.01, total_steps=50, base_momentum=0.8, max_momentum=0.9), 51, ()),
    ('onecycle', dict(base_lr=0.2, total_steps=64, cycle_momentum=0, pct_start=0.1), 65, ()),
    ('onecycle', dict(base_lr=0.05, total_steps=7, pct_start=0.5), 8, ()),   # boundaries 2.5, 6
    ('sequential', dict(base_lr=0.1, milestones=[3]), 50,
     (('linear', dict(start_factor=0.1, end_factor=1.0, total_iters=3)), ('exponential', dict(gamma=0.5)))),
    ('sequential', dict(base_lr=0.1, milestones=[5]), 60,
     (('linear', dict(start_factor=0.1, total_iters=5)), ('cosine', dict(t_max=20)))),
    ('sequential', dict(base_lr=1.0, milestones=[2]), 50,
     (('constant_factor', dict(factor=0.1, total_iters=2)), ('exponential', dict(gamma=0.9)))),
    ('sequential', dict(base_lr=0.2, milestones=[4, 20]), 60,
     (('constant_factor', dict(factor=0.5, total_iters=2)), ('step', dict(step_size=3, gamma=0.5)),
      ('cosine', dict(t_max=10, eta_min=0.001)))),
    ('sequential', dict(base_lr=0.1, milestones=[10, 30]), 60,
     (('linear', dict(start_factor=0.25, total_iters=10)), ('multistep', dict(milestones=[5, 5, 12], gamma=0.5)),
      ('polynomial', dict(total_iters=20, power=2.0)))),
    ('chained', dict(base_lr=1.0), 50,
     (('constant_factor', dict(factor=0.1, total_iters=2)), ('exponential', dict(gamma=0.9)))),
    ('chained', dict(base_lr=0.1), 50,
     (('linear', dict(start_factor=0.1, total_iters=3)), ('exponential', dict(gamma=0.5)))),
    ('chained', dict(base_lr=0.1), 60,
     (('step', dict(step_size=5, gamma=0.5)), ('linear', dict(start_factor=0.2, total_iters=10)))),
    ('chained', dict(base_lr=0.3), 50,
     (('multistep', dict(milestones=[3, 3, 9], gamma=0.3)), ('polynomial', dict(total_iters=30, power=2.0)),
      ('constant_factor', dict(factor=0.5, total_iters=4)))),
    # warmup_steps: SequentialLR([LinearLR(warmup_start, 1, warmup_steps), the schedule], [warmup_steps])
    ('cosine', dict(base_lr=0.1, t_max=20, warmup_steps=5, warmup_start=0.1), 60, ()),
    ('cosine', dict(base_lr=0.3, t_max=15, eta_min=0.01, warmup_steps=5, warmup_start=0.01), 50, ()),
    ('step', dict(base_lr=0.1, step_size=4, gamma=0.5, warmup_steps=3, warmup_start=1 / 3), 50, ()),
    ('exponential', dict(base_lr=0.05, gamma=0.95, warmup_steps=10, warmup_start=0.01), 60, ()),
    ('polynomial', dict(base_lr=0.1, total_iters=40, power=1.0, warmup_steps=8, warmup_start=0.125), 60, ()),
    ('multistep', dict(base_lr=0.1, milestones=[10, 20], warmup_steps=6, warmup_start=0.5), 50, ()),
    ('cosine_restarts', dict(base_lr=0.1, t_0=4, t_mult=2, warmup_steps=5, warmup_start=0.2), 60, ()),
    # CyclicLR (momentum cycled unless cycle_momentum=0), LambdaLR, MultiplicativeLR, SWALR
    ('cyclic', dict(base_lr=0.01, max_lr=0.1, step_size_up=5), 200, ()),
    ('cyclic', dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=8, cyclic_mode=1), 200, ()),
    ('cyclic', dict(base_lr=0.001, max_lr=0.05, step_size_up=6, cyclic_mode=2, gamma=0.97), 200, ()),
    ('cyclic', dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, fn='scale_inv', cycle_momentum=0), 200, ()),
    ('cyclic', dict(base_lr=0.01, max_lr=0.1, step_size_up=5, fn='scale_exp', scale_iterations=1, base_momentum=0.7,
                    max_momentum=0.95), 200, ()),
    ('cyclic', dict(base_lr=0.1, max_lr=0.02, step_size_up=2, step_size_down=3, cyclic_mode=1), 200, ()),   # max < base
    ('cyclic', dict(base_lr=0.02, max_lr=0.2, step_size_up=7, cycle_momentum=0, warmup_steps=4, warmup_start=0.25), 200, ()),
    ('lambda', dict(base_lr=0.1, fn='decay'), 200, ()),
    ('lambda', dict(base_lr=0.1, fn='wave'), 200, ()),
    ('lambda', dict(base_lr=0.2, fn='inv', warmup_steps=5, warmup_start=0.1), 200, ()),
    ('multiplicative', dict(base_lr=0.1, fn='mul_const'), 200, ()),
    ('multiplicative', dict(base_lr=0.1, fn='mul_wave'), 200, ()),
    ('chained', dict(base_lr=0.1), 200,
     (('multiplicative', dict(fn='mul_wave')), ('step', dict(step_size=7, gamma=0.5)))),
    ('sequential', dict(base_lr=0.1, milestones=[10]), 200, (('cosine', dict(t_max=10)), ('lambda', dict(fn='inv')))),
    ('swalr', dict(base_lr=0.1, swa_lr=0.01), 200, ()),
    ('swalr', dict(base_lr=0.1, swa_lr=0.05, anneal_epochs=5, anneal_linear=1), 200, ()),
    ('swalr', dict(base_lr=0.1, swa_lr=0.02, anneal_epochs=0), 200, ()),
    ('swalr', dict(base_lr=0.1, swa_lr=0.02, anneal_epochs=1), 200, ()),
    ('swalr', dict(base_lr=0.01, swa_lr=0.05, anneal_epochs=7), 200, ()),
]


def torch_description(kind, keys, children):
    text = build(make_opt(keys['base_lr']), kind, keys, children)[1]
    lr = '' if kind == 'onecycle' else 'lr=%r, ' % keys['base_lr']   # OneCycleLR sets its own
    where = 'torch.optim.swa_utils.' if kind == 'swalr' else 'torch.optim.lr_scheduler.'
    return '%s%s on SGD(%smomentum=0.9)' % (where, text, lr)


# ----------------------------------------------------------------------------------------------
# ReduceLROnPlateau: (keys, metrics)

def noisy_loss(n, seed_phase):
    """A deterministic, plateauing loss: decays, then wiggles."""
    return [1.0 / (1.0 + 0.2 * k) + 0.05 * math.sin(1.7 * k + seed_phase) for k in range(n)]


GOLDEN_METRICS = [10, 9.5, 9.4, 9.3, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
PLATEAU_CASES = [
    (dict(lr=0.1, mode='min', factor=0.5, patience=1, threshold=0.1, cooldown=1, min_lr=0.02),
     GOLDEN_METRICS + [7.0] * 8 + [8.0] * 30),
    (dict(lr=0.1), noisy_loss(80, 0.0)),
    (dict(lr=0.1, patience=2, cooldown=3, factor=0.5, min_lr=1e-3), noisy_loss(80, 1.0)),
    (dict(lr=0.1, patience=2, threshold=0.02, threshold_mode='abs', min_lr=0.0005, factor=0.3),
     noisy_loss(80, 2.0)),
    (dict(lr=0.05, mode='max', patience=3, cooldown=2, factor=0.5, min_lr=0.002),
     [1 - v for v in noisy_loss(80, 0.5)]),
    (dict(lr=0.05, mode='max', patience=1, threshold=0.01, threshold_mode='abs', cooldown=1, factor=0.7),
     [1 - v for v in noisy_loss(80, 3.0)]),
    # rel mode with negative metrics: best*(1-thr) lies above best, so slightly worse counts as better
    (dict(lr=0.1, patience=0, threshold=0.1, factor=0.5),
     [-1.0, -0.95, -0.92, -0.91, -0.905, -0.9, -0.9, -0.9, -0.9, -0.9] * 5),
    # NaN is always a bad epoch; patience 0 reduces on every bad epoch
    (dict(lr=1.0, patience=0, factor=0.5), [5.0, 4.0, float('nan'), 3.0, float('nan'), float('nan')] * 9),
    # eps: a reduction smaller than eps is skipped, so the lr stops falling near 2e-8
    (dict(lr=1e-6, patience=0, factor=0.5, eps=1e-8), [1.0] * 60),
    (dict(lr=0.1, patience=0, factor=0.9, eps=0.0, min_lr=0.05, mode='max'), [0.0] * 50),
]


def run_plateau(keys, metrics):
    h = dict(PLATEAU_DEFAULTS, **keys)
    opt = make_opt(h.pop('lr'))
    sched = L.ReduceLROnPlateau(opt, **h)
    out = []
    for m in metrics:
        opt.step()
        sched.step(m)
        out.append(opt.param_groups[0]['lr'])
    return out


# ----------------------------------------------------------------------------------------------
# Output

def fmt_value(k, v):
    if k == 'fn':
        return v
    if isinstance(v, (list, tuple)):
        return ','.join(fmt_value(k, x) for x in v)
    if isinstance(v, str):
        return v
    return str(int(v)) if k in INT_KEYS or k == 'milestones' else repr(float(v))


def fmt_keys(keys):
    return ' '.join('%s=%s' % (k, fmt_value(k, v)) for k, v in keys.items())


def fmt_seq(values):
    return ' '.join('nan' if v != v else '%.17g' % v for v in values)


def emit_case(lines, comment, kind, keys, lrs, moms=None, children=()):
    lines.append('# ' + comment)
    lines.append('case %s %s' % (kind, fmt_keys(keys)))
    for ck, ckeys in children:
        lines.append(('child %s %s' % (ck, fmt_keys(ckeys))).rstrip())
    lines.append('lr ' + fmt_seq(lrs))
    if moms is not None:
        lines.append('momentum ' + fmt_seq(moms))
    lines.append('end')


def close(a, b, tol=1e-15):
    return abs(a - b) <= tol * max(abs(b), 1e-300)


def self_checks():
    check_torch_defaults()
    # OPTIMIZERS.md section 8.2 (a few rows, exactly as printed there)
    lrs, _ = run_torch('multistep', dict(base_lr=0.1, milestones=[2, 2, 5]), 8)
    assert ['%.17g' % v for v in lrs[:6]] == ['0.10000000000000001'] * 2 + ['0.0010000000000000002'] * 3 + [
        '0.00010000000000000003'], lrs
    lrs, moms = run_torch('onecycle', dict(base_lr=1.0, total_steps=10), 10)
    assert '%.17g' % lrs[0] == '0.040000000000000036' and '%.17g' % lrs[9] == '3.9999999999999998e-06'
    assert '%.17g' % moms[3] == '0.85495155660487898'
    lrs, _ = run_torch('cosine', dict(base_lr=0.1, t_max=4, eta_min=0.01), 11)
    assert '%.17g' % lrs[10] == '0.055000000000000049', lrs
    plat = run_plateau(PLATEAU_CASES[0][0], GOLDEN_METRICS)
    assert ['%.17g' % v for v in plat] == ['0.10000000000000001'] * 2 + ['0.050000000000000003'] * 4 + [
        '0.025000000000000001'] * 3 + ['0.02'] * 3, plat
    # OneCycle writes beta1 of Adam exactly as it writes SGD's momentum
    keys = dict(base_lr=0.1, total_steps=30, three_phase=1)
    assert run_torch('onecycle', keys, 31)[1] == run_torch('onecycle', keys, 31, adam=True)[1]
    # the warm-restart boundary: incremental step() is at a restart (eta0) where step(242) says 0
    lrs, _ = run_torch('cosine_restarts', dict(base_lr=0.1, t_0=2, t_mult=3), 250)
    assert lrs[242] == 0.1 and lrs[241] < 1e-3, lrs[240:244]
    # the numbers the tutorial quotes (TUTORIAL.md, chapter 12)
    cos = D2L_CASES[0][3](30)
    assert ('%f' % cos[1], '%f' % cos[10]) == ('0.298215', '0.155000'), cos
    warm = ['%f' % v for v in D2L_CASES[1][3](30)[:7]]
    assert warm == ['0.000000', '0.060000', '0.120000', '0.180000', '0.240000', '0.300000', '0.296831'], warm
    # torch's SequentialLR([LinearLR, Cosine]) equals the D2L warmup where both are defined
    a, _ = run_torch('cosine', dict(base_lr=0.3, t_max=15, eta_min=0.01, warmup_steps=5, warmup_start=0.01), 21)
    b = d2l_cosine(21, 20, 0.3, 0.01, warmup_steps=5, warmup_begin_lr=0.003)
    assert all(close(x, y, 1e-14) for x, y in zip(a, b)), (a, b)
    check_wsd()


def main():
    self_checks()
    lines = [
        '# optimfs.h learning-rate schedule references, written by tests/ref/make_sched_refs.py',
        '# torch %s, float64 (torch.set_default_dtype(torch.float64)); values printed with %%.17g' %
        torch.__version__,
        '# lr k: the group lr before optimizer step k+1 (k = 0 is the value after construction; each later',
        '#   value follows one optimizer.step(); scheduler.step()), which optimfs.h calls lr(k)',
        '# keys are ofs_sched field names; an absent key has its ofs_sched_defaults value:',
        '#   ' + fmt_keys(DEFAULTS),
        '# onecycle: base_lr is max_lr; momentum is the SGD momentum (Adam\'s beta1 is identical)',
        '# cyclic has its own defaults: ' + fmt_keys(KIND_DEFAULTS['cyclic']) + '; its momentum is SGD\'s',
        '# fn=NAME names lr_lambda (lambda, multiplicative) or scale_fn (cyclic): ' +
        ', '.join('%s: %s' % (n, FUNC_TEXT[n]) for n in FUNCS),
        '# warmup_steps=W: torch SequentialLR([LinearLR(warmup_start, 1.0, W), the schedule], milestones=[W])',
        '# cosine hold=1 (D2L) has no torch class: those cases are D2L code, labelled as such',
        '# plateau: metric per step and the lr after each step; defaults ' + fmt_keys(PLATEAU_DEFAULTS),
    ]
    for kind, keys, n, children in TORCH_CASES:
        lrs, moms = run_torch(kind, keys, n, children)
        cyc = kind in ('onecycle', 'cyclic') and resolve(keys, kind)['cycle_momentum']
        emit_case(lines, torch_description(kind, keys, children), kind, keys, lrs, moms if cyc else None, children)
    for comment, kind, keys, fn, n in D2L_CASES:
        emit_case(lines, 'plain Python (no torch class): ' + comment, kind, keys, fn(n))
    for keys in WSD_CASES:
        emit_case(lines, 'plain Python (no torch class): a transcription of the paper\'s formula, Hagele et al. 2024 '
                  '(arXiv 2405.18392) section 3, %s cooldown to eta_min over the last decay_steps (or '
                  'int(decay_fraction total_steps)) of total_steps' % WSD_NAMES[keys['wsd_shape']], 'wsd', keys,
                  wsd_paper(200, keys))
    for keys, metrics in PLATEAU_CASES:
        h = dict(PLATEAU_DEFAULTS, **keys)
        lines.append('# torch.optim.lr_scheduler.ReduceLROnPlateau(%s) on SGD(lr=%r, momentum=0.9)' % (
            ', '.join('%s=%r' % (k, v) for k, v in h.items() if k != 'lr'), h['lr']))
        lines.append('case plateau ' + fmt_keys(keys))
        lines.append('metric ' + fmt_seq(metrics))
        lines.append('lr ' + fmt_seq(run_plateau(keys, metrics)))
        lines.append('end')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
