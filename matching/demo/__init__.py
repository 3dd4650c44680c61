"""Deterministic demo data: realistic Danish organisations, jobseekers, CVs and vacancies."""
