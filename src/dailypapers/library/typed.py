"""What readers type (a name, a note, a word to mute), checked the same way everywhere."""

import unicodedata

from .errors import Invalid


def clean_line(text: object, what: str, max_length: int) -> str:
    """One line of text, its runs of spaces made one; Invalid if it is empty, too long,
    not text, or holds control characters (PostgreSQL refuses NUL: refused on both)."""
    if not isinstance(text, str):
        raise Invalid(f"The {what} must be text.")
    line = " ".join(text.split())
    if not line:
        raise Invalid(f"The {what} is empty.")
    if len(line) > max_length:
        raise Invalid(f"The {what} has {len(line)} characters; at most {max_length}.")
    _refuse_control_characters(line, what)
    return line


def clean_note(text: object, max_length: int) -> str:
    """A note, line breaks kept, maybe empty."""
    if not isinstance(text, str):
        raise Invalid("The note must be text.")
    note = text.strip().replace("\r\n", "\n")
    if len(note) > max_length:
        raise Invalid(f"The note has {len(note)} characters; at most {max_length}.")
    _refuse_control_characters(note.replace("\n", "").replace("\t", ""), "note")
    return note


def _refuse_control_characters(text: str, what: str) -> None:
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise Invalid(f"The {what} contains a control character.")
