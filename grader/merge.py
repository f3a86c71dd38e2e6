"""`python -m grader merge OUT... --out DIR`: the output folders of `grade --shard I/N` merged into one.

Each student's folder is copied into DIR (plain files only), DIR/grades.csv is written for the whole class,
and the shards' secret is kept in DIR so that `grade --out DIR` resumes with it. The merge refuses, with the
reason, shards graded with different seeds or graders and a student graded twice with different results."""
import json
import os
import shutil
import sys
from pathlib import Path

from grader import report
from grader.grade import SECRET_FILE, _create_secret
from grader.parts import ALL_PARTS


class MergeError(Exception):
    pass


def student_folders(shard):
    """{name: results} for the students' folders in one shard's output folder."""
    found = {}
    for entry in sorted(os.scandir(shard), key=lambda e: e.name):
        results = Path(entry.path) / "results.json"
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False) or not results.is_file():
            continue
        try:
            found[entry.name] = json.loads(results.read_text())
        except ValueError:
            raise MergeError(f"{results} is not valid JSON; grade that shard again") from None
    return found


def same_result(a, b):
    """Two gradings agree when everything but the time they took is the same."""
    strip = ("execution_time",)
    return {k: v for k, v in a.items() if k not in strip} == {k: v for k, v in b.items() if k not in strip}


def merge(shards, out):
    """Merge the shards' output folders into `out`; returns the class table {name: results}."""
    shards, out = [Path(s) for s in shards], Path(out)
    for shard in shards:
        if not shard.is_dir():
            raise MergeError(f"{shard}: no such output folder")
        if shard.resolve() == out.resolve():
            raise MergeError(f"{shard}: the merged folder cannot also be a shard")
    secrets = {s: (s / SECRET_FILE).read_text().strip() for s in shards if (s / SECRET_FILE).is_file()}
    if len(set(secrets.values())) > 1:
        raise MergeError("the shards were graded with different secrets: " + ", ".join(map(str, secrets)) +
                         f"; grade every shard with `--secret-from` the same {SECRET_FILE}")
    table, origin = {}, {}
    for shard in shards:
        for name, results in student_folders(shard).items():
            if name in table and not same_result(table[name], results):
                raise MergeError(f"{name} was graded in {origin[name]} and in {shard} with different results; "
                                 "remove the stale folder and merge again")
            table.setdefault(name, results)
            origin.setdefault(name, shard)
    if not table:
        raise MergeError("no graded submissions found in " + ", ".join(map(str, shards)))
    graders = {}
    for name, results in table.items():
        graders.setdefault(results["extra_data"].get("grader"), []).append(name)
    if len(graders) > 1:
        groups = "; ".join(f"{', '.join(names[:3])}{' ...' if len(names) > 3 else ''}" for names in graders.values())
        raise MergeError(f"the shards were graded with different seeds, parts or grader versions ({groups}); "
                         "grade every shard with the same grader, --part and secret")
    out.mkdir(parents=True, exist_ok=True)
    if secrets:
        secret = next(iter(secrets.values()))
        own = out / SECRET_FILE
        if own.exists() and own.read_text().strip() != secret:
            raise MergeError(f"{out} holds another class's secret; merge into a new folder")
        if not own.exists():
            _create_secret(own, secret)
    for name, shard in origin.items():
        if (out / name).exists():
            shutil.rmtree(out / name)
        copy_plain(shard / name, out / name)
    tags = {tag for results in table.values() for test in results["tests"] for tag in test["tags"]}
    parts = [p for p in ALL_PARTS if p.name in tags]
    report.write_csv(out / "grades.csv", table, parts)
    return table, parts


def copy_plain(src, dest):
    """Copy a results folder: plain files and folders only (links and anything else are left out)."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(src):
        if entry.is_dir(follow_symlinks=False):
            copy_plain(Path(entry.path), dest / entry.name)
        elif entry.is_file(follow_symlinks=False):
            shutil.copyfile(entry.path, dest / entry.name)


def main(args):
    try:
        table, parts = merge(args.shards, args.out)
    except (MergeError, OSError) as exc:
        print(f"merge: {exc}", file=sys.stderr)
        return 1
    print(report.class_table(table, parts))
    print(f"\nMerged {len(table)} submissions from {len(args.shards)} folders into {args.out}; class grades in "
          f"{args.out}/grades.csv")
    return 0
