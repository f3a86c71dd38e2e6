"""Grade reports: Gradescope's results.json, a feedback page per submission, grades.csv, the class table."""
import csv
import html
import re
from pathlib import Path

ISOLATION_NOTE = {
    "namespaces": "namespace sandbox (own user/mount/pid/net namespaces; sees only system files, Python and a "
                  "private copy of its own files; no network)",
    "process": "WEAK: separate process with resource limits only (no file-system or network isolation)",
}


def results_json(tests, level, seconds, fingerprints):
    """Gradescope's autograder schema; each test's part is in its tags."""
    entries = [{"name": f"{t['part']}: {t['title']}", "score": t["score"], "max_score": t["max_score"],
                "output": t["output"], "visibility": "visible", "tags": [t["part"]],
                "extra_data": {"test": t["name"], "kind": t.get("kind", "auto")}} for t in tests]
    return {
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": round(seconds, 1),
        "output": f"Graded in a {ISOLATION_NOTE[level]}.",
        "visibility": "visible",
        "tests": entries,
        "extra_data": {"isolation": level, "max_score": sum(t["max_score"] for t in tests),
                       "pending_manual": sum(t["max_score"] for t in tests if t.get("kind") == "manual"),
                       **fingerprints},
    }


def part_scores(results, part):
    tests = [t for t in results["tests"] if part in t["tags"]]
    return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)


def score_line(results):
    extra = results["extra_data"]
    line = f"{results['score']:g} / {extra['max_score']:g}"
    if extra.get("failed"):
        return f"{line} (could not be graded: {extra['failed']})"
    return line + (f" (written answers pending: {extra['pending_manual']:g})" if extra["pending_manual"] else "")


