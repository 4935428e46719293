"""A blueprint's declared outputs as Dagster assets: specs, materializations, checks.

Design: the assets are *specs* (``dg.AssetSpec``) that the blueprint's unchanged op
job reports on, not graph-backed assets; see the README section "Declared outputs
as assets" for why.
"""
