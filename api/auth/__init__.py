"""Accounts and access: passwords, tokens, the request's user and the guards."""
