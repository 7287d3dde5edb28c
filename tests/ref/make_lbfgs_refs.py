#!/usr/bin/env python3
"""Reference runs of torch.optim.LBFGS for the optimfs.h L-BFGS tests.

Writes tests/ref/lbfgs_ref.txt on stdout. Run from the repository root with
PyTorch 1.13 (Debian's python3-torch):

    /usr/bin/python3 tests/ref/make_lbfgs_refs.py > tests/ref/lbfgs_ref.txt

Each case creates one torch.optim.LBFGS over one parameter tensor and calls
optimizer.step(closure) STEPS times, exactly as a user would. Nothing inside
torch is changed. What is recorded:

  - every call of the closure (the point x it was called at and the loss it
    returned): the closure appends them to a log as torch calls it;
  - every inner iteration: torch moves the parameters once per inner iteration
    (LBFGS._add_grad, outside the line search's trial evaluations). That method
    is wrapped on the optimizer object, calling the original, to log the point
    after each move and the state's iteration counter; its loss is the objective
    evaluated here, outside torch (not a closure call, not counted);
  - after each step(): the loss step() returned, the state's cumulative
    func_evals and n_iter, the history length, t and H_diag, the parameters, and
    why the step stopped. torch does not say why; it is read off what was
    observed, in the order torch checks (see stop_reason), and each reason is
    checked against the numbers it depends on.

The objectives compute f and the gradient in Python floats (IEEE double), in
the same order of operations as the C tests, so both sides see the same bits.

Output format (lines starting with '#' are comments):

    case <name> problem=<p> dtype=<float64|float32> line_search=<none|strong_wolfe>
         lr=.. max_iter=.. max_eval=.. tolerance_grad=.. tolerance_change=..
         history_size=.. steps=..                         (one line)
    x0 <x_0> <x_1> ...
    eval <k> <f> <x_0> ...         the k-th closure call (k = 1, 2, ... over the case)
    iter <k> <f> <x_0> ...         the point after inner iteration k (state n_iter)
    step <s> <loss> <func_evals> <n_iter> <history> <stop> <t> <H_diag> <x_0> ...
    end

Numbers are printed with '%.17g' (exact for float64 and for float32 values).
Nothing is printed unless every self-check passes.
"""
import math
import sys

import torch

torch.set_default_dtype(torch.float64)


# ----------------------------------------------------------------------------------------------
# Objectives: f(x) and grad f(x) in Python floats. The C tests write the same expressions.

def rosenbrock(x):
    """(1 - u)^2 + 100 (v - u^2)^2, as ofs_toy_eval computes it (a = 1, b = 100)."""
    a, b = 1.0, 100.0
    u, v = x
    r = v - u * u
    f = (a - u) * (a - u) + b * r * r
    g = [-2 * (a - u) - 4 * b * u * r, 2 * b * r]
    return f, g


def rosenbrock10(x):
    """The chained Rosenbrock function in 10 dimensions, sum_i (1 - x_i)^2 + 100 (x_{i+1} - x_i^2)^2."""
    n = len(x)
    f = 0.0
    g = [0.0] * n
    for i in range(n - 1):
        u, v = x[i], x[i + 1]
        r = v - u * u
        f = f + (1.0 - u) * (1.0 - u) + 100.0 * r * r
        g[i] = g[i] + (-2 * (1.0 - u) - 4 * 100.0 * u * r)
        g[i + 1] = g[i + 1] + 2 * 100.0 * r
    return f, g


QUAD2_A = [[500.5, 499.5], [499.5, 500.5]]        # eigenvalues 1000 and 1: condition 1000
QUAD2_B = [1.0, 2.0]
QUAD6_A = [[10, 2, 0, 1, 0, 0],                   # eigenvalues 0.116 .. 11.4: condition 98
           [2, 8, 1, 0, 0, 1],
           [0, 1, 5, 1, 0, 0],
           [1, 0, 1, 3, 0.5, 0],
           [0, 0, 0, 0.5, 1, 0.2],
           [0, 1, 0, 0, 0.2, 0.3]]
