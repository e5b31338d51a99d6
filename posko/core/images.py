"""Photos re-encoded by Pillow, so no metadata leaves Posko in a stored image.

Every accepted JPEG, PNG or WEBP is opened by Pillow for the format its first bytes named,
checked, fully decoded, turned upright by its EXIF orientation and written again from the
bare pixels in the same format. What the camera or editor wrote beside the pixels (EXIF
with GPS, time and device; XMP; IPTC; PNG text/eXIf chunks; comments; an ICC colour
profile; a second picture or a video appended after the image) is not carried over.

Decisions (docs/security.md, "Uploads"):

* **ICC profile: dropped.** It can name the device or the editing software and is one
  more parser for every viewer. The pixels are kept as they are (not converted to sRGB):
  a wide-gamut (Display P3) photo looks slightly less saturated; evidence is about what is
  on the paper, not its colour.
* **Animations:** only the first frame is kept.
* **Refused, with a message and nothing stored:** more pixels than
  ``POSKO_MAX_IMAGE_PIXELS`` (checked from the header, before anything is decoded: a few
  KB can unpack to gigabytes), a damaged or cut-off image, a file Pillow cannot read as the
  format its first bytes claim, and a file that also carries another kind of document
  (web page markup or script, a PDF header, a ZIP archive at its end: a "polyglot").
* The capture position (EXIF GPS) is read before the metadata is dropped, for the modules
  that record it (incident evidence).
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps

# Posko checks the pixel count itself (POSKO_MAX_IMAGE_PIXELS, below Pillow's own limit),
# with a message for the person uploading; Pillow's warning would only add log noise.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

#: Pillow's own limit (it warns above it and refuses above twice it); the setting may not
#: exceed it.
PILLOW_PIXEL_LIMIT = Image.MAX_IMAGE_PIXELS or 89_478_485

JPEG_QUALITY = 90
WEBP_QUALITY = 90
# Speed over size: a request re-encodes the photo while the person waits. On a 12 MP photo
# PNG level 1 is 7x faster than Pillow's default 6 (15 % larger); WEBP method 0 is 2.5x
# faster than 4 at about the same size (bench/uploads.py).
PNG_COMPRESS_LEVEL = 1
WEBP_METHOD = 0

# Markup a browser or an interpreter would run, anywhere in the file; a PDF header where
# PDF readers look for one (the first KiB); a ZIP archive's end record at the very end.
# Only tags of five letters or more (with the character after them): compressed pixel data
# is close to random bytes, and a short tag such as "<svg " would turn up by chance in about
# one 5 MB photo in 3,000; "<html>" in about one in 400,000 (taking the photo again helps).
_MARKUP = re.compile(rb"<(?:script|html|iframe|object|embed|\?php|!doctype)[\s>/]",
                     re.IGNORECASE)


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    gps: tuple[float, float] | None


def max_pixels() -> int:
    return settings.POSKO_MAX_IMAGE_PIXELS


def hidden_content(data: bytes) -> str | None:
    """What else the file is besides an image (a polyglot), or None."""
    if _MARKUP.search(data):
        return _("web page markup or script")
    if b"%PDF-" in data[:1024]:
        return _("a PDF document")
    if len(data) >= 22 and data[-22:-18] == b"PK\x05\x06":
        return _("a ZIP archive")
    return None


def _ratio(value) -> float:
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite
        raise ValueError
    return value


def _degrees(triple) -> float:
    if not isinstance(triple, tuple) or len(triple) < 3:
        raise ValueError
    degrees, minutes, seconds = (_ratio(v) for v in triple[:3])
    if not (0 <= minutes < 60 and 0 <= seconds < 60) or degrees < 0:
        raise ValueError
    return degrees + minutes / 60 + seconds / 3600


def gps_of(image: Image.Image) -> tuple[float, float] | None:
    """(latitude, longitude) from the image's EXIF GPS tags, or None when they are missing,
    malformed or out of range (the photo is still evidence, it just has no position)."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        if not gps:
            return None
        latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude))
        longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude))
        if str(gps.get(ExifTags.GPS.GPSLatitudeRef, ""))[:1].upper() == "S":
            latitude = -latitude
        if str(gps.get(ExifTags.GPS.GPSLongitudeRef, ""))[:1].upper() == "W":
            longitude = -longitude
    except Exception:  # noqa: BLE001 - any broken EXIF means "no position", never a crash
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return round(latitude, 6), round(longitude, 6)


