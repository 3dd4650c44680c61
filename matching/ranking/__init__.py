"""Matching proper: the texts that are embedded, the features read from the database, scoring
and explanations, storing match lists, occupation normalisation and the taxonomy, metrics."""