QUAD6_B = [1.0, -1.0, 2.0, 0.5, -2.0, 1.0]
# n = 40, past the 16 elements from which OpenBLAS's dot adds in another order than
# in sequence: tridiagonal, A_ii = 2 + i/8, A_i,i+1 = A_i+1,i = -1; b_i = ((7 i) mod 11 - 5) / 4
QUAD40_A = [[2 + i / 8 if i == j else -1.0 if abs(i - j) == 1 else 0.0 for j in range(40)] for i in range(40)]
QUAD40_B = [((7 * i) % 11 - 5) / 4 for i in range(40)]


def quadratic(A, b):
    """f = x.A.x / 2 - b.x, grad = A x - b; sums in index order, from 0."""
    def f_and_g(x):
        n = len(x)
        g = []
        for i in range(n):
            s = 0.0
            for j in range(n):
                s = s + float(A[i][j]) * x[j]
            g.append(s - b[i])
        xax = 0.0
        bx = 0.0
        for i in range(n):
            xax = xax + x[i] * (g[i] + b[i])
            bx = bx + b[i] * x[i]
        return 0.5 * xax - bx, g
    return f_and_g


PROBLEMS = {
    'rosenbrock': rosenbrock,
    'rosen10': rosenbrock10,
    'quad2': quadratic(QUAD2_A, QUAD2_B),
    'quad6': quadratic(QUAD6_A, QUAD6_B),
    'quad40': quadratic(QUAD40_A, QUAD40_B),
}
PROBLEM_NOTES = [
    'rosenbrock: f = (1 - u)^2 + 100 (v - u^2)^2 (r = v - u*u; f = (1-u)*(1-u) + 100*r*r;',
    '            g = [-2*(1-u) - 4*100*u*r, 2*100*r])',
    'rosen10: sum_{i=0..8} (1 - x_i)^2 + 100 (x_{i+1} - x_i^2)^2, accumulated in order i = 0..8:',
    '         f = f + (1-u)*(1-u) + 100*r*r; g_i += -2*(1-u) - 4*100*u*r; g_{i+1} += 2*100*r  (u = x_i, r = x_{i+1} - u*u)',
    'quad2: f = x.A.x/2 - b.x, A = [[500.5, 499.5], [499.5, 500.5]] (condition 1000), b = [1, 2]',
    'quad6: the same with the 6x6 A = ' + repr(QUAD6_A).replace(' ', '') + ', b = ' + repr(QUAD6_B).replace(' ', ''),
    'quad40: the same, A tridiagonal 40x40 with A_ii = 2 + i/8 and -1 beside the diagonal, b_i = ((7 i) mod 11 - 5)/4',
    '       (g_i = sum_j A_ij x_j - b_i summed in order j = 0..n-1 from 0;',
    '        f = 0.5 * sum_i x_i (g_i + b_i) - sum_i b_i x_i, each sum in order from 0)',
]

DEFAULTS = dict(lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                history_size=100, line_search_fn=None)


# ----------------------------------------------------------------------------------------------
# One case.

def check_defaults():
    """torch's defaults are DEFAULTS; returns them as a 'defaults' line (max_eval resolved)."""
    p = torch.zeros(2, requires_grad=True)
    g = torch.optim.LBFGS([p]).param_groups[0]
    for k, v in DEFAULTS.items():
        want = 20 * 5 // 4 if k == 'max_eval' else v
        assert g[k] == want, (k, g[k], want)
    assert torch.optim.LBFGS([p], max_iter=7).param_groups[0]['max_eval'] == 8
    return ('defaults lr=%s max_iter=%d max_eval=%d tolerance_grad=%s tolerance_change=%s history_size=%d line_search=%s'
            % (fmt(g['lr']), g['max_iter'], g['max_eval'], fmt(g['tolerance_grad']), fmt(g['tolerance_change']),
               g['history_size'], g['line_search_fn'] or 'none'))


