"""Plans rendered as Dagster jobs, resources, storage, executors and definitions."""
