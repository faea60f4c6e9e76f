"""anet: a language, compiler and evolutionary search for AssembleNet-style video networks.

The repository's top-level folders are this package's subpackages (`dsl/` is `anet.dsl`, ...).
"""

__version__ = "0.1.0"
