"""The two kinds of failure the harness reports.

UserError: the user's input was wrong (a name, a number, a path, a file). One line on
stderr, exit status 2, and nothing written. SetupError: the machine lacks something the
user must install; the message carries the exact command. Anything else is a bug: exit 1.
"""


class UserError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


class SetupError(Exception):
    """The machine is missing something: reported with the command to fix it, exit 1."""
