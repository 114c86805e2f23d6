"""Historical data: IB's request rules, the window a query covers, bars and ticks built, answers, the service."""
