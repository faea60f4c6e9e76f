"""The .anet language: grammar loading, typed AST, validation, diagnostics, printer."""
