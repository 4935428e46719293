"""Dagster jobs from plans: op rendering, config, reconstruction, recorded shapes."""
