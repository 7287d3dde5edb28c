#!/usr/bin/env python3
"""Reference trajectories for the optimfs.h optimizer tests.

Writes tests/ref/optim_ref.txt on stdout. Run from the repository root with
PyTorch 1.13 (Debian's python3-torch) and NumPy:

    python3 tests/ref/make_optim_refs.py > tests/ref/optim_ref.txt

Each case runs one optimizer for NSTEPS steps on one small float64 problem and
records theta after the steps in RECORD. Almost every case is torch.optim
itself. A few have no torch equivalent and come from NumPy transcriptions,
labelled by a comment line in the output: Adagrad/RMSprop with eps inside the
square root, and Lion, Yogi, LAMB and AdaBelief with optax semantics (optax is
not packaged, so these follow the optimizer spec, OPTIMIZERS.md section 3).

Nothing is printed unless every self-check passes (an assertion fails
otherwise): torch's defaults equal DEFAULTS, the runs reproduce the golden
values of OPTIMIZERS.md sections 8.1 and 8.3, the NumPy transcriptions agree
with torch where torch has the same update, and every trajectory is finite,
bounded, actually moves and is well conditioned (tiny gradient noise does not
grow, so rounding differences in another implementation stay tiny too).

Output format (lines starting with '#' are comments and may appear anywhere):

    case <optimizer> <problem> key=value key=value ...
    step <t> <theta_0> <theta_1> ...        one line per t in RECORD, '%.17g'
    end

lr is always printed; every other key that is absent has the optimizer's
default, listed in the '# defaults' lines of the header.
"""

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

NSTEPS = 200
RECORD = (1, 2, 3, 5, 10, 25, 50, 100, 200)
LRSCHED_SLOPE = 0.004   # lrsched=1: lr_t = lr * (1 - LRSCHED_SLOPE*(t-1)) before step t
ADABELIEF_EPS_ROOT = 1e-16


# ----------------------------------------------------------------------------------------------
# Problems: theta0 and the gradient, evaluated at the current theta before every step.

from problems import PROBLEM_NOTES, PROBLEMS   # tests/ref/problems.py: cubic and wave


# ----------------------------------------------------------------------------------------------
# Hyperparameters, named as in the output. beta1/beta2 are torch's betas.

KEY_ORDER = ('lr momentum dampening weight_decay nesterov maximize alpha eps centered rho beta1 beta2 '
             'amsgrad lr_decay initial_accumulator_value momentum_decay lrsched eps_inside_sqrt '
             'ema_momentum etaminus etaplus step_size_min step_size_max lambd t0').split()
FLAGS = {'nesterov', 'maximize', 'centered', 'amsgrad', 'lrsched', 'eps_inside_sqrt', 'ema_momentum'}
EXTENSION_KEYS = {'lrsched', 'eps_inside_sqrt', 'ema_momentum'}   # not torch hyperparameters
NOT_TORCH_KEYS = EXTENSION_KEYS | {'beta1', 'beta2', 'etaminus', 'etaplus', 'step_size_min', 'step_size_max'}
PAIRS = {'betas': ('beta1', 'beta2'), 'etas': ('etaminus', 'etaplus'),   # torch's tuples, by our names
         'step_sizes': ('step_size_min', 'step_size_max')}

ADAM_LIKE = dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)
DEFAULTS = {  # lr=None: no default, every case must set it
    # torch.optim 1.13
    'sgd': dict(lr=None, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=0, maximize=0,
                ema_momentum=0),
    'adagrad': dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                    maximize=0, eps_inside_sqrt=0),
    'rmsprop': dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=0,
                    maximize=0, eps_inside_sqrt=0),
    'adadelta': dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=0),
    'adam': dict(ADAM_LIKE, lr=1e-3, amsgrad=0, maximize=0),
    'adamw': dict(ADAM_LIKE, lr=1e-3, weight_decay=1e-2, amsgrad=0, maximize=0),
    'adamax': dict(ADAM_LIKE, lr=2e-3, maximize=0),
    'nadam': dict(ADAM_LIKE, lr=2e-3, momentum_decay=4e-3),
    'radam': dict(ADAM_LIKE, lr=1e-3),
    'rprop': dict(lr=1e-2, etaminus=0.5, etaplus=1.2, step_size_min=1e-6, step_size_max=50.0, maximize=0),
    'asgd': dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=0),
    # optax (yogi: initial_accumulator_value is the start value of both m and v)
    'lion': dict(lr=None, beta1=0.9, beta2=0.99, weight_decay=1e-3),
    'yogi': dict(lr=None, beta1=0.9, beta2=0.999, eps=1e-3, initial_accumulator_value=1e-6),
    'lamb': dict(lr=None, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0),
    'adabelief': dict(lr=None, beta1=0.9, beta2=0.999, eps=1e-16),
}
for _defaults in DEFAULTS.values():
    _defaults['lrsched'] = 0

