"""Training: the loop, its callbacks and checkpoints."""

from .callbacks import Callback, CSVLogger, EarlyStopping, History, JSONLLogger, LearningRateScheduler, ModelCheckpoint
from .progress import ProgressBar
from .state import read_checkpoint, write_checkpoint
from .trainer import Trainer, TrainingDiverged, fit

__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "History",
    "JSONLLogger",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgressBar",
    "Trainer",
    "TrainingDiverged",
    "fit",
    "read_checkpoint",
    "write_checkpoint",
]
