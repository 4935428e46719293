"""Blueprints compiled into execution plans: pure, no Dagster."""