def run_case(name, problem, x0, steps, dtype=torch.float64, **kw):
    hp = dict(DEFAULTS)
    hp.update(kw)
    fg = PROBLEMS[problem]
    p = torch.tensor(x0, dtype=dtype, requires_grad=True)
    opt = torch.optim.LBFGS([p], **hp)
    hp['max_eval_given'] = hp['max_eval'] is not None
    hp['max_eval'] = opt.param_groups[0]['max_eval']    # torch's default (max_iter * 5 // 4) when not given
    events = []        # ('eval', x, f) and ('iter', k, x) in the order they happen

    def closure():
        opt.zero_grad()
        x = p.detach().tolist()
        f, g = fg(x)
        events.append(('eval', x, f))
        with torch.no_grad():
            p.grad = torch.tensor(g, dtype=dtype)
        return torch.tensor(f, dtype=dtype)        # a loss tensor in the dtype, as a model returns

    inside_eval = [False]
    orig_add, orig_dir = opt._add_grad, opt._directional_evaluate

    def directional_evaluate(closure_, x, t, d):
        inside_eval[0] = True
        try:
            return orig_dir(closure_, x, t, d)
        finally:
            inside_eval[0] = False

    def add_grad(step_size, update):
        orig_add(step_size, update)
        if not inside_eval[0]:
            events.append(('iter', opt.state[p]['n_iter'], p.detach().tolist()))

    opt._add_grad, opt._directional_evaluate = add_grad, directional_evaluate

    out = []
    evals_before, iters_before = 0, 0
    for s in range(1, steps + 1):
        x_start = p.detach().tolist()
        n_events = len(events)
        loss = opt.step(closure)
        st = opt.state[p]
        step_events = events[n_events:]
        evals, iters = st['func_evals'] - evals_before, st['n_iter'] - iters_before
        assert evals == sum(1 for e in step_events if e[0] == 'eval'), (name, s)
        moves = [e for e in step_events if e[0] == 'iter']
        reason = stop_reason(name, hp, fg, x_start, p.detach().tolist(), evals, iters, moves, dtype)
        hist = len(st.get('old_dirs', []))
        t = float(st['t']) if 't' in st else 0.0
        hd = float(st['H_diag']) if 'H_diag' in st else 1.0
        out.append((s, float(loss), st['func_evals'], st['n_iter'], hist, reason, t, hd,
                    p.detach().tolist(), step_events))
        evals_before, iters_before = st['func_evals'], st['n_iter']
    return hp, out


def max_abs(v):
    return max(abs(a) for a in v)


def stop_reason(name, hp, fg, x_start, x_end, evals, iters, moves, dtype):
    """Why step() returned, from what was seen, in the order torch checks."""
    def in_dtype(v):
        return torch.tensor(v, dtype=dtype).tolist()
    if iters == 0:
        assert evals == 1 and x_end == x_start, name
        assert max_abs(in_dtype(fg(x_end)[1])) <= hp['tolerance_grad'], name
        return 'tolerance_grad'
    assert len(moves) in (iters, iters - 1), (name, iters, len(moves))
    if len(moves) == iters - 1:          # the last iteration broke before moving: g.d > -tolerance_change
        return 'not_descent'
    if iters == hp['max_iter']:
        return 'max_iter'
    if evals >= hp['max_eval']:
        return 'max_eval'
    if max_abs(in_dtype(fg(x_end)[1])) <= hp['tolerance_grad']:
        return 'tolerance_grad'
    x_prev = moves[-2][2] if len(moves) > 1 else x_start
    step_size = max(abs(a - b) for a, b in zip(x_end, x_prev))
    if step_size <= hp['tolerance_change']:
        return 'tolerance_change_x'
    df = abs(fg(x_end)[0] - fg(x_prev)[0])
    assert df < 10 * hp['tolerance_change'], (name, 'no stopping condition explains the end of the step', df)
    return 'tolerance_change_f'


# ----------------------------------------------------------------------------------------------
# The cases.

