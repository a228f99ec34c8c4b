"""Visit photos: content sniffing, the pixel limit, EXIF orientation, the 1600 px bound, no EXIF in the stored
JPEG, and the GPS position and time read from the original's EXIF."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image

from sunshine.assistance.visits import photos


def make_image(size: tuple[int, int] = (40, 20), *, fmt: str = "JPEG", mode: str = "RGB",
               orientation: int | None = None, gps: tuple | None = None, taken: str | None = None,
               offset: str | None = None) -> bytes:
    """An image made with Pillow; gps = (lat_ref, (d, m, s), lon_ref, (d, m, s)) written into the GPS IFD."""
    colour = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
    image = Image.new(mode, size, colour)
    image.paste((0, 0, 255) if mode == "RGB" else (0, 0, 255, 255), (0, 0, size[0] // 4, size[1] // 4))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.BodySerialNumber] = "SERIAL-12345"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef], info[ExifTags.GPS.GPSLatitude] = gps[0], gps[1]
        info[ExifTags.GPS.GPSLongitudeRef], info[ExifTags.GPS.GPSLongitude] = gps[2], gps[3]
    if taken:
        details = exif.get_ifd(ExifTags.IFD.Exif)
        details[photos.EXIF_DATETIME_ORIGINAL] = taken
        if offset:
            details[photos.EXIF_OFFSET_TIME_ORIGINAL] = offset
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif)
    return out.getvalue()


def process(data: bytes) -> photos.ProcessedPhoto:
    return photos.process_photo(io.BytesIO(data), len(data))


def test_gps_and_time_are_read_then_every_exif_tag_is_dropped():
    data = make_image(gps=("N", (34.0, 41.0, 30.0), "E", (116.0, 38.0, 24.0)), taken="2026:11:30 09:15:00")
    result = process(data)
    assert result.latitude == Decimal("34.691667") and result.longitude == Decimal("116.640000")
    assert result.taken_at == dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    stored = Image.open(io.BytesIO(result.content))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {} and "exif" not in stored.info
    assert b"SERIAL-12345" not in result.content and b"TestPhone" not in result.content


def test_south_and_west_are_negative_and_the_offset_is_kept():
    data = make_image(gps=("S", (33.0, 52.0, 4.8), "W", (151.0, 12.0, 36.0)), taken="2026:01:02 03:04:05",
                      offset="+10:00")
    result = process(data)
    assert result.latitude == Decimal("-33.868000") and result.longitude == Decimal("-151.210000")
    assert result.taken_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=10)))


def test_a_photo_without_exif_has_no_place_nor_time():
    result = process(make_image())
    assert (result.latitude, result.longitude, result.taken_at) == (None, None, None)
    assert (result.width, result.height) == (40, 20)


def test_an_impossible_gps_position_is_ignored():
    result = process(make_image(gps=("N", (95.0, 0.0, 0.0), "E", (10.0, 0.0, 0.0))))
    assert (result.latitude, result.longitude) == (None, None)


def test_orientation_is_applied_and_the_long_side_bounded():
    # Orientation 6: the camera held upright saved a landscape frame to be turned 90° clockwise.
    result = process(make_image((3200, 1000), orientation=6))
    assert (result.width, result.height) == (500, 1600)
    stored = Image.open(io.BytesIO(result.content))
    assert stored.size == (500, 1600)
    # The blue corner block (top left of the sensor's frame) is now at the top right.
    assert stored.convert("RGB").getpixel((480, 20))[2] > 200
    assert stored.convert("RGB").getpixel((20, 20))[0] > 150


def test_a_small_photo_keeps_its_size():
    result = process(make_image((800, 600)))
    assert (result.width, result.height) == (800, 600)


def test_a_transparent_png_becomes_a_jpeg_on_white():
    result = process(make_image((50, 50), fmt="PNG", mode="RGBA"))
    stored = Image.open(io.BytesIO(result.content))
    assert stored.format == "JPEG" and stored.mode == "RGB"
    red, green, blue = stored.getpixel((40, 40))
    assert red > 200 and green > 100  # half-transparent red over white is pink, not dark red over black


@pytest.mark.parametrize(("data", "message"), [
    (b"%PDF-1.7 not a photo", "照片只能是 JPG 或 PNG 图片"),
    (b"GIF89a" + b"\0" * 20, "照片只能是 JPG 或 PNG 图片"),
    (b"", "照片是空文件"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 64, "照片文件已损坏或不是 JPG、PNG 图片"),
])
def test_bad_files_are_refused_with_a_chinese_message(data, message):
    with pytest.raises(ValidationError) as info:
        process(data)
    assert info.value.message_dict == {"photos": [message]}


def test_a_jpeg_named_png_is_read_by_its_content():
    data = make_image()
    assert photos.check_photo(io.BytesIO(data), len(data)) == "JPEG"


def test_too_large_a_file_is_refused_before_it_is_read():
    with pytest.raises(ValidationError, match="15 MB"):
        photos.process_photo(io.BytesIO(b"\xff\xd8\xff"), photos.MAX_PHOTO_BYTES + 1)


def test_a_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 100 * 100)
    with pytest.raises(ValidationError, match="像素过多"):
        process(make_image((200, 200), fmt="PNG"))
    # Pillow's own limit holds as well (a PNG header may claim any size).
    monkeypatch.setattr(photos, "MAX_PIXELS", 10**12)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    with pytest.raises(ValidationError, match="像素过多"):
        process(make_image((200, 200), fmt="PNG"))
