"""Occupation taxonomy: import of ESCO / ISCO-08 / DISCO-08 and the built-in demo taxonomy."""