def photo_gps(data: bytes) -> tuple[float, float] | None:
    """The capture position of a JPEG, PNG or WEBP given as bytes (None if it has none)."""
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as image:
            return gps_of(image)
    except Exception:  # noqa: BLE001
        return None


def _too_many_pixels(name: str, width: int | None = None, height: int | None = None):
    limit = max_pixels()
    megapixels = f"{limit / 1_000_000:g}"
    if width is None:
        message = _("%(name)s has more pixels than the limit of %(limit)s megapixels (a small "
                    "file can unpack to gigabytes). Send the photo at a normal size.") % {
            "name": name, "limit": megapixels}
    else:
        message = _("%(name)s has %(width)s × %(height)s pixels; the limit is %(limit)s "
                    "megapixels (a small file can unpack to gigabytes). Send the photo at a "
                    "normal size.") % {"name": name, "width": width, "height": height,
                                       "limit": megapixels}
    return ValidationError(message, code="too_many_pixels")


def _output_mode(image: Image.Image, fmt: str) -> str:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    if fmt == "JPEG":
        return image.mode if image.mode in ("L", "RGB") else "RGB"
    if fmt == "PNG" and image.mode in ("1", "L", "LA", "RGB", "RGBA", "I;16"):
        return image.mode
    return "RGBA" if has_alpha else "RGB"


def _flatten(image: Image.Image) -> Image.Image:
    """A transparent image on white, for JPEG (which has no transparency)."""
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")


def clean_image(data: bytes, kind, *, name: str, max_side: int | None = None) -> CleanImage:
    """``data`` (an image of ``kind``: core.uploads.JPEG/PNG/WEBP) re-encoded without any
    metadata, upright, at most ``max_side`` pixels on its longest side when given.
    ValidationError (with a message naming ``name``) for everything refused (module doc)."""
    fmt = kind.name
    unreadable = ValidationError(_(
        "%(name)s starts like a %(kind)s image but cannot be read as one (damaged or "
        "incomplete). Take the photo again.") % {"name": name, "kind": fmt},
        code="unreadable")
    hidden = hidden_content(data)
    if hidden:
        raise ValidationError(_(
            "%(name)s is a %(kind)s image that also holds %(what)s; such a file is refused. "
            "Save the photo again from the camera or the gallery.") % {
            "name": name, "kind": fmt, "what": hidden}, code="polyglot")
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            if width < 1 or height < 1:
                raise unreadable
            if width * height > max_pixels():
                raise _too_many_pixels(name, width, height)
            gps = gps_of(image)
            if max_side and fmt == "JPEG" and max(width, height) > max_side:
                # Decode at 1/2, 1/4 or 1/8 of the size when that still gives max_side.
                shrink = max_side / max(width, height)
                image.draft(image.mode, (math.ceil(width * shrink), math.ceil(height * shrink)))
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            mode = _output_mode(image, fmt)
            if fmt == "JPEG" and mode == "RGB" and (image.mode in ("RGBA", "LA", "PA") or (
                    image.mode == "P" and "transparency" in image.info)):
                pixels = _flatten(image)
            else:
                pixels = image if image.mode == mode else image.convert(mode)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(name) from None
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError… for broken files
        raise unreadable from None
    del image
    if max_side and max(pixels.size) > max_side:
        pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # The encoders take metadata (EXIF, XMP, ICC profile, comment, PNG text, transparency)
    # from the save() arguments and the image's info: the info is emptied and no such
    # argument is given, so nothing of the original reaches the file written.
    pixels.info = {}
    bare = pixels
    out = io.BytesIO()
    if fmt == "JPEG":
        bare.save(out, "JPEG", quality=JPEG_QUALITY)
        content_type, extension = "image/jpeg", ".jpg"
    elif fmt == "PNG":
        bare.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        content_type, extension = "image/png", ".png"
    else:
        bare.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
        content_type, extension = "image/webp", ".webp"
    return CleanImage(out.getvalue(), content_type, extension, bare.width, bare.height, gps)
