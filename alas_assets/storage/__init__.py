"""Storage: the DuckDB warehouse, its Parquet export, and the model registry."""
