"""Shapes: a procedurally drawn, offline stand-in for CIFAR-10 (ten classes of 32x32 colour images).

Each image holds one shape of a class in CLASSES, drawn with numpy from a seed:

- the shape: a random size (radius 8 to 13 pixels), position near the centre (as in photos of objects),
  rotation and slight stretch, filled with a random colour (shaded across the shape) that stands out from
  the background behind it;
- the background: two random colours blended by a smooth random field, faint random stripes, and random
  line segments (clutter), a few of them drawn over the shape;
- Gaussian pixel noise of a random strength.

Classes differ in shape and structure only: every colour, position, size and angle is drawn for every
class alike. Every shape is mirror-symmetric and its rotation uniform, so a horizontally flipped image is
as likely as the original in its own class (flipping is a fair augmentation).

The settings below are tuned so that architecture matters: trained alike for 10 epochs, a small VGG
reaches about 89% and LeNet-5 about 56% (bench/bench_data.py measures it).

Signed distances: each shape is a function d(u, v) on coordinates that have been moved, rotated and
scaled so that the shape's radius is 1; d < 0 inside, d > 0 outside, |d| roughly the distance to the
edge. A pixel's coverage is clip(0.5 - d * radius, 0, 1): one-pixel-wide anti-aliased edges.

Images are drawn in whole chunks of CHUNK, each from its own seed (seed, split, chunk index) with a
balanced, shuffled set of labels, so the first n images of a set do not depend on how many are drawn
after them (a smoke-mode set is the start of the full one).
"""
import numpy as np

CLASSES = ("circle", "ring", "square", "frame", "triangle", "star", "cross", "crescent", "heart", "arrow")
CHUNK = 500
SIZE = 32
RADIUS = (8.0, 13.0)       # shape radius in pixels
SHIFT = 0.4                # largest offset of the shape's centre from the image's, as a fraction of the room left
NOISE = (0.02, 0.08)       # standard deviation of the pixel noise
CLUTTER = (2, 6)           # line segments behind the shape (inclusive range)
OCCLUDERS = (0, 2)         # line segments drawn over the shape (inclusive range)
MIN_CONTRAST = 0.35        # least distance (RGB, 0..1) between the shape's colour and the background
STRIPES = 0.12             # largest amplitude of the background stripes


# ---------------------------------------------------------------------------
# Signed distances of the ten shapes, in units of the shape's radius
# ---------------------------------------------------------------------------

def _box(u, v, half_u, half_v, at_v=0.0):
    """A rectangle with half-sides (half_u, half_v) centred at (0, at_v)."""
    return np.maximum(np.abs(u) - half_u, np.abs(v - at_v) - half_v)


def _half_planes(u, v, lines):
    """The convex polygon {p : n . p <= c for every (nu, nv, c)} (n of unit length)."""
    return np.max([nu * u + nv * v - c for nu, nv, c in lines], axis=0)


def _edge(p0, p1):
    """(nu, nv, c) for the line through p0 and p1, n pointing away from the origin."""
    (x0, y0), (x1, y1) = p0, p1
    nu, nv = y1 - y0, x0 - x1
    norm = np.hypot(nu, nv)
    nu, nv = nu / norm, nv / norm
    c = nu * x0 + nv * y0
    return (nu, nv, c) if c > 0 else (-nu, -nv, -c)


def _regular_polygon(u, v, sides, radius):
    """A regular polygon with `sides` corners at distance `radius`:
    d = r cos(angle to the nearest edge's normal) - apothem."""
    sector = 2 * np.pi / sides
    angle = np.mod(np.arctan2(v, u), sector) - sector / 2
    return np.hypot(u, v) * np.cos(angle) - radius * np.cos(np.pi / sides)


def _star(u, v, points=5, outer=1.15, inner=0.5):
    half = np.pi / points
    t = np.abs(np.mod(np.arctan2(v, u) + half, 2 * half) - half)   # angle from the nearest outer point
    r = np.hypot(u, v)
    nu, nv, c = _edge((outer, 0.0), (inner * np.cos(half), inner * np.sin(half)))
    return nu * r * np.cos(t) + nv * r * np.sin(t) - c


def circle(u, v):
    return np.hypot(u, v) - 1.0


def ring(u, v):
    return np.abs(np.hypot(u, v) - 0.75) - 0.25


def square(u, v):
    return _box(u, v, 0.8, 0.8)


def frame(u, v):
    return np.abs(_box(u, v, 0.65, 0.65)) - 0.2


def triangle(u, v):
    return _regular_polygon(u, v, 3, 1.2)


def star(u, v):
    return _star(u, v)


def cross(u, v):
    return np.minimum(_box(u, v, 1.0, 0.3), _box(u, v, 0.3, 1.0))