TORCH_CLASS = {
    'sgd': torch.optim.SGD, 'adagrad': torch.optim.Adagrad, 'rmsprop': torch.optim.RMSprop,
    'adadelta': torch.optim.Adadelta, 'adam': torch.optim.Adam, 'adamw': torch.optim.AdamW,
    'adamax': torch.optim.Adamax, 'nadam': torch.optim.NAdam, 'radam': torch.optim.RAdam,
    'rprop': torch.optim.Rprop, 'asgd': torch.optim.ASGD,
}
OPTAX_STYLE = ('lion', 'yogi', 'lamb', 'adabelief')


def resolve(opt, keys):
    """Full hyperparameter set of a case: DEFAULTS[opt] overridden by keys."""
    unknown = set(keys) - set(DEFAULTS[opt])
    assert not unknown, (opt, unknown)
    hp = dict(DEFAULTS[opt], **keys)
    assert hp['lr'] is not None, (opt, keys)
    return hp


def format_value(key, value):
    """Flags as 0/1, numbers as the shortest repr that reads back to the same double."""
    if value is None:
        return 'required'
    return str(int(value)) if key in FLAGS else repr(float(value))


def format_keys(opt, hp):
    """'key=value' for lr and for every hyperparameter that differs from the default."""
    return ' '.join('%s=%s' % (k, format_value(k, hp[k])) for k in KEY_ORDER
                    if k in hp and (k == 'lr' or hp[k] != DEFAULTS[opt][k]))


# ----------------------------------------------------------------------------------------------
# Runners. Each one is a generator: it yields theta, then receives (grad, lr, t) for step t
# (1-based) and yields the updated theta. lr is the group lr for this step (after lrsched).

def torch_run(opt, hp, theta):
    """torch.optim itself, foreach=False except NAdam: foreach=True is the fixed formula in 1.13.

    ema_momentum (SGD only) v = m*v + (1-m)*g, theta -= lr*v is exactly torch SGD with
    lr*(1-m) and momentum m (OPTIMIZERS.md section 6.1), also under an lr schedule."""
    lr_scale = 1.0 - hp['momentum'] if hp.get('ema_momentum') else 1.0
    kwargs = {k: (bool(v) if k in FLAGS else v) for k, v in hp.items() if k not in NOT_TORCH_KEYS}
    for pair, names in PAIRS.items():
        if names[0] in hp:
            kwargs[pair] = (hp[names[0]], hp[names[1]])
    param = torch.nn.Parameter(torch.tensor(theta))
    optimizer = TORCH_CLASS[opt]([param], foreach=(opt == 'nadam'), **kwargs)
    group = optimizer.param_groups[0]
    while True:
        if 'ax' in optimizer.state[param]:                 # ASGD's average, after step t - 1
            AVERAGES[len(AVERAGES) + 1] = optimizer.state[param]['ax'].numpy().copy()
        grad, lr, t = yield param.detach().numpy().copy()
        group['lr'] = lr_scale * lr
        param.grad = torch.tensor(grad)
        optimizer.step()


AVERAGES = {}   # t: ASGD's ax after step t, filled by torch_run (cleared by trajectory)


def numpy_adagrad(opt, hp, theta):
    """torch 1.13 single-tensor Adagrad, operation for operation; eps_inside_sqrt=1 moves eps."""
    s = np.full_like(theta, hp['initial_accumulator_value'])
    while True:
        grad, lr, t = yield theta
        g = -grad if hp['maximize'] else grad
        if hp['weight_decay'] != 0:
            g = g + hp['weight_decay'] * theta
        clr = lr / (1 + (t - 1) * hp['lr_decay'])
        s = s + g * g
        std = np.sqrt(s + hp['eps']) if hp['eps_inside_sqrt'] else np.sqrt(s) + hp['eps']
        theta = theta + (-clr) * g / std


