"""Accounts: employer sign-up, colleagues and roles, links sent by e-mail (invitations,
password resets), login throttling and the jobcentre's confirmation of new employers."""
