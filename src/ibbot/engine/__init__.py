"""The composition root: wires broker, governor, supervisor, feeds, contracts, history (and later the order path)."""
