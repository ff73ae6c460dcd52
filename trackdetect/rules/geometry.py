"""TD1xx: the declared size of an image or box."""

from __future__ import annotations

from ._base import Subject, rule


def _fmt(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


@rule("TD101", "tiny-declared-size", "Declared 0 or 1 pixel wide or high", ("resource",), 3.0)
def tiny_declared_size(subject: Subject) -> str | None:
    """Fire when an image or box is declared at most 1x1 pixel, or 0 pixels in either dimension.

    Why: a pixel is made invisible by its size. Sizes count in every form mail clients
    accept: ``width=1``, ``width="1"``, ``width="1px"``, and CSS ``width``, ``height``,
    ``max-width`` and ``max-height``. A 600x1 divider is not tiny: one dimension must be
    at most 1 and the other at most 1 or unknown, unless one of them is 0 (zero area).
    False positives: layout spacers, which the judge drops when they carry no identifier.
    Example: ``<img src="https://t.example.net/o/abc123" width="1" height="1">``.
    """
    reference = subject.reference
    width, height = reference.width, reference.height
    if width is None and height is None:
        return None
    zero = width == 0 or height == 0
    small_width = width is not None and width <= 1
    small_height = height is not None and height <= 1
    tiny = (small_width and (height is None or small_height)) or (small_height and width is None)
    if not (zero or tiny):
        return None
    where = ", ".join(reference.declared) or "declared size"
    return f"{_fmt(width)}x{_fmt(height)} ({where})"


RULES = (tiny_declared_size,)
