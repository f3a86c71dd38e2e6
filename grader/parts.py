"""The course's parts: one student module, one notebook and one hidden suite each."""
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Part:
    name: str       # module name: assignment/<name>.py, solutions/<name>.py, grader/suites/test_<name>.py
    notebook: str   # notebook stem: notebooks/<notebook>.ipynb, solutions/source/<name>/<notebook>.ipynb
    title: str
    numpy_only: bool = False  # the numpy parts may not use torch, scipy and the like
    # Earlier parts whose module this one calls (pooling's ConvNet calls conv.conv2d_forward): its sandboxes and
    # its notebook's grading kernel get their reference, so that a bug there is charged by that part alone.
    uses: tuple = ()

    @property
    def reference(self):
        return ROOT / "solutions" / f"{self.name}.py"

    @property
    def source_notebook(self):
        return ROOT / "solutions" / "source" / self.name / f"{self.notebook}.ipynb"

    @property
    def suite(self):
        return ROOT / "grader" / "suites" / f"test_{self.name}.py"

    @property
    def built(self):
        """True once the part has its reference, notebook and suite (parts are added one issue at a time)."""
        return self.reference.exists() and self.source_notebook.exists() and self.suite.exists()


ALL_PARTS = [
    Part("conv", "01_conv_layer", "Convolution layer", numpy_only=True),
    Part("pooling", "02_pooling", "Pooling", numpy_only=True, uses=("conv",)),
    Part("dilation", "03_dilation", "Dilated convolution", numpy_only=True),
    Part("lenet", "04_lenet", "LeNet-5"),
    Part("vgg", "05_vgg", "VGG"),
    Part("inception", "06_inception", "Inception / GoogLeNet"),
    Part("resnet", "07_resnet", "ResNet"),
]
PARTS = {p.name: p for p in ALL_PARTS}
FORBIDDEN_IN_NUMPY_PARTS = ("torch", "functorch", "torchgen", "torchvision", "scipy", "sklearn", "skimage",
                            "tensorflow", "jax", "jaxlib", "cv2")


def forbidden_dirs(part):
    """Installed package folders that a numpy-only part's sandbox hides (found without importing them)."""
    import importlib.util

    if not part.numpy_only:
        return []
    found = []
    for name in FORBIDDEN_IN_NUMPY_PARTS:
        spec = importlib.util.find_spec(name)
        if spec is not None:
            found += list(spec.submodule_search_locations or [spec.origin])
    return found


def built_parts():
    return [p for p in ALL_PARTS if p.built]


def select(names):
    """The parts named (all built parts when `names` is empty); a clear error for unknown or unbuilt ones."""
    if not names:
        return built_parts()
    chosen = []
    for name in names:
        if name not in PARTS:
            raise SystemExit(f"unknown part {name!r}; the parts are: {', '.join(PARTS)}")
        if not PARTS[name].built:
            raise SystemExit(f"part {name!r} is not in the course yet; built parts: "
                             f"{', '.join(p.name for p in built_parts())}")
        chosen.append(PARTS[name])
    return chosen
