"""The connection layer's pure cores: IB's message codes, health, backoff, reset windows, targets, settings."""
