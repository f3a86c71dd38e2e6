"""A real photo to convolve: scikit-learn's bundled sample images (no download needed).

scikit-learn ships two photos with its datasets (`sklearn.datasets.load_sample_image`), both
427 x 640 pixels, taken from Flickr under the Creative Commons Attribution 2.0 licence
(https://creativecommons.org/licenses/by/2.0/), as its `datasets/images/README.txt` records.
"""
import numpy as np

PHOTO_CREDITS = {
    "china.jpg": ("Photo: 'china.jpg' by danielbuechele on Flickr "
                  "(https://www.flickr.com/photos/danielbuechele/6061409035), CC BY 2.0; "
                  "bundled with scikit-learn as a sample image."),
    "flower.jpg": ("Photo: 'flower.jpg' by vultilion on Flickr "
                   "(https://www.flickr.com/photos/vultilion/6056698931), CC BY 2.0; "
                   "bundled with scikit-learn as a sample image."),
}
PHOTO_CREDIT = PHOTO_CREDITS["china.jpg"]


def sample_photo(gray=False, size=None, name="china.jpg", dtype=np.float64):
    """Load one of scikit-learn's sample photos as floats in [0, 1].

    Inputs:
    - gray: bool; True converts to luminance (0.299 R + 0.587 G + 0.114 B).
    - size: None (full 427 x 640), an int height (the width follows the aspect ratio), or (height, width).
    - name: "china.jpg" (a temple, default) or "flower.jpg"; credits in PHOTO_CREDITS[name].
    - dtype: float dtype of the result.

    Returns:
    - img: array of shape (H, W, 3) in colour or (H, W) in gray, values in [0, 1].
      Use as_batch(img) to get the (1, C, H, W) layout of the conv functions.
    """
    from PIL import Image
    from sklearn.datasets import load_sample_image

    rgb = load_sample_image(name)  # uint8, (427, 640, 3)
    if size is not None:
        height, width = (size, round(size * rgb.shape[1] / rgb.shape[0])) if np.isscalar(size) else size
        lanczos = getattr(Image, "Resampling", Image).LANCZOS  # Pillow < 9.1 has no Image.Resampling
        rgb = np.asarray(Image.fromarray(rgb).resize((int(width), int(height)), lanczos))
    img = rgb.astype(dtype) / 255.0
    if gray:
        img = img @ np.array([0.299, 0.587, 0.114], dtype=dtype)
    return np.clip(img, 0.0, 1.0)


def as_batch(img):
    """(H, W) or (H, W, C) image -> (1, C, H, W) batch for the conv functions (a copy, C-contiguous)."""
    img = np.asarray(img)
    chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
    return np.ascontiguousarray(chw[None])
