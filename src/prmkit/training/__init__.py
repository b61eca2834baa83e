"""Training PRMs: discriminative step heads (BCE on hard or soft labels, PQM ranking) and implicit PRMs.

>>> from prmkit.training import TrainConfig
>>> TrainConfig(train_path="steps.jsonl", model="Qwen/Qwen2.5-0.5B", output_dir="out").readout
'token_classify'

Train with :func:`train` (or ``prmkit train --config cfg.yaml``); the output
folder loads in the ``hf`` scoring backend with :func:`load_spec`::

    from prmkit.scoring import load_prm
    prm = load_prm(load_spec("out"))
"""

from prmkit.training.config import Loss, Trainable, TrainConfig
from prmkit.training.convert import convert
from prmkit.training.data import read_stepwise
from prmkit.training.export import load_spec, training_spec
from prmkit.training.trainer import TrainResult, train

__all__ = [
    "Loss",
    "TrainConfig",
    "TrainResult",
    "Trainable",
    "convert",
    "load_spec",
    "read_stepwise",
    "train",
    "training_spec",
]
