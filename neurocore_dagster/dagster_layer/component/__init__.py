"""The ``dg`` component: ``neurocore_dagster.BlueprintsComponent``."""
