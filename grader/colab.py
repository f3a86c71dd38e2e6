"""Where Colab fetches the course from: one source, `[tool.course]` in pyproject.toml, and what follows from it.

- `repository` (a GitHub address) and `ref` (the tag or branch students work on) are written into the setup cell
  of every source notebook, rendered from grader/setup_cell.tmpl (on Colab it runs
  `git clone --depth 1 --branch <ref> <repository>`), and into the README's Colab links
  (https://colab.research.google.com/github/<owner>/<name>/blob/<ref>/notebooks/<notebook>.ipynb).
- `python -m grader release` renders the setup cells of solutions/source/ again before it generates the release
  (a setup cell's own imports, from its `%load_ext autoreload` line on, are the notebook's and are kept);
  `release --check` fails when a setup cell or a Colab link disagrees with the config.
- `python -m grader fork [URL] [--ref NAME]` points everything at a fork or at another release: it rewrites
  [tool.course], the setup cells and the README's Colab links, then regenerates the release.
"""
import re
from pathlib import Path
from string import Template

import nbformat

from grader.parts import ROOT, built_parts

TEMPLATE = Path(__file__).with_name("setup_cell.tmpl")
TAIL = "%load_ext autoreload"  # the setup cell's own part (its notebook's imports) starts at this line
GITHUB = re.compile(r"https://github\.com/([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9._-]{1,100})")
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/(?P<slug>[^/\s()\[\]]+/[^/\s()\[\]]+)"
                        r"/blob/(?P<ref>[^\s()\[\]]+?)/notebooks/(?P<notebook>\w+)\.ipynb")
SECTION = re.compile(r"^\[tool\.course\][ \t]*\n(.*?)(?=^\[|\Z)", re.M | re.S)
REF_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
REF_COMMENT = ("# The tag (or branch) that Colab fetches and the README's Colab links open: the release students "
               "work on.\n# Tag the commit you release and push the tag: git tag NAME && git push origin NAME.\n")


def read_config(root=ROOT):
    """{"repository": ..., "ref": ...} from pyproject.toml's [tool.course] (plain double-quoted values)."""
    text = (Path(root) / "pyproject.toml").read_text()
    section = SECTION.search(text)
    values = dict(re.findall(r'^(\w+)[ \t]*=[ \t]*"([^"\n]*)"', section.group(1), re.M)) if section else {}
    missing = [key for key in ("repository", "ref") if not values.get(key)]
    if missing:
        raise SystemExit(f"pyproject.toml: [tool.course] needs {' and '.join(missing)} "
                         '(e.g. repository = "https://github.com/OWNER/NAME", ref = "v0.1.0")')
    return {"repository": values["repository"], "ref": values["ref"]}


def github_address(url):
    """`url` as https://github.com/OWNER/NAME (from that form, with .git or a trailing slash, or git@github.com:...);
    a clear error for anything else: Colab opens notebooks from GitHub only."""
    url = url.strip().rstrip("/")
    url = re.sub(r"^git@github\.com:", "https://github.com/", url)
    url = re.sub(r"^(http://)?(www\.)?github\.com/", "https://github.com/", url)
    url = url.removesuffix(".git")
    if not GITHUB.fullmatch(url):
        raise SystemExit(f"{url!r} is not a GitHub repository address such as https://github.com/OWNER/NAME "
                         "(Colab opens notebooks from GitHub only)")
    return url


def check_ref(ref):
    if not REF_NAME.fullmatch(ref) or ".." in ref or ref.endswith((".", "/", ".lock")) or "//" in ref:
        raise SystemExit(f"{ref!r} is not a usable tag or branch name (letters, digits, '.', '_', '-', '/')")
    return ref


def render_setup(config, part):
    """The generated part of `part`'s setup cell."""
    return Template(TEMPLATE.read_text()).substitute(repository=config["repository"], ref=config["ref"],
                                                     module=f"{part.name}.py")


def setup_source(source, config, part):
    """`source` (a setup cell) with its generated part rendered again and its own part (from TAIL on) kept."""
    _, found, tail = source.partition("\n" + TAIL)
    if not found:
        raise SystemExit(f"{part.notebook}: the setup cell (the first code cell) has no line {TAIL!r}, where the "
                         "notebook's own imports start")
    return render_setup(config, part).rstrip("\n") + "\n\n" + TAIL + tail


def source_notebook(root, part):
    return Path(root) / "solutions" / "source" / part.name / f"{part.notebook}.ipynb"


