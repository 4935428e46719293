"""The ``neurocore-dagster`` command line, on top of :mod:`neurocore_dagster.service`."""
