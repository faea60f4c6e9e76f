"""Runtime version check for generated code, in the spirit of protobuf's generated-code check.

Generated model files call ``check_version(N)`` at import, where N is the runtime version the
compiler emitted code for. An older installed runtime then fails at import with a clear message
instead of later with an obscure AttributeError or a silently different model. Bump
``RUNTIME_VERSION`` whenever a layer's behaviour, parameters or constructor change.
"""

from __future__ import annotations

__all__ = ["RUNTIME_VERSION", "check_version"]

RUNTIME_VERSION: int = 3
# 2: stems and blocks take the width multiplier (`width=`); `Input` describes a model's inputs.
# 3: AssembleNet++ attention (`AttendedFusion`); `Fusion(objects=...)` leaves object stems out of
#    the fused width; AssembleNet++lite's layers (`LiteStem`, `InvertedBottleneckBlock`,
#    `LiteHead`). Code for version 2 runs unchanged; the compiler asks for 3 only where it uses them.


def check_version(required: int) -> None:
    """Raise ImportError if generated code needs a newer runtime than this one."""
    if required > RUNTIME_VERSION:
        raise ImportError(
            f"this generated model needs anet.runtime version {required}, but the installed anet.runtime "
            f"is version {RUNTIME_VERSION}; upgrade anet, or regenerate the model with the installed "
            "compiler (anetc)"
        )