R0 = [-1.5, 2.0]
CASES = [
    # name, problem, x0, steps, settings
    ('rosen_sw', 'rosenbrock', R0, 14, dict(line_search_fn='strong_wolfe')),
    ('rosen_sw_h2', 'rosenbrock', R0, 14, dict(line_search_fn='strong_wolfe', history_size=2)),
    ('rosen_sw_h3_it5', 'rosenbrock', R0, 30, dict(line_search_fn='strong_wolfe', history_size=3, max_iter=5)),
    ('rosen_sw_lr05', 'rosenbrock', R0, 10, dict(line_search_fn='strong_wolfe', lr=0.5)),
    ('rosen_sw_maxeval6', 'rosenbrock', R0, 25, dict(line_search_fn='strong_wolfe', max_eval=6)),
    ('rosen_sw_it1', 'rosenbrock', R0, 60, dict(line_search_fn='strong_wolfe', max_iter=1)),
    ('rosen_sw_tolchange', 'rosenbrock', R0, 6, dict(line_search_fn='strong_wolfe', tolerance_change=1e-5)),
    ('rosen_sw_exact', 'rosenbrock', R0, 5, dict(line_search_fn='strong_wolfe', tolerance_change=0.0, tolerance_grad=0.0)),
    ('rosen10_sw', 'rosen10', [-1.5, 2.0] * 5, 8, dict(line_search_fn='strong_wolfe')),
    ('rosen10_sw_h5', 'rosen10', [-1.2, 1.0] * 5, 8, dict(line_search_fn='strong_wolfe', history_size=5)),
    ('rosen10_none_h3', 'rosen10', [-1.2, 1.0] * 5, 10, dict(lr=0.05, history_size=3)),
    ('rosen_none_lr01', 'rosenbrock', R0, 15, dict(lr=0.1)),
    ('rosen_none_h3', 'rosenbrock', [-1.0, 1.0], 15, dict(lr=0.25, history_size=3)),
    ('rosen_none_it1', 'rosenbrock', R0, 40, dict(lr=0.1, max_iter=1)),
    ('rosen_converged', 'rosenbrock', [1.0, 1.0], 2, dict(line_search_fn='strong_wolfe')),
    ('rosen_tolgrad_start', 'rosenbrock', R0, 2, dict(tolerance_grad=200.0)),
    ('quad2_sw', 'quad2', [2.0, -1.0], 3, dict(line_search_fn='strong_wolfe')),
    ('quad2_none', 'quad2', [2.0, -1.0], 5, dict()),
    ('quad6_sw', 'quad6', [1.0] * 6, 4, dict(line_search_fn='strong_wolfe')),
    ('quad6_sw_h3', 'quad6', [1.0] * 6, 6, dict(line_search_fn='strong_wolfe', history_size=3)),
    ('quad6_none_h2', 'quad6', [1.0] * 6, 8, dict(history_size=2, lr=0.5)),
    ('quad6_none_tolchange', 'quad6', [1.0] * 6, 4, dict(tolerance_change=1e-3)),
    ('quad6_sw_tolgrad', 'quad6', [1.0] * 6, 3, dict(line_search_fn='strong_wolfe', tolerance_grad=1e-4)),
    ('quad6_none_tolx', 'quad6', [1.0] * 6, 5, dict(lr=1e-5, tolerance_change=1e-3)),
    ('quad40_sw_h5', 'quad40', [0.0] * 40, 4, dict(line_search_fn='strong_wolfe', history_size=5)),
    ('quad40_none', 'quad40', [0.5] * 40, 4, dict()),
]
# The same in float32, for the float build (compared loosely: a float trajectory is not
# expected to follow torch's bits).
CASES32 = [
    ('rosen_sw_f32', 'rosenbrock', R0, 3, dict(line_search_fn='strong_wolfe')),
    ('quad6_sw_f32', 'quad6', [1.0] * 6, 2, dict(line_search_fn='strong_wolfe')),
    ('rosen_none_f32', 'rosenbrock', R0, 3, dict(lr=0.1)),
]


def fmt(v):
    return '%.17g' % v


def settings_line(name, problem, dtype, hp, steps):
    ls = hp['line_search_fn'] or 'none'
    me = ' max_eval=%d' % hp['max_eval'] if hp['max_eval_given'] else ''
    return ('case %s problem=%s dtype=%s line_search=%s lr=%s max_iter=%d%s tolerance_grad=%s '
            'tolerance_change=%s history_size=%d steps=%d' %
            (name, problem, str(dtype).replace('torch.', ''), ls, fmt(hp['lr']), hp['max_iter'], me,
             fmt(hp['tolerance_grad']), fmt(hp['tolerance_change']), hp['history_size'], steps))


