"""What :class:`MLPClassifier` and :class:`MLPRegressor` share: parameters, the training loop, the fitted attributes.

The parameters mean what they mean in scikit-learn's ``MLPClassifier``; the
training loop follows its ``_fit_stochastic`` rules (stop when the training
loss, or with ``early_stopping`` the validation score, has not improved by
``tol`` for ``n_iter_no_change`` epochs; ``learning_rate="adaptive"`` divides
the rate by 5 instead) while each epoch runs on the mlplab engine through
:class:`~mlplab.Trainer`. scikit-learn's penalty
:math:`\\tfrac{\\alpha}{2m}\\lVert W\\rVert^2` per mini-batch of :math:`m`
samples is weight decay :math:`\\alpha/m` on the weight matrices.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..layers import Dense
from ..model import MLP, Sequential
from ..optimizers import OPTIMIZERS
from ..packing import pack
from ..recipe import ARGUMENT, OPTIONS, Choice, Integer, Interval, Names, Rule, Sizes, check_in
from ..schedules import schedule_for
from ..training import Trainer
from ..training.state import restore_weights, snapshot_weights

ACTIVATION_NAMES = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
"""scikit-learn's activation names as mlplab names; any mlplab activation name is accepted as well."""

PARAMETER_CONSTRAINTS: dict[str, Rule] = {
    "hidden_layer_sizes": Sizes(),
    "solver": Names(OPTIMIZERS),
    "alpha": OPTIONS["l2"].rule,
    "learning_rate": Choice(("constant", "invscaling", "adaptive")),
    "learning_rate_init": OPTIONS["lr"].rule,
    "power_t": Interval(0, None),
    "max_iter": OPTIONS["epochs"].rule,
    "tol": Interval(0, None),
    "momentum": Interval(0, 1),
    "validation_fraction": Interval(0, 1, low_open=True, high_open=True),
    "beta_1": Interval(0, 1, high_open=True),
    "beta_2": Interval(0, 1, high_open=True),
    "epsilon": Interval(0, None, low_open=True),
    "n_iter_no_change": Integer(1, None),
    "dropout": OPTIONS["dropout"].rule,
    "clip_norm": OPTIONS["clip_norm"].rule,
    "clip_value": OPTIONS["clip_value"].rule,
}
"""scikit-learn's ``_parameter_constraints`` habit, with the recipe's rules where an option is shared
(``learning_rate_init`` is ``lr``, ``alpha`` is ``l2``, ``max_iter`` is ``epochs``): a bad value gets the
same rule as in ``mlplab train``, named as the estimator's parameter."""


