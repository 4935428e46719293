"""A NeuroCore project: ``neurocore.yaml``, its environment, and new project skeletons."""
