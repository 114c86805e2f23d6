"""The simulated market: noise, profiles, the price model, paths, bars, ticks, the live book, options."""