def sync_setup_cells(root=ROOT, config=None, write=False):
    """The source notebooks whose setup cell differs from the template; rewritten when `write`."""
    config = config or read_config(root)
    stale = []
    for part in built_parts():
        path = source_notebook(root, part)
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.cell_type == "code")
        new = setup_source(cell.source, config, part)
        if new != cell.source:
            stale.append(path)
            if write:
                cell.source = new
                nbformat.write(nb, path)
    return stale


def slug(repository):
    return repository.removeprefix("https://github.com/")


def readme_problems(text, config):
    """What in the README's text disagrees with the config: a notebook without its Colab link, a link elsewhere."""
    problems, linked = [], set()
    for link in COLAB_LINK.finditer(text):
        linked.add(link["notebook"])
        if (link["slug"], link["ref"]) != (slug(config["repository"]), config["ref"]):
            problems.append(f"README.md: the Colab link of {link['notebook']} opens {link['slug']} at {link['ref']}, "
                            f"not {slug(config['repository'])} at {config['ref']}")
    problems += [f"README.md has no Colab link to notebooks/{p.notebook}.ipynb" for p in built_parts()
                 if p.notebook not in linked]
    return problems


def rewrite_readme(text, config, old_repository=None):
    """The README with every Colab link opening the config's repository at its ref, and the old repository's
    address, where it appears on its own, replaced by the new one."""
    new_slug = slug(config["repository"])
    text = COLAB_LINK.sub(lambda m: m[0].replace(f"/{m['slug']}/blob/{m['ref']}/", f"/{new_slug}/blob/{config['ref']}/"),
                          text)
    if old_repository and old_repository != config["repository"]:
        text = re.sub(re.escape(old_repository) + r"(?![A-Za-z0-9._-])", lambda m: config["repository"], text)
    return text


def write_config(root, config):
    """Set repository and ref in pyproject.toml's [tool.course], leaving every other line as it is."""
    path = Path(root) / "pyproject.toml"
    text = path.read_text()
    section = SECTION.search(text)
    if section is None:
        text = text.rstrip("\n") + "\n\n[tool.course]\n"
        section = SECTION.search(text)
    body = section.group(1)
    for key in ("repository", "ref"):
        line = f'{key} = "{config[key]}"'
        pattern = re.compile(rf'^{key}[ \t]*=[ \t]*"[^"\n]*"', re.M)
        if pattern.search(body):
            body = pattern.sub(lambda m: line, body, count=1)
        else:
            body = body.rstrip("\n") + ("\n" if body.strip() else "") + (REF_COMMENT if key == "ref" else "") + line + "\n"
    path.write_text(text[:section.start(1)] + body + text[section.end(1):])


def disagreements(root=ROOT):
    """Everything that disagrees with [tool.course]: stale setup cells and README links (empty when in sync)."""
    config = read_config(root)
    problems = [f"{path.relative_to(root)}: its setup cell differs from grader/setup_cell.tmpl with "
                f"[tool.course]" for path in sync_setup_cells(root, config)]
    readme = Path(root) / "README.md"
    if readme.exists():
        problems += readme_problems(readme.read_text(), config)
    return problems


def fork(root, url=None, ref=None):
    """Point [tool.course], the setup cells and the README at `url` and `ref` (None: keep the current one);
    returns the new config. The release is not regenerated here (see main)."""
    old = read_config(root)
    config = {"repository": github_address(url) if url else old["repository"], "ref": check_ref(ref or old["ref"])}
    write_config(root, config)
    readme = Path(root) / "README.md"
    if readme.exists():
        text = readme.read_text()
        new = rewrite_readme(text, config, old["repository"])
        if new != text:
            readme.write_text(new)
    sync_setup_cells(root, config, write=True)
    return config


def main(args):
    from grader import release

    old = read_config(ROOT)
    config = fork(ROOT, args.url, args.ref)
    for key in ("repository", "ref"):
        change = f"{old[key]} -> {config[key]}" if old[key] != config[key] else f"{config[key]} (unchanged)"
        print(f"[tool.course] {key}: {change}")
    print("Setup cells of solutions/source/ and the README's Colab links rewritten; regenerating the release ...")
    code = release.main()
    if code:
        return code
    problems = disagreements(ROOT)
    for problem in problems:
        print(f"still disagrees: {problem}")
    print(f"\nNext: commit, push to {config['repository']}, then tag the commit students should work on and push "
          f"the tag:\n    git tag {config['ref']} && git push origin {config['ref']}\n"
          f"(or, if {config['ref']} is a branch, push that branch). Colab then fetches {config['ref']} of "
          f"{config['repository']}, and the README's badges open its notebooks at {config['ref']}.")
    return 1 if problems else 0