def self_check(name, x0, out, dtype):
    """Finite, moving, and every recorded number consistent with its neighbours."""
    moved = False
    k_eval = 0
    for (s, loss, fe, ni, hist, reason, t, hd, x, ev) in out:
        assert all(math.isfinite(v) for v in x + [loss, t, hd]), (name, s)
        for e in ev:
            if e[0] == 'eval':
                k_eval += 1
                assert all(math.isfinite(v) for v in e[1] + [e[2]]), (name, s)
        assert fe == k_eval, (name, s, fe, k_eval)
        moved = moved or x != x0
    if name not in ('rosen_converged', 'rosen_tolgrad_start'):
        assert moved, name
    return k_eval


def main():
    defaults = check_defaults()
    lines = ['# optimfs L-BFGS reference runs, written by tests/ref/make_lbfgs_refs.py',
             '# torch %s, torch.optim.LBFGS, default dtype float64; each case: STEPS calls of optimizer.step(closure)'
             % torch.__version__,
             '# problems (the closure returns a loss tensor of the dtype and sets p.grad to the gradient, which is',
             '#   computed in Python floats from the parameters):']
    lines += ['#   ' + s for s in PROBLEM_NOTES]
    lines += ['# eval k f x...: the k-th closure call; iter k f x...: x after inner iteration k (state n_iter),',
              '#   f = the objective at x evaluated outside torch (not a call of the closure)',
              '# step s loss func_evals n_iter history stop t H_diag x...: after step s; loss is what step() returned;',
              '#   func_evals, n_iter: the cumulative state counters; history: len(old_dirs); stop: why step() returned',
              '#   (read off what was observed, in torch\'s order: tolerance_grad, not_descent (g.d > -tolerance_change),',
              '#   max_iter, max_eval, tolerance_change_x (max|t d| <= tolerance_change), tolerance_change_f)',
              '# float32 cases: the parameters are float32, the closure returns a float32 loss tensor',
              '# max_eval is given only where the case sets it; otherwise torch\'s default max_iter * 5 // 4 applies',
              '# defaults: torch.optim.LBFGS\'s own, read from a new optimizer (max_eval for max_iter = 20)',
              defaults]
    summary = []
    for dtype, cases in ((torch.float64, CASES), (torch.float32, CASES32)):
        for name, problem, x0, steps, kw in cases:
            hp, out = run_case(name, problem, x0, steps, dtype=dtype, **kw)
            x0d = torch.tensor(x0, dtype=dtype).tolist()
            n_evals = self_check(name, x0d, out, dtype)
            lines.append(settings_line(name, problem, dtype, hp, steps))
            lines.append('x0 ' + ' '.join(fmt(v) for v in x0d))
            n_iters = 0
            reasons = []
            k = 0
            for (s, loss, fe, ni, hist, reason, t, hd, x, ev) in out:
                for e in ev:
                    if e[0] == 'eval':
                        k += 1
                        lines.append('eval %d %s %s' % (k, fmt(e[2]), ' '.join(fmt(v) for v in e[1])))
                    else:
                        n_iters += 1
                        lines.append('iter %d %s %s' % (e[1], fmt(PROBLEMS[problem](e[2])[0]),
                                                        ' '.join(fmt(v) for v in e[2])))
                lines.append('step %d %s %d %d %d %s %s %s %s' % (s, fmt(loss), fe, ni, hist, reason, fmt(t), fmt(hd),
                                                                 ' '.join(fmt(v) for v in x)))
                reasons.append(reason)
            lines.append('end')
            summary.append('# %-22s %3d steps, %4d inner iterations, %4d evaluations; stops: %s' %
                           (name, steps, n_iters, n_evals, ' '.join(sorted(set(reasons)))))
    # Every stopping rule is exercised somewhere.
    seen = ' '.join(summary)
    for r in ('tolerance_grad', 'not_descent', 'max_iter', 'max_eval', 'tolerance_change_x', 'tolerance_change_f'):
        assert r in seen, ('no case stops on', r)
    print('\n'.join(lines[:1] + summary + lines[1:]))


if __name__ == '__main__':
    sys.exit(main())