def numpy_rmsprop(opt, hp, theta):
    """torch 1.13 single-tensor RMSprop, operation for operation; eps_inside_sqrt=1 moves eps."""
    alpha, mom = hp['alpha'], hp['momentum']
    v, gbar, buf = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    while True:
        grad, lr, t = yield theta
        g = -grad if hp['maximize'] else grad
        if hp['weight_decay'] != 0:
            g = g + hp['weight_decay'] * theta
        v = alpha * v + (1 - alpha) * g * g
        var = v
        if hp['centered']:
            gbar = alpha * gbar + (1 - alpha) * g
            var = v - gbar * gbar
        denom = np.sqrt(var + hp['eps']) if hp['eps_inside_sqrt'] else np.sqrt(var) + hp['eps']
        if mom > 0:
            buf = mom * buf + g / denom
            theta = theta + (-lr) * buf
        else:
            theta = theta + (-lr) * g / denom


def numpy_ema_sgd(opt, hp, theta):
    """Textbook EMA momentum: v = m*v + (1-m)*g (v0 = 0), theta -= lr*v. Used only to check
    that torch_run's rewrite of ema_momentum is exact."""
    mom = hp['momentum']
    v = np.zeros_like(theta)
    while True:
        grad, lr, t = yield theta
        v = mom * v + (1 - mom) * grad
        theta = theta - lr * v


