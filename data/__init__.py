"""Video data: decoding, dataset layouts, clip sampling, the built-in proxy task.

Items are dicts {"rgb": float [3, T, H, W] in [0, 1], "label": int64 scalar or float multi-hot [K],
"video": str, optionally "flow": float [2, T, H, W] in pixels (x right, y down) and "segmentation":
class ids [T, H, W] (uint8; int32 beyond 256 classes), which `segmentation.one_hot` turns into an
object stem's input}.

Import rule: this package depends on torch, numpy and PyAV only; OpenCV (the `flow` extra) is imported
when frame folders or flow extraction are first used. Nothing here imports the rest of anet but
`anet.errors` (the base class of the user's mistakes, which imports nothing), so models and training
code depend on data, never the other way round.

    decode.py        PyAV: the frames shown at given instants (seek, decode to the clip's end)
    sampling.py      which instants a clip shows (target fps, random or centred start, padding)
    transforms.py    crop / flip / resize of rgb, flow and segmentation maps together
    segmentation.py  object-segmentation maps beside each video (<video>.seg.npz): reading, checks
    clip.py          ClipConfig and the decode -> sample -> transform pipeline
    layouts/         one module per data-spec kind (class folders, CSV, Charades, frame lists, the
                     proxy): its datasets and its declared options; common.py what they share
    frames.py        mmaction2 rawframe folders with 8-bit flow images
    flow_extract.py  offline OpenCV TV-L1 into rawframe folders
    proxy.py         synthetic task defined by motion (optionally with its segmentation maps)
    layout.py        what a layout declares: kind, path, typed options with defaults and bounds
    dataspec.py      the parsed spec (DataSpec): classes, labels, flow, segmentation, clip shape, datasets
    spec.py          "proxy:classes=8", "folder:/data/mit", ... -> DataSpec
    encode.py        writing videos (tests, benchmarks, exports)
    text.py          annotation files read as UTF-8, or an error at the first bad byte
    flow_truth.py    real ground truth for optical flow (the Middlebury motorcycle pair)
"""

from .clip import ClipConfig, load_video_clip
from .decode import VideoDecodeError, VideoInfo, VideoReader, probe, read_frames
from .encode import write_video
from .flow_extract import extract_flow, extract_video
from .frames import FrameFolderDataset, decode_flow, encode_flow
from .layouts import (
    CharadesDataset,
    LayoutError,
    VideoCsvDataset,
    VideoDataset,
    VideoFolderDataset,
)
from .proxy import PROXY_CLASSES, ProxyConfig, ProxyDataset, proxy_splits
from .sampling import ClipSampler
from .spec import Datasets, DataSpec, DataSpecError, parse_data_spec
from .transforms import EvalTransform, TrainTransform

__all__ = [
    "PROXY_CLASSES",
    "CharadesDataset",
    "ClipConfig",
    "ClipSampler",
    "DataSpec",
    "DataSpecError",
    "Datasets",
    "EvalTransform",
    "FrameFolderDataset",
    "LayoutError",
    "ProxyConfig",
    "ProxyDataset",
    "TrainTransform",
    "VideoCsvDataset",
    "VideoDataset",
    "VideoDecodeError",
    "VideoFolderDataset",
    "VideoInfo",
    "VideoReader",
    "decode_flow",
    "encode_flow",
    "extract_flow",
    "extract_video",
    "load_video_clip",
    "parse_data_spec",
    "probe",
    "proxy_splits",
    "read_frames",
    "write_video",
]
