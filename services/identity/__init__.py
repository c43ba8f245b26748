"""The identity service: accounts, their roles, sign-in, refresh tokens and
sign-in throttling (see README.md). Importing the package imports no nameko:
the ``ejia`` CLI uses its commands directly."""
