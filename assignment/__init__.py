"""The student package of the CNN course.

One module per notebook holds the functions you write (`conv.py` for notebook 01, ...); the other
modules are provided helpers that the notebooks use: `course` (smoke mode, seeding), `checks`
(gradient and value checks), `images` (a real photo), `plots` (figures), `timing` (speed) and `submit`
(the submission zip that the last cell of each notebook builds).
Import the modules you need, e.g. `from assignment import conv`.
"""
