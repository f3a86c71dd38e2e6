"""Reference solutions: the single source the student release is generated from."""
