"""`alas serve`: an OpenAI-compatible endpoint over the local student that follows each promotion."""
