"""Lifecycle scripts, kernel startup hook and sample notebook of the MLflow notebook product."""
