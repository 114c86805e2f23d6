"""Market-data subscriptions: top-of-book lines, tick rendering, generic ticks, shared frames, the streams."""