def feedback_html(name, results, parts, folder=None):
    """The student's page: score, notes, links to the graded notebooks that exist in `folder` (the student's
    results folder), and one row per test (notebook rows show their cell id, which --manual uses)."""
    rows = []
    for test in results["tests"]:
        ok = test["score"] >= test["max_score"] and test["max_score"] > 0
        pending = test["extra_data"]["kind"] == "manual"
        mark = "pending" if pending else ("ok" if ok else "lost")
        cell = test["extra_data"]["test"].removeprefix("notebook:") if test["extra_data"]["test"].startswith(
            "notebook:") else ""
        cell = f" <span class='cell'>(cell {html.escape(cell)})</span>" if cell else ""
        rows.append(f"<tr class='{mark}'><td>{html.escape(test['name'])}{cell}</td><td>{test['score']:g} / "
                    f"{test['max_score']:g}</td><td>{html.escape(test['output'] or '')}</td></tr>")
    extra = results["extra_data"]
    graded = extra.get("notebooks") == "graded" and folder is not None  # not a page left by an earlier run
    links = "".join(f"<li><a href='{p.notebook}.html'>{p.notebook}: your graded notebook</a></li>" for p in parts
                    if graded and (Path(folder) / f"{p.notebook}.html").is_file())
    pending = (f"; written answers worth {extra['pending_manual']:g} points are still to be graded by hand"
               if extra["pending_manual"] else "")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Feedback: {html.escape(name)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td{{padding:.3em .6em;vertical-align:top}}
tr.ok td:nth-child(2){{color:#176f2c}}tr.lost td:nth-child(2){{color:#b00020}}tr.pending td:nth-child(2){{color:#555}}
.cell{{color:#777;font-size:smaller}}table{{border-collapse:collapse}}tr{{border-bottom:1px solid #ddd}}</style></head><body>
<h1>Feedback for {html.escape(name)}</h1>
<p><b>Score: {results['score']:g} / {extra['max_score']:g}</b>{pending}.</p><p>{html.escape(results['output'])}</p>
{f"<ul>{links}</ul>" if links else ""}
<table><tr><th>Test</th><th>Points</th><th>Message</th></tr>{''.join(rows)}</table></body></html>
"""


def write_csv(path, table, parts):
    """One row per submission: its score and maximum, the written answers still to grade, a column per part,
    the isolation level, and why it could not be graded (empty when it was)."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["submission", "score", "max_score", "manual_pending"]
                     + [f"{p.name}" for p in parts] + ["isolation", "problem"])
        for name, results in sorted(table.items()):
            extra = results["extra_data"]
            out.writerow([name, results["score"], extra["max_score"], extra["pending_manual"]]
                         + [part_scores(results, p.name)[0] for p in parts]
                         + [extra["isolation"], extra.get("failed", "")])


def class_table(table, parts):
    """Scores per part and in total, with the maximum of each column once, under the header; the points of
    written answers still to be graded by hand are in a column of their own (they count once given)."""
    width = max([len("submission"), *map(len, table)]) + 2
    maxima = [max([part_scores(r, p.name)[1] for r in table.values()] or [0]) for p in parts]
    maxima.append(max([r["extra_data"]["max_score"] for r in table.values()] or [0]))
    cols = [max(len(p.name), 6) + 2 for p in parts] + [9, 9]
    header = f"{'submission':<{width}}" + "".join(f"{p.name:>{c}}" for p, c in zip(parts, cols)) \
        + f"{'total':>{cols[-2]}}{'pending':>{cols[-1]}}"
    top = f"{'max':<{width}}" + "".join(f"{m:>{c}g}" for m, c in zip(maxima, cols)) + " " * cols[-1]
    lines = [header, top.rstrip(), "-" * len(header)]
    failed = []
    for name, results in sorted(table.items()):
        extra = results["extra_data"]
        cells = "".join(f"{part_scores(results, p.name)[0]:>{c}g}" for p, c in zip(parts, cols))
        pending = f"{extra['pending_manual']:g}" if extra["pending_manual"] else "-"
        mark = " !" if extra.get("failed") else ""
        failed += [name] if mark else []
        lines.append(f"{name:<{width}}{cells}{results['score']:>{cols[-2]}g}{pending:>{cols[-1]}}{mark}")
    level = {r["extra_data"]["isolation"] for r in table.values()}
    if failed:
        lines.append("! could not be graded (zero points; the reason is in grades.csv and the student's feedback)")
    lines.append(f"\nisolation: {', '.join(sorted(level)) or 'n/a'}; pending: points of written answers still to "
                 "be graded by hand (they count once their scores are given with --manual)")
    return "\n".join(lines)


def notebook_titles(source_notebook):
    """{nbgrader grade id: a readable title} for the graded cells of a source notebook: the cell's first
    comment line, else the question (a bold "**Q3.**" paragraph) or heading of the markdown cell above it."""
    import nbformat

    titles, above = {}, ""
    for cell in nbformat.read(source_notebook, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and meta.get("grade_id"):
            titles[meta["grade_id"]] = _comment_title(cell) or _markdown_title(above) or meta["grade_id"]
        if cell.cell_type == "markdown" and not meta.get("grade"):
            above = cell.source
    return titles


def _comment_title(cell):
    if cell.cell_type != "code":
        return ""
    for line in cell.source.splitlines():
        line = line.strip()
        if line.startswith("#") and not line.startswith("###"):  # ### marks nbgrader's regions
            return _shorten(line.lstrip("#").strip())
        if line:
            return ""
    return ""


def _markdown_title(source):
    questions = re.findall(r"\*\*(Q\d+[^*]*?)\*\*\s*(.*?)(?:\n\n|$)", source, re.S)
    if questions:
        label, text = questions[-1]
        return _shorten(f"{label.rstrip('.:')}: {text}")
    headings = [line.lstrip("#").strip() for line in source.splitlines() if line.startswith("#")]
    return _shorten(headings[-1]) if headings else ""


def _shorten(text, limit=90):
    text = re.sub(r"[*`]+", "", " ".join(text.split()))
    return text if len(text) <= limit else text[:limit - 3].rsplit(" ", 1)[0] + "..."
