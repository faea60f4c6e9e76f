"""Training and evaluation of compiled networks on video data (the paper's recipe by default).

from anet.training import TrainConfig, train
result = train(network, text, parse_data_spec("proxy"), TrainConfig(iterations=300, width=0.125))
result.metrics["fitness"], result.edge_weights
"""

from anet.training.config import TrainConfig
from anet.training.evaluate import evaluate, predict
from anet.training.loop import TrainingError, TrainResult, train
from anet.training.metrics import average_precision, mean_average_precision, topk_correct

__all__ = [
    "TrainConfig",
    "TrainResult",
    "TrainingError",
    "average_precision",
    "evaluate",
    "mean_average_precision",
    "predict",
    "topk_correct",
    "train",
]
