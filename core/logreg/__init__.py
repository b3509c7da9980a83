"""logreg."""
