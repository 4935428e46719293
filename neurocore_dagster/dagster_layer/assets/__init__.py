"""A blueprint's declared outputs as Dagster assets: specs, materializations, checks.

The blueprint's unchanged op job reports its assets (:mod:`.events`); their one
computation, for "Materialize" in the UI, runs that job (:mod:`.materialize`). The
README section "Declared outputs as assets" says why not graph-backed assets.
"""
