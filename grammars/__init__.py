"""Package data: the Lark grammar of the .anet language."""
