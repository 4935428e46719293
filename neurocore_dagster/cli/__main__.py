"""``python -m neurocore_dagster.cli``: the same as ``neurocore-dagster``."""

from neurocore_dagster.cli.main import main

raise SystemExit(main())
