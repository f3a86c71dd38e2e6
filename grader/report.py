"""Grade reports: Gradescope's results.json, a feedback page per submission, grades.csv, the class table."""
import csv
import html

ISOLATION_NOTE = {
    "bwrap": "bubblewrap sandbox (own namespaces; sees only system files, Python and its own folder; no network)",
    "namespaces": "namespace sandbox (own user/mount/pid/net namespaces; sees only system files, Python and its "
                  "own folder; no network)",
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
    return f"{results['score']:g} / {extra['max_score']:g} (manual pending: {extra['pending_manual']:g})"


def feedback_html(name, results, parts):
    rows = []
    for test in results["tests"]:
        ok = test["score"] >= test["max_score"] and test["max_score"] > 0
        pending = test["extra_data"]["kind"] == "manual"
        mark = "pending" if pending else ("ok" if ok else "lost")
        rows.append(f"<tr class='{mark}'><td>{html.escape(test['name'])}</td><td>{test['score']:g} / "
                    f"{test['max_score']:g}</td><td>{html.escape(test['output'] or '')}</td></tr>")
    links = "".join(f"<li><a href='{p.notebook}.html'>{p.notebook}: your graded notebook</a></li>" for p in parts)
    extra = results["extra_data"]
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Feedback: {html.escape(name)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td{{padding:.3em .6em;vertical-align:top}}
tr.ok td:nth-child(2){{color:#176f2c}}tr.lost td:nth-child(2){{color:#b00020}}tr.pending td:nth-child(2){{color:#555}}
table{{border-collapse:collapse}}tr{{border-bottom:1px solid #ddd}}</style></head><body>
<h1>Feedback for {html.escape(name)}</h1>
<p><b>Score: {results['score']:g} / {extra['max_score']:g}</b>; written answers worth {extra['pending_manual']:g}
points are graded by hand.</p><p>{html.escape(results['output'])}</p><ul>{links}</ul>
<table><tr><th>Test</th><th>Points</th><th>Message</th></tr>{''.join(rows)}</table></body></html>
"""


def write_csv(path, table, parts):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["submission", "score", "max_score", "manual_pending"]
                     + [f"{p.name}" for p in parts] + ["isolation"])
        for name, results in sorted(table.items()):
            extra = results["extra_data"]
            out.writerow([name, results["score"], extra["max_score"], extra["pending_manual"]]
                         + [part_scores(results, p.name)[0] for p in parts] + [extra["isolation"]])


def class_table(table, parts):
    width = max([len("submission"), *map(len, table)]) + 2
    header = f"{'submission':<{width}}" + "".join(f"{p.name:>12}" for p in parts) + f"{'total':>12}"
    lines = [header, "-" * len(header)]
    for name, results in sorted(table.items()):
        cells = "".join(f"{'%g/%g' % part_scores(results, p.name):>12}" for p in parts)
        lines.append(f"{name:<{width}}{cells}{'%g/%g' % (results['score'], results['extra_data']['max_score']):>12}")
    level = {r["extra_data"]["isolation"] for r in table.values()}
    lines.append(f"\nisolation: {', '.join(sorted(level)) or 'n/a'}; written answers count once their scores "
                 "are given with --manual")
    return "\n".join(lines)
