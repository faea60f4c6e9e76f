"""anetc: turns an .anet AST into readable PyTorch source through Jinja templates."""
