"""png, jpeg and tiff uploads: each image (each frame of a multi-page TIFF) is a page, read by
OCR. The pixel count is checked from the header before any pixel is decoded (a 100,000 x
100,000 PNG is a few KiB compressed and 10 GB decoded)."""

import io
import warnings

from PIL import Image, ImageSequence, UnidentifiedImageError

from strata.contracts.blocks import BlockDraft
from strata.conversion.errors import CorruptFileError, ImageTooLargeError, TooManyPagesError
from strata.conversion.limits import Limits
from strata.conversion.ocr import ocr_page

# An image without a resolution is taken as a 300 dpi scan, the common default of scanners.
DEFAULT_DPI = 300.0


def convert_image(data: bytes, *, limits: Limits) -> list[BlockDraft]:
    # Pillow refuses (before decoding) images past twice this; ours refuses past it once.
    Image.MAX_IMAGE_PIXELS = limits.ocr_max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            _check_pixels(image, limits)
            frames = getattr(image, "n_frames", 1)
            if frames > limits.ocr_max_pages:
                raise TooManyPagesError(
                    f"the image has {frames:,} pages; this deployment reads up to "
                    f"{limits.ocr_max_pages:,} by OCR"
                )
            blocks: list[BlockDraft] = []
            for number, frame in enumerate(ImageSequence.Iterator(image), 1):
                _check_pixels(frame, limits)
                dpi = _dpi(frame)
                blocks.extend(ocr_page(frame.copy(), page=number, dpi=dpi))
            return blocks
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"the image is too large to read safely ({exc})") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise CorruptFileError(f"the image could not be read ({exc})") from None


def _check_pixels(image: Image.Image, limits: Limits) -> None:
    width, height = image.size
    if width * height > limits.ocr_max_pixels:
        raise ImageTooLargeError(
            f"the image is {width:,} x {height:,} pixels; this deployment reads images of up "
            f"to {limits.ocr_max_pixels:,} pixels"
        )


def _dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    return value if 50 <= value <= 1200 else DEFAULT_DPI
