"""The two problems every optimizer reference script runs on (make_optim_refs.py,
make_adopt_refs.py, make_schedfree_refs.py, make_average_refs.py), and that the C
tests rebuild in tests/problems.h: theta0 and the gradient, evaluated at the current
theta before every step."""
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
