"""Figures for the notebooks: images, filters, activation maps and a sliding-window diagram.

Every function draws one new figure with pyplot and returns it (nothing else is closed). In a
notebook assign the result (`fig = show_image(...)`) so that it is displayed once.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

_WINDOW_COLOURS = plt.get_cmap("tab10").colors


def _caption(fig, credit):
    if credit:
        fig.text(0.5, 0.005, credit, ha="center", va="bottom", fontsize=7, color="0.35", wrap=True)


def show_image(img, title=None, credit=None, ax_size=4.0):
    """Show an (H, W) gray or (H, W, 3) colour image with values in [0, 1].

    credit: a caption line naming the image's source (e.g. images.PHOTO_CREDIT).
    """
    img = np.asarray(img)
    height, width = img.shape[:2]
    fig, ax = plt.subplots(figsize=(ax_size * width / height, ax_size + (0.4 if credit else 0)))
    ax.imshow(np.clip(img, 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    _caption(fig, credit)
    fig.tight_layout(rect=(0, 0.05 if credit else 0, 1, 1))
    return fig


def show_filters(w, titles=None, annotate=None):
    """Show filters w of shape (F, C, HH, WW) (or (HH, WW) for one single-channel filter).

    Three-channel filters are drawn as colour images (each rescaled to [0, 1]); other filters are
    drawn per channel on a blue-white-red scale centred on zero (red positive, blue negative), with
    their values written in the cells when they are small (at most 5x5) unless annotate=False: whole
    numbers as they are, others with two decimals (-0.37), so that learned weights stay readable.
    """
    w = np.asarray(w, dtype=np.float64)
    w = w[None, None] if w.ndim == 2 else w
    F, C, HH, WW = w.shape
    colour = C == 3
    annotate = (HH <= 5 and WW <= 5 and not colour) if annotate is None else annotate
    cols = 1 if colour else C
    fig, axes = plt.subplots(cols, F, figsize=(1.6 * F + 0.4, 1.6 * cols + 0.5), squeeze=False)
    for f in range(F):
        for c in range(cols):
            ax = axes[c, f]
            if colour:
                rgb = w[f].transpose(1, 2, 0)
                span = rgb.max() - rgb.min()
                ax.imshow((rgb - rgb.min()) / span if span > 0 else np.full_like(rgb, 0.5), interpolation="nearest")
            else:
                limit = max(np.abs(w[f, c]).max(), 1e-12)
                ax.imshow(w[f, c], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
                if annotate:
                    for (i, j), v in np.ndenumerate(w[f, c]):
                        ax.text(j, i, _short_number(v), ha="center", va="center", fontsize=8 if v == round(v) else 7)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_title(titles[f] if titles else f"filter {f}", fontsize=9)
            if f == 0 and cols > 1:
                ax.set_ylabel(f"channel {c}", fontsize=8)
    fig.tight_layout()
    return fig


def _short_number(v):
    """A filter weight as a cell label: '3', '-1', '0.25' stay whole or exact; others get two decimals."""
    v = float(v) + 0.0  # no '-0'
    if v == round(v):
        return f"{v:.0f}"
    text = f"{v:g}"
    if len(text) > 4:
        text = f"{v:.2f}"
    return "0" if text in ("0.00", "-0.00") else text


def show_activation_maps(maps, titles=None, cmap="gray", symmetric=False, credit=None, suptitle=None,
                         percentile=99.5):
    """Show activation maps of shape (F, H, W) or (1, F, H, W), one panel per map, or a list of 2-D maps
    of different sizes (e.g. an input image beside the maps computed from it), each drawn in a panel of
    the same size.

    cmap and symmetric may be one value for all maps or a list with one value per map. Each map gets
    its own colour scale: symmetric=True centres it on zero on a blue-white-red scale (red positive);
    otherwise it runs from the map's minimum to its `percentile`-th percentile, so that a few very
    bright pixels do not make everything else dark.
    credit: a caption naming the source of the image the maps were computed from.
    """
    if isinstance(maps, (list, tuple)) and len({np.shape(m) for m in maps}) > 1:
        maps = [np.asarray(m) for m in maps]
        if any(m.ndim != 2 for m in maps):
            raise ValueError("a list of maps of different sizes must hold 2-D maps (H, W)")
        height, width = max(m.shape[0] for m in maps), max(m.shape[1] for m in maps)
    else:
        maps = np.asarray(maps)
        maps = maps[0] if maps.ndim == 4 else maps
        maps = maps[None] if maps.ndim == 2 else maps
        height, width = maps.shape[1:]
    n = len(maps)
    cmaps = list(cmap) if isinstance(cmap, (list, tuple)) else [cmap] * n
    symmetric = list(symmetric) if isinstance(symmetric, (list, tuple)) else [symmetric] * n
    cols = n if n <= 3 else (2 if n == 4 else 4)
    rows = int(np.ceil(n / cols))
    panel_width = 3.4 * min(width / height, 2)
    row_height = panel_width * height / width + 0.45  # the image and its title
    fig, axes = plt.subplots(rows, cols, figsize=(panel_width * cols,
                                                  row_height * rows + (0.3 if credit else 0) + (0.4 if suptitle else 0)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= n:
            continue
        m = maps[k]
        if symmetric[k]:
            limit = max(float(np.percentile(np.abs(m), percentile)), 1e-12)
            ax.imshow(m, cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            low, high = float(m.min()), float(np.percentile(m, percentile))
            ax.imshow(m, cmap=cmaps[k], vmin=low, vmax=high if high > low else low + 1e-12)
        ax.set_title(titles[k] if titles else f"map {k}", fontsize=10)
    if suptitle:
        fig.suptitle(suptitle)
    _caption(fig, credit)
    fig.tight_layout(rect=(0, 0.04 if credit else 0, 1, 1))
    return fig


def show_sliding_window(size, kernel_size, stride=1, padding=0):
    """Diagram of where a kernel_size x kernel_size window lands on a size x size input.

    Left: the padded input. Zero-padding cells are shaded gray and marked 0; the first window is
    drawn on the grid, and the bars above the grid show the columns each window of the first output
    row covers (rows work the same way downwards); rows and columns no window reaches are hatched
    red. Right: the output grid, its first row coloured like the windows that produce it.
    """
    total = size + 2 * padding
    span = total - kernel_size
    n_out = span // stride + 1 if span >= 0 else 0
    used = (n_out - 1) * stride + kernel_size if n_out else 0
    bar = 0.55  # height of one window bar above the grid
    top = bar * n_out + 0.3
    fig, (ax, ax_out) = plt.subplots(1, 2, figsize=(9, 4.6),
                                     gridspec_kw={"width_ratios": [total, max(n_out, 1) + 1]})
    for i in range(total):
        for j in range(total):
            pad = not (padding <= i < padding + size and padding <= j < padding + size)
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor="0.82" if pad else "white", edgecolor="0.6", lw=0.8))
            if pad:
                ax.text(j + 0.5, i + 0.5, "0", ha="center", va="center", fontsize=8, color="0.4")
            if i >= used or j >= used:
                ax.add_patch(Rectangle((j, i), 1, 1, fill=False, edgecolor="tab:red", lw=0, hatch="///"))
    for k in range(n_out):
        colour = _WINDOW_COLOURS[k % len(_WINDOW_COLOURS)]
        y = -bar * (k + 1)
        ax.add_patch(Rectangle((k * stride + 0.05, y + 0.08), kernel_size - 0.1, bar - 0.16, facecolor=colour,
                               alpha=0.8, edgecolor="none"))
        ax.text(k * stride + 0.15, y + bar / 2, str(k + 1), ha="left", va="center", fontsize=8, color="white",
                fontweight="bold")
    if n_out:
        ax.add_patch(Rectangle((0, 0), kernel_size, kernel_size, facecolor=_WINDOW_COLOURS[0], alpha=0.25,
                               edgecolor=_WINDOW_COLOURS[0], lw=2.5))
    ax.set_xlim(-0.1, total + 0.1)
    ax.set_ylim(total + 0.1, -top)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if not n_out:
        fits = "no window fits"
    elif used == total:
        fits = "the windows fit exactly"
    else:
        fits = f"the last {total - used} row(s) and column(s) are never used"
    ax.set_title(f"{size}x{size} input, padding {padding}, {kernel_size}x{kernel_size} window, stride {stride}:"
                 f"\n{n_out} windows per row; {fits}", fontsize=10)
    for i in range(n_out):
        for j in range(n_out):
            colour = _WINDOW_COLOURS[j % len(_WINDOW_COLOURS)] if i == 0 else "white"
            ax_out.add_patch(Rectangle((j, i), 1, 1, facecolor=colour, alpha=0.8 if i == 0 else 1,
                                       edgecolor="0.4", lw=0.8))
            if i == 0:
                ax_out.text(j + 0.5, 0.5, str(j + 1), ha="center", va="center", fontsize=9, color="white",
                            fontweight="bold")
    ax_out.set_xlim(-0.1, max(n_out, 1) + 0.1)
    ax_out.set_ylim(max(total, 1) + 0.1, -top)
    ax_out.set_aspect("equal")
    ax_out.set_axis_off()
    ax_out.set_title(f"output {n_out}x{n_out}", fontsize=10)
    fig.tight_layout()
    return fig


def show_matrix(a, title=None, xlabel=None, ylabel=None, cmap="viridis", annotate=False):
    """Show a 2-D array as a heat map (used for the im2col matrix); annotate=True writes the values."""
    a = np.asarray(a)
    fig, ax = plt.subplots(figsize=(min(11, 1.5 + 0.45 * a.shape[1]), min(7, 1.2 + 0.4 * a.shape[0])))
    ax.imshow(a, cmap=cmap, aspect="auto", interpolation="nearest")
    if annotate:
        middle = (a.max() + a.min()) / 2
        for (i, j), v in np.ndenumerate(a):
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=8, color="white" if v < middle else "black")
    ax.set_xlabel(xlabel or "")
    ax.set_ylabel(ylabel or "")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def show_pooling(x, kernel_size, stride=None, mode="max", title=None):
    """Diagram of pooling one small 2-D map x (H, W): the input with its values and every window outlined
    (one colour per window), the entry max pooling picks in each window circled (the first maximum in
    row-major order), and the output grid coloured like its windows. Computed here with plain loops.
    """
    x = np.asarray(x, dtype=np.float64)
    stride = kernel_size if stride is None else stride
    H, W = x.shape
    H_out, W_out = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
    out = np.zeros((H_out, W_out))
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(0.55 * (W + W_out) + 2.2, 0.55 * max(H, H_out) + 1.1),
                                        gridspec_kw={"width_ratios": [W, max(W_out, 1)]})
    for ax, grid in ((ax_in, x), (ax_out, out)):
        ax.set_xlim(-0.5, grid.shape[1] - 0.5)
        ax.set_ylim(grid.shape[0] - 0.5, -0.5)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    used = np.zeros_like(x, dtype=bool)
    for i in range(H_out):
        for j in range(W_out):
            colour = _WINDOW_COLOURS[(i * W_out + j) % len(_WINDOW_COLOURS)]
            window = x[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size]
            used[i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size] = True
            out[i, j] = window.max() if mode == "max" else window.mean()
            inset = 0.06 * ((i + j) % 3)  # overlapping windows stay distinguishable
            ax_in.add_patch(Rectangle((j * stride - 0.5 + inset, i * stride - 0.5 + inset), kernel_size - 2 * inset,
                                      kernel_size - 2 * inset, fill=False, edgecolor=colour, linewidth=2.2))
            if mode == "max":
                di, dj = np.unravel_index(np.argmax(window), window.shape)
                ax_in.add_patch(plt.Circle((j * stride + dj, i * stride + di), 0.36, fill=False, edgecolor=colour,
                                           linewidth=1.6))
            ax_out.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=colour, alpha=0.35, edgecolor="black"))
            ax_out.text(j, i, f"{out[i, j]:g}", ha="center", va="center", fontsize=10)
    for (i, j), v in np.ndenumerate(x):
        ax_in.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=not used[i, j], facecolor="0.85", hatch=None
                                  if used[i, j] else "//", edgecolor="0.6", linewidth=0.5))
        ax_in.text(j, i, f"{v:g}", ha="center", va="center", fontsize=9)
    ax_in.set_title(f"input {H}x{W}, {kernel_size}x{kernel_size} windows, stride {stride}", fontsize=9)
    ax_out.set_title(f"{mode} pooled {H_out}x{W_out}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def show_receptive_fields(maps, titles=None, boxes=None, suptitle=None, cmap="magma"):
    """Show 2-D maps side by side as heat maps (their sizes may differ), e.g. the gradient of one output unit
    with respect to the input, or the taps of dilated kernels. Zero cells are drawn black.

    boxes: None, or one entry per map, None or (top, left, height, width): a rectangle drawn around those
    cells (e.g. the receptive field a formula predicts). Small maps get thin lines between the cells.
    """
    maps = [np.asarray(m, dtype=np.float64) for m in maps]
    boxes = boxes or [None] * len(maps)
    fig, axes = plt.subplots(1, len(maps), figsize=(3.3 * len(maps), 3.7 + (0.3 if suptitle else 0)), squeeze=False)
    for k, (ax, m) in enumerate(zip(axes.flat, maps)):
        high = float(np.abs(m).max()) or 1.0
        ax.imshow(np.abs(m), cmap=cmap, vmin=0, vmax=high, interpolation="nearest")
        if max(m.shape) <= 40:
            ax.set_xticks(np.arange(-0.5, m.shape[1]), minor=True)
            ax.set_yticks(np.arange(-0.5, m.shape[0]), minor=True)
            ax.grid(which="minor", color="0.35", linewidth=0.4)
            ax.tick_params(which="both", length=0)
        ax.set_xticks([])
        ax.set_yticks([])
        if boxes[k] is not None:
            top, left, height, width = boxes[k]
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor="cyan", linewidth=2))
        ax.set_title(titles[k] if titles else "", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def plot_history(histories, title=None):
    """Learning curves: training loss and test accuracy per epoch. `histories` is one History (a dict of
    lists with "epoch", "train_loss", "test_acc") or a dict {run name: History} to overlay several runs."""
    if "epoch" in histories:
        histories = {"": histories}
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, h in histories.items():
        ax_loss.plot(h["epoch"], h["train_loss"], marker=".", label=name or None)
        ax_acc.plot(h["epoch"], [100 * a for a in h["test_acc"]], marker=".", label=name or None)
    ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        if len(histories) > 1:
            ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion(labels, predictions, classes=None, title=None):
    """The confusion matrix: row = true class, column = predicted class, each cell a count."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    k = int(max(labels.max(), predictions.max())) + 1 if classes is None else len(classes)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    names = classes or [str(i) for i in range(k)]
    fig, ax = plt.subplots(figsize=(0.45 * k + 2, 0.45 * k + 1.5))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), n in np.ndenumerate(matrix):
        if n:
            ax.text(j, i, n, ha="center", va="center", fontsize=8,
                    color="white" if n > matrix.max() / 2 else "black")
    ax.set(xticks=range(k), yticks=range(k), xticklabels=names, yticklabels=names, xlabel="predicted",
           ylabel="true", title=title or f"{int(np.trace(matrix))} of {matrix.sum()} right")
    fig.tight_layout()
    return fig