def numpy_optax(opt, hp, theta):
    """Lion, Yogi, LAMB and AdaBelief as optax defines them (OPTIMIZERS.md section 3):
    the scale_by_* transform, then u + weight_decay*theta, then theta + (-lr)*u. t is 1-based."""
    b1, b2, eps, wd = hp['beta1'], hp['beta2'], hp.get('eps'), hp.get('weight_decay', 0.0)
    m = np.full_like(theta, hp.get('initial_accumulator_value', 0.0))
    v = m.copy()
    while True:
        grad, lr, t = yield theta
        if opt == 'lion':
            u = np.sign((1 - b1) * grad + b1 * m)          # old m; sign(0) = 0
            m = (1 - b2) * grad + b2 * m
        elif opt == 'yogi':                                 # m, v start at initial_accumulator_value
            m = (1 - b1) * grad + b1 * m
            v = v - (1 - b2) * np.sign(v - grad * grad) * (grad * grad)
            u = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        elif opt == 'lamb':
            m = (1 - b1) * grad + b1 * m
            v = (1 - b2) * (grad * grad) + b2 * v
            u = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        elif opt == 'adabelief':                            # v is s, built from the new m
            m = (1 - b1) * grad + b1 * m
            v = (1 - b2) * ((grad - m) * (grad - m)) + b2 * v + ADABELIEF_EPS_ROOT
            u = (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        if wd != 0:
            u = u + wd * theta
        if opt == 'lamb':                                   # trust ratio over the whole tensor
            theta_norm, u_norm = np.sqrt(np.sum(theta * theta)), np.sqrt(np.sum(u * u))
            u = u * (theta_norm / u_norm if theta_norm > 0 and u_norm > 0 else 1.0)
        theta = theta + (-lr) * u


EPS_INSIDE_RUNNER = {'adagrad': numpy_adagrad, 'rmsprop': numpy_rmsprop}


def runner_for(opt, hp):
    """The runner that produces a case's reference trajectory."""
    if opt in OPTAX_STYLE:
        return numpy_optax
    if hp.get('eps_inside_sqrt'):
        return EPS_INSIDE_RUNNER[opt]
    return torch_run


def trajectory(opt, hp, problem, runner=None, noise=0.0):
    """{t: theta after step t} for t = 1..NSTEPS. noise > 0 multiplies every gradient component
    by a random 1 + noise*U(-1, 1) (fixed seed), to measure how well conditioned a case is."""
    theta0, grad_fn = PROBLEMS[problem]
    rng = np.random.default_rng(0)
    AVERAGES.clear()
    run = (runner or runner_for(opt, hp))(opt, hp, theta0.copy())
    theta, path = next(run), {}
    for t in range(1, NSTEPS + 1):
        lr = hp['lr'] * (1 - LRSCHED_SLOPE * (t - 1)) if hp['lrsched'] else hp['lr']
        grad = grad_fn(theta)
        if noise:
            grad = grad * (1 + noise * rng.uniform(-1.0, 1.0, grad.shape))
        theta = path[t] = run.send((grad, lr, t))
    run.close()
    return path


# ----------------------------------------------------------------------------------------------
# Cases: every (optimizer, keys) pair below runs on every problem.

CASES = [
    ('sgd', dict(lr=0.01)),
    ('sgd', dict(lr=0.01, weight_decay=0.1)),
    ('sgd', dict(lr=0.01, momentum=0.9)),
    ('sgd', dict(lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ('sgd', dict(lr=0.01, momentum=0.9, nesterov=1, weight_decay=0.01)),
    ('sgd', dict(lr=2e-4, maximize=1)),      # uphill: small lr, or cubic blows up within 200 steps
    ('sgd', dict(lr=2e-4, momentum=0.5, weight_decay=0.01, maximize=1)),
    ('sgd', dict(lr=0.01, momentum=0.9, lrsched=1)),
    ('sgd', dict(lr=0.1, momentum=0.9, ema_momentum=1)),
    ('sgd', dict(lr=0.1, momentum=0.8, ema_momentum=1, lrsched=1)),
    ('adagrad', dict()),
    ('adagrad', dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01, eps=1e-6)),
    ('adagrad', dict(maximize=1)),
    ('adagrad', dict(lr=0.1, lrsched=1)),
    ('adagrad', dict(lr=0.1, eps=0.01, eps_inside_sqrt=1)),
    ('adagrad', dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01, eps=1e-3,
                     eps_inside_sqrt=1)),
    ('rmsprop', dict()),
    ('rmsprop', dict(centered=1)),
    ('rmsprop', dict(lr=1e-3, momentum=0.9)),
    # centered: alpha=0.9 or 0.95 is chaotic near the minimum (v - gbar^2 cancels), 0.98 is not
    ('rmsprop', dict(lr=0.01, alpha=0.98, eps=1e-6, centered=1, momentum=0.5, weight_decay=0.01)),
    ('rmsprop', dict(lr=1e-3, maximize=1)),
    ('rmsprop', dict(lr=0.01, lrsched=1)),
    ('rmsprop', dict(lr=0.01, alpha=0.9, eps=1e-4, eps_inside_sqrt=1)),
    ('rmsprop', dict(lr=0.01, alpha=0.98, eps=1e-4, centered=1, momentum=0.5, weight_decay=0.01,
                     eps_inside_sqrt=1)),
    ('adadelta', dict()),
    ('adadelta', dict(lr=0.5, rho=0.95, weight_decay=0.01, eps=1e-5)),
    ('adadelta', dict(lr=0.1, maximize=1)),
    ('adam', dict()),
    ('adam', dict(lr=0.01, amsgrad=1)),
    ('adam', dict(lr=0.01, weight_decay=0.01)),
    ('adam', dict(lr=0.01, amsgrad=1, weight_decay=0.01, maximize=1)),
    ('adam', dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6)),
    ('adam', dict(lr=0.05, lrsched=1)),
    ('adamw', dict()),
    ('adamw', dict(lr=0.01, weight_decay=0.1, amsgrad=1)),
    ('adamw', dict(lr=0.05, weight_decay=0.5, lrsched=1)),
    ('adamw', dict(lr=0.01, maximize=1)),
    ('adamax', dict()),
    ('adamax', dict(lr=0.01, weight_decay=0.01, eps=1e-3)),
    ('adamax', dict(lr=0.01, maximize=1)),
    ('nadam', dict()),
    ('nadam', dict(lr=0.01, weight_decay=0.01)),
    ('nadam', dict(lr=0.01, momentum_decay=0.01)),
    ('nadam', dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6)),
    ('nadam', dict(lr=0.05, lrsched=1)),
    ('radam', dict()),
    ('radam', dict(lr=0.01, weight_decay=0.01)),
    ('radam', dict(lr=0.01)),
    ('radam', dict(lr=0.01, beta2=0.99)),    # rho_inf = 199: first rectified step is still t = 6
    ('radam', dict(lr=0.05, lrsched=1)),
    ('lion', dict(lr=0.01)),
    ('lion', dict(lr=0.01, weight_decay=0.0)),
    ('lion', dict(lr=0.01, lrsched=1)),
    ('yogi', dict(lr=0.01)),
    ('lamb', dict(lr=0.005)),                # lr=0.01 is chaotic on wave (steps of lr*|theta|)
    ('lamb', dict(lr=0.005, weight_decay=0.01)),
    ('adabelief', dict(lr=0.01)),
    ('rprop', dict()),
    ('rprop', dict(lr=0.1, etaminus=0.3, etaplus=1.5, step_size_min=1e-4, step_size_max=0.5)),
    ('rprop', dict(lr=1e-3, step_size_max=0.01, maximize=1)),   # uphill: bounded steps keep theta small
    ('rprop', dict(lr=0.01, lrsched=1)),                         # lr only sets the first step sizes
    ('asgd', dict()),                                             # t0 = 1e6: ax is a copy of theta
    ('asgd', dict(lr=0.05, lambd=0.01, t0=50)),
    ('asgd', dict(lr=0.05, lambd=0.1, alpha=1.0, t0=10, weight_decay=0.01)),
    ('asgd', dict(lr=2e-4, t0=5, maximize=1)),
    ('asgd', dict(lr=0.05, lambd=0.01, t0=20, lrsched=1)),      # eta follows lr one step late
]

