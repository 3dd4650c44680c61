"""What every area uses: settings, the database, errors, the audit log, Danish dates,
paging, permissions, workflows, mail and notifications."""
