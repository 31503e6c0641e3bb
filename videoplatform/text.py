"""Text people type: trimmed, normalised, free of invisible characters, bounded."""

import unicodedata

from videoplatform.errors import ApplicationError


def clean_text(value: str, *, field: str, label: str, max_length: int, required: bool) -> str:
    """Trim, reject control and invisible formatting characters, and bound the length."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    if required and not text:
        raise ApplicationError(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise ApplicationError(f"{label} must be at most {max_length} characters.", field=field)
    for char in text:
        category = unicodedata.category(char)
        if category == "Cf" or (category == "Cc" and char not in "\n\r\t"):
            raise ApplicationError(f"{label} contains invisible control characters.", field=field)
    return text