class BaseMLP(BaseEstimator):
    """The parameters and training loop of both estimators (not used directly)."""

    _OUT_ACTIVATION = ""
    model_: Sequential
    _trainer_: Trainer | None
    _trainer_settings: tuple[int, str]
    _seed: int
    _rate: float
    _no_improvement: int
    loss_curve_: list[float]
    validation_loss_curve_: list[float]
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    best_loss_: float | None

    def __init__(
        self,
        hidden_layer_sizes: int | tuple[int, ...] = (100,),
        activation: str | tuple[str, ...] = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        batch_norm: bool = False,
        loss: str | None = None,
        schedule: str | None = None,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        restore_best_weights: bool = True,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.loss = loss
        self.schedule = schedule
        self.clip_norm = clip_norm
        self.clip_value = clip_value
        self.restore_best_weights = restore_best_weights

    # ------------------------------------------------------------------ hooks of the two estimators

    def _default_loss(self) -> str:
        raise NotImplementedError

    def _targets(self, y: np.ndarray, *, first_call: bool, classes: Any = None) -> np.ndarray:
        """Training targets in the form the loss takes (class indices, or a 2-D float array)."""
        raise NotImplementedError

    def _n_outputs(self, targets: np.ndarray) -> int:
        raise NotImplementedError

    def _decode(self, targets: np.ndarray) -> np.ndarray:
        """Training targets back in the form ``y`` was given (labels, or a 1-D or 2-D array)."""
        raise NotImplementedError

    def _split(self, x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
        raise NotImplementedError

    # ------------------------------------------------------------------ checks

    def _check_parameters(self) -> None:
        if self.solver == "lbfgs":
            raise ValueError(
                "solver='lbfgs' is not supported by mlplab; use 'adam' or 'sgd' (or any mlplab optimizer name)"
            )
        sizes = np.atleast_1d(self.hidden_layer_sizes)
        for name, rule in PARAMETER_CONSTRAINTS.items():
            value = getattr(self, name)
            check_in(rule, name, list(sizes.tolist()) if name == "hidden_layer_sizes" else value, ARGUMENT)
        if self.batch_size != "auto":
            check_in(Integer(1, None), "batch_size", self.batch_size, ARGUMENT)

    # ------------------------------------------------------------------ building

    def _activations(self, n_hidden: int) -> list[str]:
        names = [self.activation] * n_hidden if isinstance(self.activation, str) else list(self.activation)
        if len(names) != n_hidden:
            raise ValueError(f"activation lists {len(names)} names for {n_hidden} hidden layers")
        return [ACTIVATION_NAMES.get(name, name) for name in names]

    def _build(self, n_features: int, n_outputs: int, dtype: Any, seed: int) -> Sequential:
        hidden = [int(s) for s in np.atleast_1d(self.hidden_layer_sizes)]
        mlp = MLP(
            [n_features, *hidden, n_outputs],
            activation=self._activations(len(hidden)),
            dropout=self.dropout,
            batch_norm=self.batch_norm,
            rng=seed,
            dtype=dtype,
        )
        return Sequential(mlp.layers)

    def _trainer(self, model: Sequential, batch_size: int, seed: int) -> Trainer:
        name = {"sgd": "sgd", "adam": "adam"}.get(self.solver, self.solver)
        options: dict[str, Any] = {}
        if name == "sgd":
            options = {"momentum": self.momentum, "nesterov": self.nesterovs_momentum and self.momentum > 0}
        elif name == "adam":
            options = {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon}
        schedule = None
        if self.schedule is not None:
            schedule = schedule_for(self.schedule, self.learning_rate_init, self.max_iter)
        loss = {"squared_error": "half_squared_error", "log_loss": "softmax_cross_entropy"}.get(
            self.loss or "", self.loss
        )
        return Trainer(
            model,
            loss=loss or self._default_loss(),
            optimizer=name,
            lr=self.learning_rate_init,
            batch_size=batch_size,
            schedule=schedule,
            clip_value=self.clip_value,
            clip_norm=self.clip_norm,
            l2=self.alpha / batch_size,
            optimizer_options=options,
            verbose=0,
            rng=seed,
            shuffle=self.shuffle,
        )

    # ------------------------------------------------------------------ fitting

    def _fit(self, X: Any, y: Any, *, incremental: bool, classes: Any = None) -> BaseMLP:
        self._check_parameters()
        first_call = not (incremental or self.warm_start) or not hasattr(self, "model_")
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        X, y = validate_data(self, X, y, reset=first_call, dtype=[np.float64, np.float32], multi_output=True)
        targets = self._targets(y, first_call=first_call, classes=classes)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max)) if first_call else self._seed
        validation = None
        if self.early_stopping and not incremental:
            X, targets, x_val, t_val = self._split(X, targets, seed)
            validation = (x_val, t_val)
        n = X.shape[0]
        batch_size = min(200, n) if self.batch_size == "auto" else min(int(self.batch_size), n)
        if first_call:
            self._seed = seed
            self.model_ = self._build(X.shape[1], self._n_outputs(targets), X.dtype, seed)
            self.n_outputs_ = self._n_outputs(targets)
            self.out_activation_ = self._OUT_ACTIVATION
            self.loss_curve_, self.validation_loss_curve_ = [], []
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = -np.inf if self.early_stopping else None
            self.best_loss_ = None if self.early_stopping else np.inf
            self.t_ = 0
            self._no_improvement = 0
            self._trainer_ = None
        self.n_iter_ = 0  # as scikit-learn: the epochs of this call
        settings = (batch_size, repr(sorted(self.get_params().items())))
        trainer = self._trainer_
        if not incremental or trainer is None or self._trainer_settings != settings:
            trainer = self._trainer_ = self._trainer(
                self.model_, batch_size, seed + 1
            )  # a new optimizer, as scikit-learn's fit
            self._trainer_settings = settings
            self._rate = self.learning_rate_init
        best_weights = self._run_epochs(
            trainer, X.astype(self.model_dtype_, copy=False), targets, batch_size, validation, incremental
        )
        if best_weights is not None and self.restore_best_weights:
            restore_weights(self.model_, best_weights)
        return self

    def _run_epochs(
        self,
        trainer: Trainer,
        x: np.ndarray,
        targets: np.ndarray,
        batch_size: int,
        validation: tuple[np.ndarray, np.ndarray] | None,
        incremental: bool,
    ) -> dict[str, np.ndarray] | None:
        """scikit-learn's epoch loop (one epoch for ``partial_fit``); returns the best validation epoch's weights."""
        n = x.shape[0]
        best_weights = None
        for _ in range(1 if incremental else self.max_iter):
            self._set_rate(trainer)
            logs = trainer.train_epochs(x, targets)
            self.n_iter_ += 1
            self.t_ += n
            self.loss_ = logs["loss"] + self._penalty(n, batch_size)
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
            if (
                validation is not None
                and self.validation_scores_ is not None
                and self.best_validation_score_ is not None
            ):
                x_val, t_val = validation
                score = self.score(x_val, self._decode(t_val))
                self.validation_scores_.append(score)
                self.validation_loss_curve_.append(trainer.evaluate(x_val.astype(self.model_dtype_), t_val)["loss"])
                self._no_improvement = self._no_improvement + 1 if score < self.best_validation_score_ + self.tol else 0
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best_weights = snapshot_weights(self.model_)
            elif self.best_loss_ is not None:
                self._no_improvement = self._no_improvement + 1 if self.loss_ > self.best_loss_ - self.tol else 0
                self.best_loss_ = min(self.best_loss_, self.loss_)
            if incremental:
                break
            if self._no_improvement > self.n_iter_no_change:
                if self.solver == "sgd" and self.learning_rate == "adaptive" and self._rate > 1e-6:
                    self._rate /= 5.0
                    self._no_improvement = 0
                    continue
                break
        else:
            if not incremental:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                    "optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
        return best_weights

    @property
    def model_dtype_(self) -> np.dtype:
        dtype = self.model_.dtype
        if dtype is None:
            raise ValueError("the model has no parameters")
        return dtype

    def _set_rate(self, trainer: Trainer) -> None:
        """scikit-learn's per-epoch rate for SGD: constant, ``invscaling`` :math:`\\eta_0/(t+1)^{p}` or ``adaptive``."""
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            self._rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t
        if self.schedule is None:
            trainer.optimizer.lr = self._rate

    def _penalty(self, n: int, batch_size: int) -> float:
        """scikit-learn's reported penalty: :math:`\\tfrac{\\alpha}{2m}\\lVert W\\rVert^2` per batch of :math:`m`,
        weighted by :math:`m/n` over the :math:`\\lceil n/m\\rceil` batches of an epoch."""
        batches = -(-n // batch_size)
        return 0.5 * self.alpha * sum(float(np.vdot(W, W)) for W in self.coefs_) * batches / n

    # ------------------------------------------------------------------ fitted attributes

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices ``(n_in, n_out)``, first layer first (views into the model)."""
        check_is_fitted(self, "model_")
        return [layer.W.value for layer in self.model_.layers if isinstance(layer, Dense)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        check_is_fitted(self, "model_")
        return [layer.b.value for layer in self.model_.layers if isinstance(layer, Dense) and layer.b is not None]

    @property
    def n_layers_(self) -> int:
        return len(self.coefs_) + 1

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.model_.forward(X.astype(self.model_dtype_, copy=False))

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the trainer: its flat optimizer state would not share memory with the weights again."""
        state = dict(self.__dict__)
        state.pop("_trainer_", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._trainer_ = None
        if "model_" in state:
            pack(self.model_.named_parameters())

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
