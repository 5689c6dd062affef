"""The Litestar API: authenticates, validates, writes intent, sends messages, answers."""