# Golden values of OPTIMIZERS.md section 8.1 (torch 1.13; NAdam: the fixed formula) and section 8.3
# (optax semantics): problem 'cubic', theta after t = 1, 2, 10, 100.
SPEC_GOLDEN_STEPS = (1, 2, 10, 100)
SPEC_GOLDEN = [
    ('sgd', dict(lr=0.01), [
        '0.98299999999999998 -1.911 0.49075000000000002',
        '0.96667137913000001 -1.8326567896900001 0.48175309947703127',
        '0.85579946040275456 -1.4233409052909256 0.41786365238848211',
        '0.41600494225879164 -0.53314026720933927 0.14673088631706988',
    ]),
    ('sgd', dict(lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.01), [
        '0.9829 -1.9108000000000001 0.49070000000000003',
        '0.95272928893189901 -1.7598597570305921 0.47418985162421301',
        '0.5069515753791034 -0.19409296364810866 0.21424941990503635',
        '0.27137954442219753 -0.19846869219910407 0.10121718367131563',
    ]),
    ('sgd', dict(lr=0.01, momentum=0.9, nesterov=1), [
        '0.9677 -1.8309 0.48242499999999999',
        '0.92402597273707299 -1.6267033139250489 0.45826709379515018',
        '0.45900785674464778 -0.19802740434108371 0.18056369094001964',
        '0.27624509052020763 -0.19818829519420014 0.1001487488620425',
    ]),
    ('adagrad', dict(), [
        '0.99000000000058819 -1.9900000000001123 0.49000000000108107',
        '0.98301296252767389 -1.9829788723058035 0.48303582598132433',
        '0.95093418287368148 -1.9504714565347196 0.45126214130853293',
        '0.82901737051947455 -1.8229706360593543 0.33444293091586891',
    ]),
    ('adagrad', dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01), [
        '0.90166728365756066 -1.9000627814250128 0.40532358703689286',
        '0.84112863503385149 -1.8352507977602781 0.34889671709053555',
        '0.62145882108597972 -1.5766992862238158 0.17549567793187851',
        '0.31196640945867876 -1.0114827829236679 0.099041855658280997',
    ]),
    ('rmsprop', dict(), [
        '0.90000000588235263 -1.9000000011235956 0.40000001081080966',
        '0.83821839719710134 -1.8343401274274793 0.34149190150308206',
        '0.60694812051414559 -1.5609971489975183 0.16272489884683006',
        '0.28240660150473951 -0.79127563283020286 0.099507354378875534',
    ]),
    ('rmsprop', dict(lr=0.01, alpha=0.9, centered=1, momentum=0.5, weight_decay=0.01), [
        '0.96666666731643924 -1.9666666667912307 0.46666666786140976',
        '0.92549218989452642 -1.9250871640007399 0.42578496834561147',
        '0.6607797616848099 -1.6321344803822599 0.19291530723636238',
        '0.27617391527074348 -0.21132270368262152 0.099019464667484625',
    ]),
    ('adadelta', dict(), [
        '0.99683772781088609 -1.9968377225394451 0.49683774081901316',
        '0.99360478021710952 -1.9936001335885767 0.49360786267089973',
        '0.96705458344789619 -1.9667325023439324 0.46727242850116124',
        '0.69878559711796895 -1.6635939893235354 0.22912741481100091',
    ]),
    ('adam', dict(), [
        '0.9990000000058824 -1.9990000000011237 0.4990000000108108',
        '0.99800006206151914 -1.9980000368661488 0.49800007869402346',
        '0.99000768372402737 -1.9900045600995728 0.49000977231149706',
        '0.90400846368520382 -1.9023791070271061 0.40526218222291222',
    ]),
    ('adam', dict(lr=0.01, amsgrad=1, weight_decay=0.01), [
        '0.99000000005847955 -1.9900000000112108 0.49000000010752687',
        '0.98000683122181864 -1.980003910573356 0.48000893028787317',
        '0.90086212543876254 -1.9004882367227003 0.40116969765223875',
        '0.38043058713821876 -1.2269942448065432 0.09592653441429394',
    ]),
    ('adamw', dict(), [
        '0.99899000000588245 -1.9989800000011237 0.49899500001081082',
        '0.9979800727892818 -1.9979600478086272 0.49799008914332471',
        '0.9899082157409933 -1.9898051108120647 0.48996027392143943',
        '0.90309719978638736 -1.9004764221258694 0.40483676998156715',
    ]),
    ('adamw', dict(lr=0.01, weight_decay=0.1, amsgrad=1), [
        '0.98900000005882349 -1.9880000000112359 0.48950000010810812',
        '0.97801862265830231 -1.9760167615636828 0.47901995954268722',
        '0.89145303479015525 -1.8811313926673738 0.39670776002847946',
        '0.35271987280364575 -1.1162275726239954 0.095275050943699646',
    ]),
    ('adamax', dict(), [
        '0.9980000000117647 -1.9980000000022471 0.49800000002162165',
        '0.99600294910755161 -1.9960009549521045 0.49600425637115042',
        '0.98015108619631086 -1.9800544414947816 0.48021491456146287',
        '0.82573820619150606 -1.8127572890297448 0.33510859467037901',
    ]),
    ('nadam', dict(), [
        '0.99788709645571805 -1.9978870964456632 0.49788709646613144',
        '0.99632318654114849 -1.9963217902662644 0.49632410438412411',
        '0.9839417845127173 -1.9839016801170459 0.48396867065221877',
        '0.82525966531373862 -1.8178477480348745 0.33162447247976296',
    ]),
    ('radam', dict(), [
        '0.99829999999999997 -1.9911000000000001 0.49907499999999999',
        '0.99660357438679625 -1.9822583028657732 0.49815133814071261',
        '0.99134672277389235 -1.9559065987759994 0.4951986186901905',
        '0.97791458178169566 -1.9424675577522963 0.48178774674707853',
    ]),
    ('radam', dict(lr=0.01, weight_decay=0.01), [
        '0.9829 -1.9108000000000001 0.49070000000000003',
        '0.9661563093169 -1.827225588906779 0.48153441615451054',
        '0.91619754431611866 -1.6049392315930442 0.45298591957240825',
        '0.79224422276340678 -1.4822364716748344 0.33199269452841673',
    ]),
    ('lion', dict(lr=0.01), [
        '0.98999000000000004 -1.9899800000000001 0.48999500000000001',
        '0.97998010010000003 -1.9799601002 0.47999010005000003',
        '0.89990450437988201 -1.8998045088797619 0.39995450212994216',
        '-0.00050466682245618906 -0.99849582801588244 0.13987729883932731',
    ]),
    ('lion', dict(lr=0.01, weight_decay=0.0), [
        '0.98999999999999999 -1.99 0.48999999999999999',
        '0.97999999999999998 -1.98 0.47999999999999998',
        '0.89999999999999991 -1.8999999999999999 0.39999999999999991',
        '-7.5286998857393428e-16 -0.99999999999999911 0.13999999999999968',
    ]),
    ('yogi', dict(lr=0.01), [
        '0.99000755361588944 -1.9900011966889957 0.49001652796493311',
        '0.98002376102021593 -1.9800088144250254 0.48004192738140744',
        '0.90104877268372685 -1.9006162041024712 0.40142089249996393',
        '0.38616058424587568 -1.2359293688843946 0.096278615181750252',
    ]),
    ('lamb', dict(lr=0.01, weight_decay=0.0), [
        '0.98677124336984934 -1.9867712370746056 0.48677124988957926',
        '0.97365949275223185 -1.9736541102858638 0.47366341448314186',
        '0.87283509437133866 -1.8721788870435334 0.37340432851937799',
        '0.26828289744892903 -0.85063935751503739 0.098897662143557233',
    ]),
    ('lamb', dict(lr=0.01, weight_decay=0.01), [
        '0.98679328798923216 -1.9866625221656893 0.48685867423416068',
        '0.97370381505921988 -1.9734380998913912 0.47383782987547696',
        '0.8730705384232853 -1.8711609525993629 0.37425467870755258',
        '0.26771693370166455 -0.8493458873889137 0.099231339889146425',
    ]),
    ('adabelief', dict(lr=0.01), [
        '0.98888888888888915 -1.9888888888888889 0.48888888888888971',
        '0.97721890667548716 -1.9772145403302392 0.47722205520419009',
        '0.86531361155601361 -1.864174795135346 0.36630976480020333',
        '0.27504923624787708 -0.77834596740920603 0.10049800977086124',
    ]),
]


