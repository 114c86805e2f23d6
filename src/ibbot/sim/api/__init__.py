"""Request handlers: one module per family, each a table from request type to a function of (context, request)."""
