"""Learning-rate schedules: closed forms by hand, ReduceOnPlateau traced by hand, apply, registry, validation."""

import pytest

from mlplab import (
    SGD,
    Constant,
    ExponentialDecay,
    LinearDecay,
    Parameter,
    ReduceOnPlateau,
    StepDecay,
    UnknownNameError,
    get_schedule,
)


def test_constant():
    s = Constant(0.3)
    assert [s(t) for t in (0, 1, 100)] == [0.3, 0.3, 0.3]


@pytest.mark.parametrize("t", [0, 1, 3, 5, 9, 10, 11, 50])
def test_linear_decay_formula(t):
    start, end, n = 0.1, 0.01, 10
    expected = start - (start - end) * min(t, n) / n
    assert LinearDecay(start, end, n)(t) == pytest.approx(expected, rel=1e-12)


def test_linear_decay_landmarks():
    s = LinearDecay(0.1, 0.01, 10)
    assert s(0) == pytest.approx(0.1)
    assert s(5) == pytest.approx(0.055)
    assert s(10) == pytest.approx(0.01)
    assert s(25) == pytest.approx(0.01)  # constant after n


def test_linear_decay_to_zero_allowed():
    assert LinearDecay(1.0, 0.0, 4)(4) == 0.0


@pytest.mark.parametrize("t", [0, 1, 4, 9, 10, 15])
def test_exponential_decay_formula(t):
    start, end, n = 0.1, 0.001, 10
    delta = (end / start) ** (1 / n)
    assert ExponentialDecay(start, end, n)(t) == pytest.approx(start * delta ** min(t, n), rel=1e-12)


def test_exponential_decay_reaches_end_at_n_and_typo_form_would_not():
    start, end, n = 0.1, 0.001, 10
    s = ExponentialDecay(start, end, n)
    assert s.decay == pytest.approx((end / start) ** (1 / n), rel=1e-12)
    assert s(n) == pytest.approx(end, rel=1e-12)
    assert s(n + 7) == pytest.approx(end, rel=1e-12)
    # each step multiplies by the same factor
    assert s(3) / s(2) == pytest.approx(s(8) / s(7), rel=1e-12)
    # the lecture's printed form delta = end^(1/N) / start ends at end / start^(N-1) instead
    typo_delta = end ** (1 / n) / start
    typo_end = start * typo_delta**n
    assert typo_end == pytest.approx(end / start ** (n - 1), rel=1e-9)
    assert typo_end != pytest.approx(end, rel=1e-3)
    assert s.decay != pytest.approx(typo_delta, rel=1e-3)


def test_step_decay_defaults_matlab_piecewise():
    s = StepDecay()
    assert (s.initial, s.drop_factor, s.drop_period) == (0.005, 0.5, 5)
    for t in range(5):
        assert s(t) == pytest.approx(0.005)
    for t in range(5, 10):
        assert s(t) == pytest.approx(0.0025)
    assert s(10) == pytest.approx(0.00125)
    assert s(14) == pytest.approx(0.00125)
    assert s(15) == pytest.approx(0.000625)


def test_step_decay_custom():
    s = StepDecay(initial=1.0, drop_factor=0.1, drop_period=3)
    assert [s(t) for t in range(7)] == pytest.approx([1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01])


def test_step_decay_drop_factor_one_keeps_rate():
    assert StepDecay(0.2, drop_factor=1.0, drop_period=1)(50) == 0.2


# --------------------------------------------------------------------------- ReduceOnPlateau


def test_plateau_trace_min_mode():
    s = ReduceOnPlateau(1.0, factor=0.5, patience=2, threshold=0.1, cooldown=1, min_lr=0.2)
    metrics = [10.0, 9.5, 9.2, 9.1, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    # by hand (improvement means < best * 0.9; reduce when bad updates > 2; one cooldown update after):
    #  10   best=10                      lr 1
    #  9.5  not < 9: bad 1               lr 1    (an improvement without the threshold)
    #  9.2  bad 2                        lr 1
    #  9.1  bad 3 > 2 -> reduce          lr 0.5, cooldown 1
    #  8.0  < 9: best=8; cooldown ends   lr 0.5
    #  8.0 x3: bad 1, 2, 3 -> reduce     lr 0.25, cooldown 1
    #  8.0  bad 1, reset by cooldown     lr 0.25
    #  8.0 x3: bad 1, 2, 3 -> reduce     lr max(0.125, 0.2) = 0.2
    #  8.0 x4: floor at min_lr           lr 0.2
    expected = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2]
    got = [s.update(m) for m in metrics]
    assert got == pytest.approx(expected)
    assert s.best == 8.0


def test_plateau_trace_max_mode():
    s = ReduceOnPlateau(0.1, factor=0.1, patience=1, mode="max", threshold=0.0)
    metrics = [0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.71, 0.69, 0.68]
    #  0.5 best  0.6 best  0.6 bad1  0.55 bad2 -> 0.01  0.7 best  0.7 bad1  0.71 best  0.69 bad1  0.68 bad2 -> 0.001
    expected = [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.01, 0.001]
    assert [s.update(m) for m in metrics] == pytest.approx(expected)
    assert s.best == 0.71


