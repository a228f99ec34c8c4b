"""Photos taken on a cadre's phone during a visit: checked by content (JPG or PNG, up to 15 MB), opened with a
pixel limit (a small file may unpack to gigabytes), turned upright by its EXIF orientation, shrunk to at most
1600 px on the long side and re-encoded as a JPEG without any EXIF — a phone writes its owner's location, the
device and its serial number there, none of which should leave the server. Before the EXIF is dropped, its GPS
position and the time the photo was taken are read out, so that they are kept as data of the visit instead."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_LONG_SIDE = 1600
# 60 megapixels: above any phone camera in use (a 200 MP sensor saves 50 MP pictures by default), far below what
# would exhaust the server's memory (4 bytes a pixel).
MAX_PIXELS = 60_000_000
JPEG_QUALITY = 85
MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
COORDINATE_PLACES = Decimal("0.000001")

EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_OFFSET_TIME_ORIGINAL = 0x9011


@dataclass(frozen=True)
class ProcessedPhoto:
    """The re-encoded JPEG and what was read from the original's EXIF (None when absent or unreadable)."""

    content: bytes
    width: int
    height: int
    taken_at: dt.datetime | None
    latitude: Decimal | None
    longitude: Decimal | None


def _error(message: str) -> ValidationError:
    return ValidationError({"photos": [message]})


def check_photo(upload: IO[bytes], size: int | None) -> str:
    """The image format by the file's first bytes (a phone's file names say little); ValidationError otherwise."""
    if size is not None and size > MAX_PHOTO_BYTES:
        raise _error(f"每张照片不能超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head:
        raise _error("照片是空文件")
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            return kind
    raise _error("照片只能是 JPG 或 PNG 图片")


def process_photo(upload: IO[bytes], size: int | None = None) -> ProcessedPhoto:
    """Check, read the EXIF of, rotate, shrink and re-encode one uploaded photo."""
    kind = check_photo(upload, size)
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice it; any image over ours is refused outright.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload, formats=[kind])
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _error("照片像素过多,无法处理")
            exif = image.getexif()
            taken_at = _taken_at(exif)
            latitude, longitude = _gps(exif)
            image = ImageOps.exif_transpose(image)  # also loads the pixels: a broken file fails here
            image = _flatten(image)
            image.thumbnail((MAX_LONG_SIDE, MAX_LONG_SIDE), Image.Resampling.LANCZOS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _error("照片像素过多,无法处理") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise _error("照片文件已损坏或不是 JPG、PNG 图片") from exc
    out = io.BytesIO()
    # No exif=, icc_profile= or xmp= arguments: Pillow then writes none of them.
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return ProcessedPhoto(content=out.getvalue(), width=image.width, height=image.height, taken_at=taken_at,
                          latitude=latitude, longitude=longitude)


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: a transparent PNG goes onto white rather than black."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    """DateTimeOriginal (local time of the camera, "YYYY:MM:DD HH:MM:SS"), with its offset when the phone wrote
    one; without one the server's time zone is assumed (the phones are in the same country)."""
    try:
        details = exif.get_ifd(ExifTags.IFD.Exif)
        text = details.get(EXIF_DATETIME_ORIGINAL) or exif.get(ExifTags.Base.DateTime)
        if not isinstance(text, str):
            return None
        moment = dt.datetime.strptime(text.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
        offset = details.get(EXIF_OFFSET_TIME_ORIGINAL)
        if isinstance(offset, str) and offset.strip():
            return dt.datetime.fromisoformat(f"{moment.isoformat()}{offset.strip().rstrip(chr(0))}")
        return timezone.make_aware(moment)
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


def _gps(exif: Image.Exif) -> tuple[Decimal | None, Decimal | None]:
    """Latitude and longitude in decimal degrees (south and west negative), or (None, None)."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S", 90)
        longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W", 180)
    except (ValueError, TypeError, KeyError, ZeroDivisionError):
        return None, None
    if latitude is None or longitude is None:
        return None, None
    return latitude, longitude


def _degrees(value: Any, ref: Any, negative: str, limit: int) -> Decimal | None:
    """(degrees, minutes, seconds) as rationals → signed decimal degrees, None when missing or out of range."""
    if value is None or ref is None:
        return None
    parts = list(value) if isinstance(value, tuple | list) else [value]
    if not 1 <= len(parts) <= 3:
        return None
    try:
        numbers = [Decimal(str(float(part))) for part in parts]
    except (InvalidOperation, ValueError, TypeError, ZeroDivisionError):
        return None
    if any(not n.is_finite() or n < 0 for n in numbers):
        return None
    total = sum(n / (60**i) for i, n in enumerate(numbers))
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref).strip().rstrip("\x00").upper() == negative:
        total = -total
    if abs(total) > limit:
        return None
    return total.quantize(COORDINATE_PLACES)
