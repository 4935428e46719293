"""Blueprint documents: model, YAML loading with line numbers, validation."""

from neurocore_dagster.blueprint.loader import blueprint_from_data, load_blueprint
from neurocore_dagster.blueprint.model import Blueprint, Component, Edge, Flow, Node, Settings, Step

__all__ = [
    "Blueprint",
    "Component",
    "Edge",
    "Flow",
    "Node",
    "Settings",
    "Step",
    "blueprint_from_data",
    "load_blueprint",
]
