"""`python -m mlflow_platform.cli`: same as the `mlflow-platform` console script."""

import sys

from mlflow_platform.cli.main import main

sys.exit(main())
