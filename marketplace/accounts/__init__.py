"""Accounts: users, roles, profiles (languages, expertise, country), login and API tokens."""