# ----------------------------------------------------------------------------------------------
# Self-checks

def max_rel_diff(path, ref, steps):
    """max over steps of max|a - b| / max|b|: relative to the size of the whole vector, so that a
    component passing through zero does not inflate it."""
    return max(np.max(np.abs(path[t] - ref[t])) / np.max(np.abs(ref[t])) for t in steps)


def check_torch_defaults():
    """DEFAULTS are torch's own defaults, and every flag used exists in this torch."""
    for opt, cls in TORCH_CLASS.items():
        torch_defaults = dict(cls([torch.nn.Parameter(torch.zeros(1))], lr=1.0).defaults)
        for pair, names in PAIRS.items():
            if pair in torch_defaults:
                torch_defaults[names[0]], torch_defaults[names[1]] = torch_defaults.pop(pair)
        for key, value in DEFAULTS[opt].items():
            if key not in EXTENSION_KEYS and key != 'lr':
                assert key in torch_defaults and torch_defaults[key] == value, (opt, key)
        if DEFAULTS[opt]['lr'] is not None:
            assert cls([torch.nn.Parameter(torch.zeros(1))]).defaults['lr'] == DEFAULTS[opt]['lr'], opt


def check_spec_golden():
    """The runners reproduce OPTIMIZERS.md sections 8.1 and 8.3 to 1e-12."""
    for opt, keys, rows in SPEC_GOLDEN:
        path = trajectory(opt, resolve(opt, keys), 'cubic')
        golden = {t: np.array(row.split(), dtype=float) for t, row in zip(SPEC_GOLDEN_STEPS, rows)}
        err = max_rel_diff(path, golden, SPEC_GOLDEN_STEPS)
        assert err <= 1e-12, (opt, keys, err)


