"""Assignment 6 of S3, as written: gradient descent on a quartic, then a shallow and an improved Fashion-MNIST network.

Question 1 runs mlplab's own :class:`~mlplab.SGD` on a one-element :class:`~mlplab.Parameter` ``x`` whose
gradient is the analytic :math:`f'(x) = x^3 - 9x^2 + 7` of :math:`f(x) = \\tfrac14 x^4 - 3x^3 + 7x - 5`,
from :math:`x = 0` with the rates 0.01, 0.05 and 0.1. Since :math:`f'(0) = 7 > 0` every run walks left,
to the local minimum at :math:`x^* \\approx -0.8433` (:math:`f(x^*) \\approx -8.9775`; the roots of
:math:`f'` come from :func:`numpy.roots`). The global minimum lies far to the right, at
:math:`x \\approx 8.912`, beyond the local maximum at :math:`x \\approx 0.931`. Near :math:`x^*` an
update multiplies the error by :math:`1 - \\eta f''(x^*)` with :math:`f''(x^*) \\approx 17.3`: 0.01 creeps
(0.83 per step), 0.1 overshoots and oscillates (-0.73), 0.05 is close to the ideal :math:`1/f''(x^*)`.

Question 2 trains one hidden layer of 100 sigmoid units with softmax cross-entropy ("logistic loss") and
mini-batch SGD (batch 300) for several learning rates, picks the rate on a validation split held out of the
training set, and reports the chosen network's test accuracy and training time. Question 3 changes several
things at once (ReLU, two wider layers, dropout, L2, Adam with an exponentially decaying rate) and must beat
Question 2's test accuracy by at least 0.5 points.

Question 1 is in :mod:`.quartic`, Questions 2 and 3 in :mod:`.networks`; each holds its runs, figures and
claims, and this module runs them in order.
"""

from __future__ import annotations

from ...base import Lab, experiment
from .networks import question_2_and_3
from .quartic import question_1


@experiment("assignment", "Assignment 6 of S3: gradient descent, a shallow network and a better one", sources="S3")
def run(lab: Lab) -> None:
    question_1(lab)
    question_2_and_3(lab)
