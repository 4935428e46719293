"""How a blueprint is named and described in Dagster: the translator."""
