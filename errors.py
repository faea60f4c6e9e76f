"""The one base class of the user's mistakes, so that the command line can tell them from anet's bugs.

A `UserError` is raised where a problem is found (a data spec, a video, a checkpoint, a device), with
a message that names the file, line or option at fault and is shown as it is: `anet` prints it and
exits with status 1. Any other exception that reaches the command line is a bug in anet (exit 3).
This module imports nothing, so every layer (data, training, the CLI) can depend on it.
"""


class UserError(Exception):
    """Bad input the user can fix; the message says what is wrong and where."""
