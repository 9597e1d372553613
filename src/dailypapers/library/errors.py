"""What the library's services refuse, each with the HTTP status that says it.

The messages are sentences for the reader: the pages show them on the form and
the API as ``{"error": …}``.
"""


class LibraryError(Exception):
    status = 400


class Invalid(LibraryError):
    """What was typed cannot be stored: not an arXiv id, no such author, a name too long…"""


class NotFound(LibraryError):
    """No such thing for this reader: another reader's private collection is one too."""

    status = 404


class Conflict(LibraryError):
    """It would clash with what the reader has: a second collection with the same name."""

    status = 409


class TooMany(LibraryError):
    """A reader's library has a size limit (follows, collections, papers in one)."""

    status = 409
