"""The layer library that generated models import (never imports anet.dsl or anet.compiler)."""
