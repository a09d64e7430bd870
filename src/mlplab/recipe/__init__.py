"""The training recipe every front end shares: options and their rules, data, model, trainer, run folder.

The command line, config files, the tuner, the playground, the lab and the compatibility APIs
all describe training with one :class:`Config`, checked against one table of rules
(:data:`OPTIONS`), and build data, model and trainer with the same functions::

    >>> from mlplab.recipe import Config, FLAG
    >>> Config().updated({"lr": -1.0}, FLAG)
    Traceback (most recent call last):
    ...
    mlplab.recipe.rules.ConfigError: --lr: -1.0 is not allowed (must be > 0)
"""

from .build import build_model, build_trainer, model_info, run_callbacks
from .data import Split, load_data, split_data
from .options import DATASETS, OPTIONS, TWO_D_SETS, Config, Option, load_config, read_config_file, write_config
from .rules import (
    ARGUMENT,
    FIELD,
    FLAG,
    SPACE,
    Choice,
    ConfigError,
    Flag,
    Integer,
    Interval,
    Names,
    Origin,
    Rule,
    RuleViolation,
    Sizes,
    Text,
    check_in,
    check_unknown,
    file_origin,
)
from .run import STAND_IN, create_run_folder, summary, test_and_report, train_run

__all__ = [
    "ARGUMENT",
    "STAND_IN",
    "DATASETS",
    "FIELD",
    "FLAG",
    "OPTIONS",
    "SPACE",
    "TWO_D_SETS",
    "Choice",
    "Config",
    "ConfigError",
    "Flag",
    "Integer",
    "Interval",
    "Names",
    "Option",
    "Origin",
    "Rule",
    "RuleViolation",
    "Sizes",
    "Split",
    "Text",
    "build_model",
    "build_trainer",
    "check_in",
    "check_unknown",
    "create_run_folder",
    "file_origin",
    "load_config",
    "load_data",
    "read_config_file",
    "model_info",
    "run_callbacks",
    "split_data",
    "summary",
    "test_and_report",
    "train_run",
    "write_config",
]
