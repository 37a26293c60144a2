"""The products of the portfolio: one package each, composed from reusable constructs."""
