"""Pure values and rules: no store, no services, no I/O."""
