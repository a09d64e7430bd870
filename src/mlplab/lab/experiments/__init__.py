"""One module per experiment; importing this package registers them all.

An experiment too large for one module is a sub-package: its ``__init__`` runs the experiment
(and so registers it), its modules hold the parts (the studies, the runs, the figures). Only the
modules and sub-packages directly in this package are imported here; each is one experiment.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
