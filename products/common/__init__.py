"""Pieces every product stack uses: parameter definitions, stack base, aspects."""
