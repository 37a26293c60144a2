"""MLflow core: the private tracking service an account user launches."""