def test_plateau_same_sequence_in_min_mode_differs():
    s = ReduceOnPlateau(0.1, factor=0.1, patience=1, mode="min", threshold=0.0)
    rates = [s.update(m) for m in [0.5, 0.6, 0.7]]  # rising: bad, bad -> reduced on the third
    assert rates == pytest.approx([0.1, 0.1, 0.01])


def test_plateau_torch_defaults():
    s = ReduceOnPlateau(1.0)
    assert (s.factor, s.patience, s.mode, s.threshold, s.cooldown, s.min_lr) == (0.1, 10, "min", 1e-4, 0, 0.0)
    rates = [s.update(1.0) for _ in range(12)]  # 1 improvement then 11 bad updates
    assert rates[:11] == [1.0] * 11
    assert rates[11] == pytest.approx(0.1)


def test_plateau_lr_and_apply_use_current_rate():
    s = ReduceOnPlateau(1.0, factor=0.5, patience=0)
    s.update(1.0)
    s.update(2.0)
    assert s(0) == s(99) == 0.5
    opt = SGD([Parameter([1.0])], lr=1.0)
    assert s.apply(opt, 3) == 0.5
    assert opt.lr == 0.5


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(lr=0.0), "lr"),
        (dict(lr=0.1, factor=1.0), "factor"),
        (dict(lr=0.1, factor=0.0), "factor"),
        (dict(lr=0.1, patience=-1), "patience"),
        (dict(lr=0.1, mode="up"), "mode"),
        (dict(lr=0.1, threshold=-0.1), "threshold"),
        (dict(lr=0.1, cooldown=-1), "cooldown"),
        (dict(lr=0.1, min_lr=-1.0), "min_lr"),
    ],
)
def test_plateau_invalid_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ReduceOnPlateau(**kwargs)


# --------------------------------------------------------------------------- apply, registry, validation


def test_apply_sets_optimizer_lr_on_every_group():
    a, b = Parameter([1.0]), Parameter([2.0])
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.7}], lr=1.0)
    s = LinearDecay(0.1, 0.01, 10)
    rate = s.apply(opt, 5)
    assert rate == pytest.approx(0.055)
    assert opt.lr == rate
    assert [g["lr"] for g in opt.param_groups] == [rate, rate]


@pytest.mark.parametrize(
    "name, kwargs, cls, t, expected",
    [
        ("constant", dict(lr=0.2), Constant, 7, 0.2),
        ("linear", dict(start=0.1, end=0.0, n=4), LinearDecay, 1, 0.075),
        ("exponential", dict(start=1.0, end=0.01, n=2), ExponentialDecay, 1, 0.1),
        ("step", dict(), StepDecay, 10, 0.00125),
        ("plateau", dict(lr=0.3), ReduceOnPlateau, 0, 0.3),
        ("Step-Decay", dict(initial=1.0), StepDecay, 5, 0.5),
    ],
)
def test_registry_names(name, kwargs, cls, t, expected):
    s = get_schedule(name, **kwargs)
    assert type(s) is cls
    assert s(t) == pytest.approx(expected)


def test_get_schedule_returns_instance_unchanged_and_rejects_unknown():
    s = StepDecay()
    assert get_schedule(s) is s
    with pytest.raises(UnknownNameError, match="valid names:.*constant.*exponential.*linear.*plateau.*step"):
        get_schedule("cosine")


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: Constant(-0.1), "lr"),
        (lambda: LinearDecay(-0.1, 0.0, 10), "start"),
        (lambda: LinearDecay(0.1, -0.01, 10), "end"),
        (lambda: LinearDecay(0.1, 0.01, 0), "n"),
        (lambda: ExponentialDecay(-1.0, 0.1, 10), "start"),
        (lambda: ExponentialDecay(1.0, 0.0, 10), "end"),
        (lambda: ExponentialDecay(1.0, 0.1, 0), "n"),
        (lambda: ExponentialDecay(1.0, 0.1, 2.5), "n"),
        (lambda: StepDecay(drop_factor=0.0), "drop_factor"),
        (lambda: StepDecay(drop_factor=1.5), "drop_factor"),
        (lambda: StepDecay(initial=0.0), "initial"),
        (lambda: StepDecay(drop_period=0), "drop_period"),
    ],
)
def test_invalid_arguments_name_the_argument(make, name):
    with pytest.raises(ValueError, match=rf"Invalid {name}:"):
        make()


@pytest.mark.parametrize(
    "s", [Constant(0.1), LinearDecay(0.1, 0.0, 5), ExponentialDecay(0.1, 0.01, 5), StepDecay(), ReduceOnPlateau(0.1)]
)
def test_negative_step_raises(s):
    with pytest.raises(ValueError, match="-1"):
        s(-1)
    opt = SGD([Parameter([1.0])], lr=0.5)
    with pytest.raises(ValueError):
        s.apply(opt, -3)
    assert opt.lr == 0.5


def test_plateau_skips_reductions_smaller_than_eps():
    schedule = ReduceOnPlateau(lr=1e-7, factor=0.5, patience=0, eps=1e-7)
    rates = [schedule.update(1.0) for _ in range(4)]
    assert rates == [1e-7] * 4  # 1e-7 - 5e-8 is not more than eps: no cut
    schedule = ReduceOnPlateau(lr=1e-7, factor=0.5, patience=0, eps=0.0)
    rates = [schedule.update(1.0) for _ in range(3)]
    assert rates == [1e-7, 5e-8, 2.5e-8]
