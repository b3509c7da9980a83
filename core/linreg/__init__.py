"""linreg."""
