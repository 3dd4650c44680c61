"""People (ledige): the caseload a counsellor sees, who is responsible for a person and the
handovers between organisations, and what an employer may see of a referred person."""
