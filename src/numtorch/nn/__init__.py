"""numtorch.nn: neural-network building blocks."""
from __future__ import annotations

from . import functional
from .parameter import Parameter

# ---- modules (issue 5): each part adds its names here ----
# module:
# isort: split
from . import init, utils  # noqa: E402
from .module import Module  # noqa: E402
from .modules.activation import (  # noqa: E402
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    RReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from .modules.container import (  # noqa: E402
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from .modules.dropout import Dropout, Dropout1d, Dropout2d, Dropout3d  # noqa: E402
from .modules.linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: E402

# layers:
# isort: split
from .modules.batchnorm import BatchNorm1d, BatchNorm2d  # noqa: E402
from .modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: E402
from .modules.normalization import GroupNorm, LayerNorm  # noqa: E402
from .modules.pooling import (  # noqa: E402
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from .modules.sparse import Embedding  # noqa: E402

# isort: split

# losses:
from .modules.loss import (  # noqa: E402
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    TripletMarginLoss,
)

# ---- end of modules ----

__all__ = ["functional", "Parameter"]

# ---- module part (issue 5) ----
__all__ += [
    "init", "utils", "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
    "ParameterDict", "Linear", "Bilinear", "Identity", "Flatten", "Unflatten", "Dropout",
    "Dropout1d", "Dropout2d", "Dropout3d", "CELU", "ELU", "GELU", "GLU", "SELU", "Hardshrink",
    "Hardsigmoid",
    "Hardswish", "Hardtanh", "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish", "PReLU", "ReLU",
    "ReLU6", "RReLU", "Sigmoid", "SiLU", "Softmax", "Softmin", "Softplus", "Softshrink",
    "Softsign", "Tanh", "Tanhshrink", "Threshold"]

# ---- conv / pooling / normalization / embedding layers (issue 5) ----
__all__ += [
    "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d",
    "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "Embedding"]

# ---- losses (issue 5) ----
__all__ += [
    "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
    "SoftMarginLoss", "HingeEmbeddingLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "TripletMarginLoss"]

# ---- recurrent layers (issue 5) ----
# isort: split
from .modules.rnn import GRU, LSTM, RNN, RNNBase  # noqa: E402
from .modules.rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase  # noqa: E402

__all__ += ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

# ---- attention and transformer (issue 5) ----
# isort: split
from .modules.attention import MultiheadAttention  # noqa: E402
from .modules.transformer import (  # noqa: E402
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ += ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
            "TransformerDecoderLayer", "TransformerDecoder", "Transformer"]

# ---- data parallelism over MPI (issue 10) ----
__all__ += ["parallel"]


def __getattr__(name: str):
    # nn.parallel (and numtorch.distributed under it) loads on first use (PEP 562)
    if name == "parallel":
        import importlib  # noqa: PLC0415
        return importlib.import_module(f"{__name__}.parallel")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"parallel"})
