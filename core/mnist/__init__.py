"""mnist."""
