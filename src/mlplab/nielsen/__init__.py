"""The API of Nielsen's "Neural Networks and Deep Learning" (``network.py``, ``network2.py``, ``mnist_loader.py``).

The book's scripts run with the imports changed to ``from mlplab.nielsen import mnist_loader, network, network2``.
Same classes, methods, arguments, printed lines, returned lists and JSON files; underneath, each
mini-batch goes through the mlplab engine as one matrix instead of a Python loop over its samples.
"""

from . import mnist_loader, network, network2

__all__ = ["mnist_loader", "network", "network2"]
