"""Hostile submissions: each file in a part's folder replaces assignment/<part>.py and tries one trick.

Every trick must gain nothing: tests/test_hostile.py grades them all and checks that each scores zero on
the package suite, that the grader survives, and that nothing outside the sandbox changed."""
