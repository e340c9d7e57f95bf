"""Built-in ops: one ``Function`` per primitive, grouped by category."""