def show_most_wrong(images, labels, probs, k=12, classes=None, mean=None, std=None):
    """The k misclassified images the model was most sure about, titled 'true 3 / said 8 (97%)'.
    images (N, 1, H, W), (N, 3, H, W) (colour; `mean`/`std` undo the normalisation) or (N, H, W);
    labels (N,); probs (N, K) from softmax."""
    images, labels, probs = np.asarray(images), np.asarray(labels), np.asarray(probs)
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probs[wrong, predicted[wrong]])][:k]
    names = classes or [str(i) for i in range(probs.shape[1])]
    cols = max(1, min(6, len(wrong)))
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols, 2.4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, i in zip(axes.flat, wrong):
        if images[i].ndim == 3 and images[i].shape[0] == 3:
            ax.imshow(_rgb(images[i], mean, std), interpolation="nearest")
        else:
            ax.imshow(images[i][0] if images[i].ndim == 3 else images[i], cmap="gray")  # as show_images draws them
        ax.set_title(f"true {names[labels[i]]} / said {names[predicted[i]]}\n({probs[i, predicted[i]]:.0%})",
                     fontsize=8)
    if not len(wrong):
        axes.flat[0].text(0.5, 0.5, "no mistakes", ha="center", va="center")
    fig.suptitle(f"The {len(wrong)} most confident mistakes (of {int((predicted != labels).sum())})")
    fig.tight_layout()
    return fig


