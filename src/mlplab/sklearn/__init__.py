"""scikit-learn estimators on the mlplab engine: :class:`MLPClassifier` and :class:`MLPRegressor`.

Drop-in for ``sklearn.neural_network``'s classes (same parameter names and fitted attributes, inside
``Pipeline`` and ``GridSearchCV``), with per-layer activations, dropout, batch norm, any mlplab loss,
optimizer or schedule, gradient clipping and a validation-loss curve on top. Needs scikit-learn
(``pip install 'mlplab[sklearn]'``).
"""

from ._classifier import MLPClassifier
from ._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