def check_transcriptions(cases):
    """NumPy Adagrad/RMSprop with eps outside the sqrt are torch to 1e-13, and torch's rewrite of
    ema_momentum is the textbook EMA form to 1e-13 (on each case's own settings and problem)."""
    for opt, problem, hp in cases:
        if hp.get('eps_inside_sqrt'):
            same = dict(hp, eps_inside_sqrt=0)
            mine = trajectory(opt, same, problem, EPS_INSIDE_RUNNER[opt])
            ref = trajectory(opt, same, problem, torch_run)
        elif hp.get('ema_momentum'):
            mine = trajectory(opt, hp, problem, numpy_ema_sgd)
            ref = trajectory(opt, hp, problem, torch_run)
        else:
            continue
        err = max_rel_diff(mine, ref, range(1, NSTEPS + 1))
        assert err <= 1e-13, (opt, problem, hp, err)


def check_trajectory(opt, problem, hp, path):
    """Finite, bounded, theta really moves, and the case is well conditioned: relative noise of
    1e-13 on every gradient moves no recorded theta by more than 1e-10 (relative). Rounding
    differences between implementations then stay far below any sensible test tolerance
    (chaotic settings, e.g. centered RMSprop with alpha=0.9 near its minimum, fail this)."""
    thetas = np.array(list(path.values()))
    assert np.all(np.isfinite(thetas)), (opt, problem, hp)
    assert np.max(np.abs(thetas)) < 100, (opt, problem, hp)
    assert np.max(np.abs(path[NSTEPS] - PROBLEMS[problem][0])) > 1e-2, (opt, problem, hp)
    err = max_rel_diff(trajectory(opt, hp, problem, noise=1e-13), path, RECORD)
    assert err <= 1e-10, (opt, problem, hp, err)