def _rgb(image, mean=None, std=None):
    """An image (3, H, W) or (1, H, W) as an array (H, W, 3) or (H, W) in [0, 1], normalisation undone."""
    image = np.asarray(image, dtype=np.float64)
    if mean is not None and std is not None:
        image = image * np.asarray(std)[:, None, None] + np.asarray(mean)[:, None, None]
    else:
        span = image.max() - image.min()
        image = (image - image.min()) / span if span > 0 else np.full_like(image, 0.5)
    image = np.clip(image, 0, 1)
    return image.transpose(1, 2, 0) if image.shape[0] == 3 else image[0]


def show_images(images, titles=None, mean=None, std=None, cols=10, suptitle=None, size=1.3):
    """A grid of images (N, C, H, W) with C = 1 or 3; `mean`/`std` (per channel) undo the normalisation."""
    images = np.asarray(images)
    cols = max(1, min(cols, len(images)))
    rows = -(-len(images) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, (size + 0.25 * bool(titles)) * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for i, (ax, image) in enumerate(zip(axes.flat, images)):
        ax.imshow(_rgb(image, mean, std), cmap="gray", interpolation="nearest")
        if titles:
            ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def show_filter_tiles(w, cols=16, title=None, size=0.6):
    """Colour filters w (F, 3, k, k) as RGB tiles, each rescaled on its own to [0, 1] (grey = zero weight
    when the filter is balanced), as in Krizhevsky et al.'s and Zeiler and Fergus's figures."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 4 or w.shape[1] != 3:
        raise ValueError(f"show_filter_tiles takes colour filters (F, 3, k, k), got shape {w.shape}")
    cols = max(1, min(cols, len(w)))
    rows = -(-len(w) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, f in zip(axes.flat, w):
        limit = max(np.abs(f).max(), 1e-12)
        ax.imshow((f.transpose(1, 2, 0) / limit + 1) / 2, interpolation="nearest")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_per_class(accuracies, classes, title=None):
    """Grouped bars of per-class accuracy: `accuracies` is {model name: sequence of accuracies in [0, 1]}."""
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(classes) + 1), 3.4))
    width = 0.8 / len(accuracies)
    for i, (name, acc) in enumerate(accuracies.items()):
        ax.bar(np.arange(len(classes)) + (i - (len(accuracies) - 1) / 2) * width, 100 * np.asarray(acc), width,
               label=name)
    ax.set(xticks=range(len(classes)), ylabel="test accuracy (%)", ylim=(0, 100), title=title or "per class")
    ax.set_xticklabels(classes, rotation=30, ha="right")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_layer_budget(names, activations, parameters, title=None):
    """Two bar charts over the layers: values in each layer's output (memory, per image) and parameters."""
    fig, (ax_act, ax_par) = plt.subplots(2, 1, figsize=(max(7.0, 0.42 * len(names)), 5.6), sharex=True)
    x = np.arange(len(names))
    ax_act.bar(x, np.asarray(activations) / 1e6, color="tab:blue")
    ax_act.set(ylabel="output values (millions)", title="memory: activations per image, forward")
    ax_par.bar(x, np.asarray(parameters) / 1e6, color="tab:orange")
    ax_par.set(ylabel="parameters (millions)", title="parameters")
    ax_par.set_xticks(x)
    ax_par.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    for ax in (ax_act, ax_par):
        ax.grid(axis="y", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_maps(maps, titles=None, cols=None, cmap="gray", limits=None, suptitle=None, credit=None, size=3.0):
    """Show 2-D maps in a grid, each with its own colour bar; their sizes may differ and every pixel is drawn
    as a square (no smoothing), so that pixel-level patterns stay visible.

    cmap: one colour map for all maps or one per map.
    limits: one entry for all maps or one per map: None (the map's own minimum to maximum), a (low, high)
    pair (use the same pair to compare maps on one scale), or "symmetric" (centred on zero, blue-white-red,
    red positive).
    """
    maps = [np.asarray(m, dtype=np.float64) for m in maps]
    n = len(maps)
    cols = cols or min(n, 4)
    rows = int(np.ceil(n / cols))
    cmaps = list(cmap) if isinstance(cmap, (list, tuple)) else [cmap] * n
    limits = list(limits) if isinstance(limits, list) else [limits] * n
    fig, axes = plt.subplots(rows, cols, figsize=(size * 1.25 * cols, size * rows + (0.3 if credit else 0)
                                                  + (0.4 if suptitle else 0)), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_axis_off()
            continue
        m, limit, colours = maps[k], limits[k], cmaps[k]
        if isinstance(limit, str) and limit == "symmetric":
            high = max(float(np.abs(m).max()), 1e-12)
            low, colours = -high, "RdBu_r"
        elif limit is None:
            low, high = float(m.min()), float(m.max())
        else:
            low, high = (float(v) for v in limit)
        image = ax.imshow(m, cmap=colours, vmin=low, vmax=high if high > low else low + 1e-12, interpolation="nearest")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(titles[k] if titles else "", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    _caption(fig, credit)
    fig.tight_layout(rect=(0, 0.04 if credit else 0, 1, 1))
    return fig


def plot_timings(labels, timings, title=None, ylabel="milliseconds", scale=1e3):
    """Grouped bar chart of timings: bars at the medians, error bars from the first to the third quartile.

    labels: one name per group (e.g. the settings timed); timings: {series name: [Timing, one per label]}
    (timing.Timing objects); scale multiplies seconds into the unit of `ylabel`.
    """
    x = np.arange(len(labels))
    width = 0.8 / max(1, len(timings))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.2 * len(labels) * len(timings)), 3.6))
    for k, (name, series) in enumerate(timings.items()):
        medians = np.array([t.median for t in series]) * scale
        spread = np.array([[t.median - t.q1 for t in series], [t.q3 - t.median for t in series]]) * scale
        ax.bar(x + (k - (len(timings) - 1) / 2) * width, medians, width, yerr=spread, capsize=4, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title((title + "\n" if title else "") + "bars: median; error bars: first to third quartile", fontsize=9)
    fig.tight_layout()
    return fig
