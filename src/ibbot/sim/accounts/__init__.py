"""Accounts: the ledger and its persistence, margin, the account views, the account service."""
