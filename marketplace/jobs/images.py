"""Checking uploaded images by their content (Pillow), never by their name or declared type."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}


class BadImage(ValueError):
    """The bytes are not an image we accept; the message says why, for the error report."""


@dataclass(frozen=True)
class CheckedImage:
    format: str
    suffix: str
    width: int
    height: int


def check_image(data: bytes, *, max_bytes: int, max_pixels: int) -> CheckedImage:
    """Accept JPEG, PNG, WebP or GIF files within the size and pixel limits whose content decodes."""
    if len(data) > max_bytes:
        raise BadImage(f"is {len(data) // 1024} KB; images may be at most {max_bytes // 1024} KB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt, (width, height) = image.format, image.size
                if fmt not in FORMATS:
                    raise BadImage(f"is a {fmt} image; use JPEG, PNG, WebP or GIF")
                if width * height > max_pixels:
                    raise BadImage(f"is {width}x{height} pixels; at most {max_pixels:,} pixels are allowed")
                image.verify()  # reads the whole file: a truncated or corrupt image fails here
    except BadImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise BadImage("is not an image (its content is not JPEG, PNG, WebP or GIF)") from None
    except Exception as exc:  # Pillow raises many types for damaged files
        raise BadImage(f"is damaged and cannot be read ({type(exc).__name__})") from None
    return CheckedImage(fmt, FORMATS[fmt], width, height)
