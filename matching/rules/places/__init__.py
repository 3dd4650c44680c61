"""The rules of company places, one module per kind of place."""
