"""Research backends: where the facts to learn come from."""
