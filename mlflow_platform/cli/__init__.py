"""`mlflow-platform`: the end-user CLI for the MLflow Platform Service Catalog portfolio.

Layers (see STYLE.md point 9): `main` parses arguments, `commands` call the services
(`catalog_service`, `deployment`, `connection`) that wrap injected boto3 clients and
raise the domain errors of `errors`, and `output` renders a table or JSON.
"""
