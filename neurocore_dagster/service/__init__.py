"""Run, resume, approve, inspect and stream blueprint runs on a Dagster instance."""
