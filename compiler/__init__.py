"""anetc: an .anet AST -> readable PyTorch source, through an IR (ir.py) and one Jinja template.

from anet.compiler import compile_network, compile_file
source = compile_network(network, text, "model.anet")   # str, deterministic
model = compile_file("model.anet").build_model(num_classes=10, width=0.125)
"""

from .emit import compile_network
from .ir import RUNTIME_VERSION, ModelIR, lower
from .loader import compile_file, compile_to_module, load_source

__all__ = ["RUNTIME_VERSION", "ModelIR", "compile_file", "compile_network", "compile_to_module", "load_source", "lower"]
