"""Command line: `python -m grader release|fork|grade|merge|demo|course|gradescope` (see README.md)."""
import argparse
import sys

from grader.course import course_folder
from grader.parts import PARTS
from grader.sandbox import LEVELS


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description="Build, grade and demo the CNN course.")
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="generate assignment/ stubs and notebooks/ from solutions/")
    rel.add_argument("--check", action="store_true", help="exit 1 if the committed release is stale")

    fork = sub.add_parser("fork", help="point the Colab setup cells and links at a fork or another release, "
                                       "then regenerate the release")
    fork.add_argument("url", nargs="?", metavar="URL",
                      help="the fork's GitHub address, e.g. https://github.com/me/my-course (default: the current "
                           "one, pyproject.toml's [tool.course] repository)")
    fork.add_argument("--ref", metavar="NAME",
                      help="the tag or branch students work on: Colab fetches it and the README's links open it "
                           "(default: the current [tool.course] ref)")

    grade = sub.add_parser("grade", help="grade submissions (folders laid out like the release, or zips)")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    grade.add_argument("--out", required=True, metavar="DIR", help="where results go (created if missing)")
    grade.add_argument("--part", action="append", choices=list(PARTS), metavar="NAME",
                       help=f"grade only this part (repeatable): {', '.join(PARTS)}")
    grade.add_argument("--jobs", type=int, default=1, metavar="N", help="submissions graded at once")
    grade.add_argument("--seed", type=int, default=None,
                       help="force the seed of the hidden inputs, to reproduce a run (default: the secret seed "
                            "kept in DIR/.grader-secret, created at random on first use)")
    grade.add_argument("--secret-from", metavar="FILE",
                       help="take the secret seed from FILE (e.g. another shard's DIR/.grader-secret)")
    grade.add_argument("--shard", metavar="I/N",
                       help="grade only the I-th of N shares of the class (in name order), for N machines")
    grade.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per call into student code")
    grade.add_argument("--isolation", choices=LEVELS, help="force an isolation level (default: strongest available)")
    grade.add_argument("--require-isolation", choices=LEVELS,
                       help="refuse to grade unless at least this level is available")
    grade.add_argument("--manual", metavar="CSV", help="scores for written answers: submission,cell,score")
    grade.add_argument("--skip-notebooks", action="store_true", help="grade the package suites only")
    grade.add_argument("--full-notebooks", action="store_true",
                       help="run notebooks in full mode (default: smoke mode, COURSE_SMOKE=1)")
    grade.add_argument("--gradebook", metavar="COURSE", type=course_folder,
                       help="also write the scores into this nbgrader course's gradebook (see `course`)")

    merge = sub.add_parser("merge", help="merge the output folders of `grade --shard` into one, with grades.csv")
    merge.add_argument("shards", nargs="+", metavar="OUT", help="the shards' output folders")
    merge.add_argument("--out", required=True, metavar="DIR", help="the merged folder (created if missing)")

    demo = sub.add_parser("demo", help="grade sample submissions (complete, empty, buggy, hostile)")
    demo.add_argument("--out", default="demo-out", metavar="DIR")
    demo.add_argument("--jobs", type=int, default=2, metavar="N")

    course = sub.add_parser("course", help="create an nbgrader course folder from the release (formgrader, exchange)")
    course.add_argument("dir", metavar="DIR", help="the course folder (created if missing, refreshed if not)")
    course.add_argument("--exchange", metavar="PATH", help="nbgrader exchange folder (default: DIR/exchange)")
    course.add_argument("--course-id", default="cnn-course", help="nbgrader course id (default: cnn-course)")
    course.add_argument("--part", action="append", choices=list(PARTS), metavar="NAME",
                        help="add only this part (repeatable; default: all built parts)")
    course.add_argument("--collected", metavar="OUT",
                        help="lay out what `nbgrader collect` put in DIR/submitted/ as OUT/<student>/ for grade")

    gs = sub.add_parser("gradescope", help="build Gradescope's autograder zip (setup.sh, run_autograder, course)")
    gs.add_argument("--out", default="autograder.zip", metavar="ZIP")
    gs.add_argument("--part", action="append", choices=list(PARTS), metavar="NAME",
                    help="grade only this part on Gradescope (repeatable; default: all built parts)")
    gs.add_argument("--seed", type=int, help="seed of the hidden inputs (default: a fresh secret one)")
    gs.add_argument("--skip-notebooks", action="store_true", help="grade the package suites only")
    gs.add_argument("--allow-weak-isolation", action="store_true",
                    help="grade even where Gradescope's container allows only process isolation")

    args = parser.parse_args(argv)
    if args.command == "release":
        from grader import release
        return release.main(check=args.check)
    if args.command == "fork":
        from grader import colab
        return colab.main(args)
    if args.command == "grade":
        from grader import grade as grading
        return grading.main(args)
    if args.command == "merge":
        from grader import merge as merge_mod
        return merge_mod.main(args)
    if args.command == "course":
        from grader import course as course_mod
        return course_mod.main(args)
    if args.command == "gradescope":
        from grader import gradescope
        return gradescope.main(args)
    from grader import demo as demo_mod
    return demo_mod.main(args)


if __name__ == "__main__":
    sys.exit(main())
