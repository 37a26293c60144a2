"""Shared definitions of the MLflow Platform: names, versions and the cross-product contract."""
