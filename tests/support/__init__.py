"""Helpers shared by the tests (not tests themselves): paths, the portal test app, browsers."""
