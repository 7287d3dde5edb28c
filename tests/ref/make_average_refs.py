#!/usr/bin/env python3
"""Reference runs for optimfs.h's weight averaging (header chapter 5: ofs_average) and
SWALR (chapter 12), from torch.optim.swa_utils itself.

Writes tests/ref/average_ref.txt on stdout. Run from the repository root with PyTorch 1.13
(Debian's python3-torch):

    python3 tests/ref/make_average_refs.py > tests/ref/average_ref.txt

Each case trains one float64 parameter vector with torch.optim.SGD on a problem of
make_optim_refs.py (cubic or wave), and keeps an AveragedModel of it:
  - avg=swa: AveragedModel's default average (the equal-weight mean of its updates);
  - avg=ema: AveragedModel(avg_fn=lambda a, p, n: torch.lerp(a, p, 1 - decay)), the
    exponential moving average written as PyTorch 2.x's get_ema_multi_avg_fn writes it.
The model joins the average after every optimizer step t >= start with (t - start) % every
== 0. With swa_lr given, an SWALR(swa_lr, anneal_epochs, anneal_strategy) is built after
step start (from the rate lr) and stepped after every optimizer step t >= start (the recipe
of the torch.optim documentation, which builds it before training: the same rates, except
that anneal_epochs = 0 would then set swa_lr from the first step), so that the lr of step t
is lr for t <= start and SWALR's value after t - start of its steps otherwise.

Output (lines starting with '#' are comments):

    case <name> key=value ...
    step <t> <theta...>          after optimizer step t, '%.17g'
    avg <t> <average...>         the AveragedModel's parameter after the same step
    end
"""
import warnings

import numpy as np
import torch
from torch.optim.swa_utils import SWALR, AveragedModel

torch.set_default_dtype(torch.float64)
# An SWALR built in mid-training makes 1.13 warn that its first step() came before optimizer.step().
warnings.filterwarnings('ignore', message='Detected call of `lr_scheduler.step')

NSTEPS = 200
RECORD = (1, 2, 3, 5, 10, 25, 50, 51, 75, 100, 101, 110, 125, 150, 175, 200)
from problems import PROBLEMS   # tests/ref/problems.py: cubic and wave
CASES = [   # name, settings (problem, lr, momentum, avg, decay, start, every, swa_lr, anneal, anneal_linear)
    ('swa_swalr', dict(lr=0.05, momentum=0.9, avg='swa', start=100, every=1, swa_lr=0.01, anneal=20)),
    ('swa_swalr_linear', dict(lr=0.05, momentum=0.5, avg='swa', start=50, every=1, swa_lr=0.2, anneal=10,
                              anneal_linear=1)),
    ('swa_every10', dict(lr=0.1, momentum=0.0, avg='swa', start=50, every=10)),
    ('swa_from1', dict(lr=0.02, momentum=0.9, avg='swa', start=1, every=1)),
    ('ema099', dict(lr=0.02, momentum=0.9, avg='ema', decay=0.99, start=1, every=1)),
    ('ema09_late', dict(lr=0.05, momentum=0.0, avg='ema', decay=0.9, start=100, every=1, swa_lr=0.005, anneal=0)),
    ('ema03', dict(lr=0.02, momentum=0.9, avg='ema', decay=0.3, start=1, every=2)),   # lerp weight 0.7 >= 0.5
]
DEFAULTS = dict(momentum=0.0, decay=0.0, every=1, swa_lr=None, anneal=10, anneal_linear=0)


class Vector(torch.nn.Module):
    def __init__(self, theta):
        super().__init__()
        self.p = torch.nn.Parameter(torch.tensor(theta))


def run(problem, h):
    theta0, grad_fn = PROBLEMS[problem]
    model = Vector(theta0.copy())
    opt = torch.optim.SGD(model.parameters(), lr=h['lr'], momentum=h['momentum'])
    if h['avg'] == 'ema':
        w = 1 - h['decay']
        averaged = AveragedModel(model, avg_fn=lambda a, p, n: torch.lerp(a, p, w))
    else:
        averaged = AveragedModel(model)
    sched = None
    out = {}
    for t in range(1, NSTEPS + 1):
        model.p.grad = torch.tensor(grad_fn(model.p.detach().numpy()))
        opt.step()
        if t >= h['start'] and (t - h['start']) % h['every'] == 0:
            averaged.update_parameters(model)
        if h['swa_lr'] is not None and t == h['start']:
            sched = SWALR(opt, swa_lr=h['swa_lr'], anneal_epochs=h['anneal'],
                          anneal_strategy='linear' if h['anneal_linear'] else 'cos')
        if sched is not None:
            sched.step()
        if t in RECORD:
            avg = averaged.module.p.detach().numpy().copy() if averaged.n_averaged > 0 else None
            out[t] = (model.p.detach().numpy().copy(), avg)
    return out


def main():
    lines = ['# optimfs.h weight-averaging references, written by tests/ref/make_average_refs.py',
             '# torch %s, numpy %s, float64; torch.optim.SGD + torch.optim.swa_utils.AveragedModel (+ SWALR)'
             % (torch.__version__, np.__version__),
             '# the average joins after step t >= start with (t - start) %% every == 0; with swa_lr, SWALR is built',
             '#   after step start and stepped after every step t >= start: the lr of step t is lr (t <= start),',
             '#   else SWALR after t - start of its steps',
             '# defaults: ' + ' '.join('%s=%s' % kv for kv in DEFAULTS.items() if kv[1] is not None),
             '# avg=ema: avg_fn = torch.lerp(avg, p, 1 - decay); avg=swa: AveragedModel\'s own mean']
    for name, keys in CASES:
        h = dict(DEFAULTS, **keys)
        for problem in PROBLEMS:
            out = run(problem, h)
            last = out[NSTEPS][1]
            assert last is not None and np.all(np.isfinite(last)), (name, problem)
            assert np.max(np.abs(out[NSTEPS][0] - last)) > 1e-9 or h['avg'] == 'swa' and h['start'] == NSTEPS, (name, problem)
            lines.append('case %s problem=%s %s' % (name, problem, ' '.join('%s=%s' % (k, v) for k, v in keys.items())))
            for t in RECORD:
                theta, avg = out[t]
                lines.append('step %d %s' % (t, ' '.join('%.17g' % x for x in theta)))
                if avg is not None:
                    lines.append('avg %d %s' % (t, ' '.join('%.17g' % x for x in avg)))
            lines.append('end')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