# ----------------------------------------------------------------------------------------------
# Output

def source_note(opt, hp):
    """Comment line for cases that are not plain torch.optim runs."""
    if opt in OPTAX_STYLE:
        return 'spec transcription (optax is not packaged), not torch: optax %s semantics in NumPy' % opt
    if hp.get('eps_inside_sqrt'):
        return ('NumPy transcription of torch 1.13 %s with eps moved inside the sqrt (torch has no such '
                'option); with eps outside it agrees with torch to 1e-13' % opt)
    if hp.get('ema_momentum'):
        return ('generated with torch SGD(lr=(1-momentum)*lr, momentum=momentum), which is exactly the '
                'EMA form; checked against it to 1e-13')
    return None


def header():
    lines = [
        'optimfs optimizer reference trajectories, written by tests/ref/make_optim_refs.py',
        'torch %s, numpy %s, dtype float64 (torch.set_default_dtype(torch.float64))'
        % (torch.__version__, np.__version__),
        'source: torch.optim with foreach=False, except nadam: foreach=True, which in torch 1.13 is the',
        '  fixed NAdam formula (the 1.13 single-tensor path counts mu_t twice); other sources are noted per case',
        'problems (float64; the gradient is evaluated at the current theta before each step):',
    ] + ['  ' + note for note in PROBLEM_NOTES] + [
        '%d steps per case; theta after step t for t in %s, printed with %%.17g'
        % (NSTEPS, ' '.join(map(str, RECORD))),
        'lrsched=1: before step t (1-based) the group lr is set to lr*(1 - %g*(t-1))' % LRSCHED_SLOPE,
        'ema_momentum=1 (sgd): v = momentum*v + (1-momentum)*g, theta -= lr*v, v starts at 0',
        'eps_inside_sqrt=1 (adagrad, rmsprop): sqrt(s + eps) instead of sqrt(s) + eps;',
        '  centered rmsprop: sqrt(v - gbar^2 + eps)',
        'lion, yogi, lamb, adabelief follow optax; lamb: one tensor (the norms are over all of theta);',
        '  adabelief: eps_root = %g (fixed); yogi, lamb: eps_root = 0' % ADABELIEF_EPS_ROOT,
        'compare theta relative to max|theta| of the step, not per component: some components pass',
        '  close to 0 (lion moves exactly lr per step)',
        'keys: lr is always given; an absent key has the default below; flags are 0/1;',
        '  beta1, beta2 are torch betas (optax b1, b2); lrsched, ema_momentum, eps_inside_sqrt default to 0;',
        '  etaminus, etaplus are Rprop\'s etas, step_size_min, step_size_max its step_sizes',
        'asgd: an "avg t ..." line after each step line holds its average of theta (state ax) after step t',
    ]
    for opt, defaults in DEFAULTS.items():
        lines.append('defaults %s: %s' % (opt, ' '.join(
            '%s=%s' % (k, format_value(k, defaults[k])) for k in KEY_ORDER
            if k in defaults and k not in EXTENSION_KEYS)))
    return ['# ' + line for line in lines]


def main():
    check_torch_defaults()
    check_spec_golden()
    cases = [(opt, problem, resolve(opt, keys)) for opt, keys in CASES for problem in PROBLEMS]
    check_transcriptions(cases)
    lines = header()
    for opt, problem, hp in cases:
        path = trajectory(opt, hp, problem)
        averages = dict(AVERAGES)
        check_trajectory(opt, problem, hp, path)
        note = source_note(opt, hp)
        if note:
            lines.append('# ' + note)
        lines.append('case %s %s %s' % (opt, problem, format_keys(opt, hp)))
        for t in RECORD:
            lines.append('step %d %s' % (t, ' '.join('%.17g' % x for x in path[t])))
            if opt == 'asgd':                                   # its average of theta (torch's ax)
                lines.append('avg %d %s' % (t, ' '.join('%.17g' % x for x in averages[t])))
        lines.append('end')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
