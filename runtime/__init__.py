"""anet.runtime: the layer library that generated AssembleNet models import.

Generated model code (written by ``anetc`` from ``.anet`` files) imports this package the way
protobuf generated code imports the protobuf runtime, and calls :func:`check_version` first.

Import rule: this package must never import ``anet.dsl`` or ``anet.compiler`` (nor anything that
imports them); the paper's constants come from ``anet.paper``, plain Python. A generated model must
run with nothing but torch and this runtime installed, and the compiler may change freely as long as
the code it emits keeps working against the runtime.

Tensors are [B, C, T, H, W] everywhere (channels first, time second); time is never downsampled.
Layers keep their activations in ``torch.channels_last_3d`` memory order internally (see
``layers.py``); that is a storage detail, shapes and results do not depend on it.
"""

from ..paper import Input
from .attention import PeerAttention, PeerProjections, SelfAttention, frame_mean
from .block import LEVEL_WIDTHS, REPEATS, Block
from .flow import RepresentationFlow
from .flow_pyramid import PyramidFlow
from .fusion import AttendedFusion, Fusion
from .head import Head
from .inference import inference_copy
from .layers import BN_EPS, BN_MOMENTUM, FrameConvBN, SameMaxPool, TemporalConvBN, scale_channels
from .lite import InvertedBottleneckBlock, InvertedBottleneckModule, LiteHead, LiteStem
from .modules import ResidualModule2D, ResidualModule2Plus1D
from .stems import FlowStem, ObjectStem, RGBStem
from .version import RUNTIME_VERSION, check_version

__all__ = [
    "BN_EPS",
    "BN_MOMENTUM",
    "LEVEL_WIDTHS",
    "REPEATS",
    "RUNTIME_VERSION",
    "AttendedFusion",
    "Block",
    "FlowStem",
    "FrameConvBN",
    "Fusion",
    "Head",
    "Input",
    "InvertedBottleneckBlock",
    "InvertedBottleneckModule",
    "LiteHead",
    "LiteStem",
    "ObjectStem",
    "PeerAttention",
    "PeerProjections",
    "PyramidFlow",
    "RGBStem",
    "RepresentationFlow",
    "ResidualModule2D",
    "ResidualModule2Plus1D",
    "SameMaxPool",
    "SelfAttention",
    "TemporalConvBN",
    "check_version",
    "frame_mean",
    "inference_copy",
    "scale_channels",
]
