"""Hidden test suites, one pytest file per part. They run in the trusted grader process."""
