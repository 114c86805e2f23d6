"""Orders: the order model, working orders, matching, commissions, the trading service and its wire translation."""