def crescent(u, v):
    return np.maximum(np.hypot(u, v) - 1.0, 0.8 - np.hypot(u - 0.45, v))


_HEART_TIP = [_edge((-0.95, 0.2), (0.0, -1.1)), _edge((0.95, 0.2), (0.0, -1.1)), (0.0, 1.0, 0.2)]


def heart(u, v):
    lobes = np.minimum(np.hypot(u - 0.5, v - 0.3), np.hypot(u + 0.5, v - 0.3)) - 0.5
    return np.minimum(lobes, _half_planes(u, v, _HEART_TIP))


_ARROW_HEAD = [_edge((-0.6, 0.15), (0.0, 1.05)), _edge((0.6, 0.15), (0.0, 1.05)), (0.0, -1.0, -0.15)]


def arrow(u, v):
    return np.minimum(_box(u, v, 0.17, 0.55, at_v=-0.4), _half_planes(u, v, _ARROW_HEAD))


SHAPES = (circle, ring, square, frame, triangle, star, cross, crescent, heart, arrow)


# ---------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------

def _coverage(distance):
    """Anti-aliased coverage in [0, 1] from a signed distance in pixels."""
    return np.clip(0.5 - distance, 0.0, 1.0)


def _smooth_field(rng, n, cells=4):
    """(n, SIZE, SIZE) values in [0, 1]: a cells x cells grid of uniform numbers, bilinearly upsampled."""
    grid = rng.random((n, cells, cells), dtype=np.float32)
    at = (np.arange(SIZE, dtype=np.float32) + 0.5) / SIZE * (cells - 1)
    lower = np.minimum(at.astype(int), cells - 2)
    weights = np.zeros((SIZE, cells), dtype=np.float32)   # row i: interpolation weights of pixel i
    weights[np.arange(SIZE), lower] = 1 - (at - lower)
    weights[np.arange(SIZE), lower + 1] = at - lower
    return weights @ grid @ weights.T


_AT = np.arange(SIZE, dtype=np.float32) + 0.5   # pixel centres along one axis


def _uniform(rng, lows, highs, shape):
    """One float32 array of `shape` per (low, high) pair, uniform on [low, high)."""
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    draws = rng.uniform(lows, highs, shape + (len(lows),)).astype(np.float32)
    return np.moveaxis(draws, -1, 0)


def _linear(a, b, c):
    """a x + b y + c at every pixel centre (x, y): coefficients (...,) -> (..., SIZE, SIZE)."""
    return (a[..., None] * _AT)[..., None, :] + (b[..., None] * _AT + c[..., None])[..., :, None]


def _segments(rng, counts, slots):
    """Coverage (n, slots, SIZE, SIZE) of random line segments (thin rectangles 0.6 to 1.6 pixels wide,
    6 to 32 long): image i has counts[i] of them, the other slots are empty."""
    n = len(counts)
    mx, my, angle, half_length, half_width = _uniform(rng, (-2, -2, 0, 3, 0.3), (SIZE + 2, SIZE + 2, np.pi, 16, 0.8),
                                                      (n, slots))
    c, s = np.cos(angle), np.sin(angle)
    along = np.abs(_linear(c, s, -(c * mx + s * my))) - half_length[..., None, None]
    across = np.abs(_linear(-s, c, s * mx - c * my)) - half_width[..., None, None]
    present = np.arange(slots) < counts[:, None]
    return _coverage(np.maximum(along, across)) * present[..., None, None]


def _paint(image, coverage, colour):
    """Paint layers of colour (n, k, 3) with coverage (n, k, S, S) over image (n, 3, S, S). Where layers
    overlap their colours mix in proportion to coverage (no stacking order: cheaper, and as good for clutter)."""
    alpha = 1 - np.prod(1 - coverage, axis=1)
    mixed = np.einsum("nkhw,nkc->nchw", coverage, colour) / np.maximum(coverage.sum(axis=1), 1e-6)[:, None]
    return image + (mixed - image) * alpha[:, None]


def _distinct_colours(rng, behind, tries=8):
    """(n, 3) random colours at least MIN_CONTRAST away from the colours `behind` (n, 3)."""
    colour = rng.random(behind.shape, dtype=np.float32)
    for _ in range(tries):
        close = np.linalg.norm(colour - behind, axis=1) < MIN_CONTRAST
        if not close.any():
            break
        colour[close] = rng.random((int(close.sum()), 3), dtype=np.float32)
    still = np.linalg.norm(colour - behind, axis=1) < MIN_CONTRAST
    colour[still] = np.where(behind[still] > 0.5, 0.0, 1.0)   # the opposite corner of the colour cube
    return colour


