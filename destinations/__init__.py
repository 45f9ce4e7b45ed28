"""destinations."""
