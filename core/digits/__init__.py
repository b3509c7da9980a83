"""digits."""