def _draw_chunk(rng, labels):
    """Images (n, 3, SIZE, SIZE) in [0, 1] of the shapes `labels` (n,), and their coverage (n, SIZE, SIZE)."""
    n = len(labels)

    # background: two colours blended by a smooth field, faint stripes, clutter behind the shape
    colours = rng.random((n, 2, 3, 1, 1), dtype=np.float32)
    field = _smooth_field(rng, n)[:, None]
    image = colours[:, 0] + (colours[:, 1] - colours[:, 0]) * field
    angle, period, phase, strength = _uniform(rng, (0, 3, 0, 0), (np.pi, 8, 2 * np.pi, STRIPES), n)
    wave = 2 * np.pi / period
    image += (strength[:, None, None] * np.sin(_linear(wave * np.cos(angle), wave * np.sin(angle), phase)))[:, None]
    lines = _segments(rng, rng.integers(CLUTTER[0], CLUTTER[1] + 1, n), CLUTTER[1])
    image = _paint(image, lines, rng.random((n, CLUTTER[1], 3), dtype=np.float32))

    # the shape: moved, rotated, stretched a little and scaled to radius 1
    radius, cx, cy, theta, stretch = rng.random((5, n), dtype=np.float32)
    radius = RADIUS[0] + (RADIUS[1] - RADIUS[0]) * radius
    room = SIZE / 2 - 0.7 * radius                      # the centre stays 0.7 radius from the edges
    cx, cy = (SIZE / 2 + SHIFT * room * (2 * t - 1) for t in (cx, cy))
    theta, stretch = 2 * np.pi * theta, 0.85 + 0.3 * stretch
    c, s = np.cos(theta), np.sin(theta)
    su, sv = 1 / (radius * stretch), stretch / radius
    u = _linear(c * su, s * su, -(c * cx + s * cy) * su)
    v = _linear(-s * sv, c * sv, (s * cx - c * cy) * sv)
    distance = np.empty((n, SIZE, SIZE), dtype=np.float32)
    for k, shape in enumerate(SHAPES):
        mine = labels == k
        distance[mine] = shape(u[mine], v[mine])
    alpha = _coverage(distance * radius[:, None, None])[:, None]
    behind = (image * alpha).sum(axis=(2, 3)) / np.maximum(alpha.sum(axis=(2, 3)), 1e-6)
    fill = _distinct_colours(rng, behind)[:, :, None, None]
    shade = rng.uniform(-0.15, 0.15, (n, 1, 1)).astype(np.float32) * u   # light from one side
    image += (fill + shade[:, None] - image) * alpha

    # a few segments over the shape, then noise
    lines = _segments(rng, rng.integers(OCCLUDERS[0], OCCLUDERS[1] + 1, n), OCCLUDERS[1])
    image = _paint(image, lines, rng.random((n, OCCLUDERS[1], 3), dtype=np.float32))
    sigma = rng.uniform(*NOISE, (n, 1, 1, 1)).astype(np.float32)
    image += sigma * rng.standard_normal(image.shape, dtype=np.float32)
    return np.clip(image, 0.0, 1.0, out=image), alpha[:, 0]


def draw_shapes(n, seed=0, split=0, masks=False):
    """n images of the Shapes set and their labels.

    Inputs:
    - n: number of images (>= 0).
    - seed: int; the same (seed, split) always gives the same images.
    - split: int; 0 for training images, 1 for test images (another stream of the same seed).
    - masks: also return where the shape is.

    Returns:
    - images: (n, 3, 32, 32) float32 in [0, 1], RGB.
    - labels: (n,) int64 in 0..9, indices into CLASSES; each chunk of CHUNK images holds every class
      CHUNK / 10 times, so a set of a multiple of CHUNK images is exactly balanced.
    - (masks=True) coverage: (n, 32, 32) float32 in [0, 1], the part of each pixel the shape covers
      (before the segments drawn over it).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if n == 0:
        empty = np.zeros((0, 3, SIZE, SIZE), np.float32), np.zeros(0, np.int64), np.zeros((0, SIZE, SIZE), np.float32)
        return empty if masks else empty[:2]
    chunks = []
    for chunk, start in enumerate(range(0, n, CHUNK)):
        rng = np.random.default_rng([seed, split, chunk])
        labels = rng.permutation(np.arange(CHUNK) % len(CLASSES)).astype(np.int64)
        keep = min(CHUNK, n - start)   # a whole chunk is drawn, so a partial one is a prefix of it
        chunks.append(tuple(a[:keep] for a in (*_draw_chunk(rng, labels), labels)))
    images, coverage, labels = (np.concatenate(parts) for parts in zip(*chunks))
    return (images, labels, coverage) if masks else (images, labels)
