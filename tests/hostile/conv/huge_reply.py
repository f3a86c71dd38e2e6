"""Answers with a few million empty objects: a small message on the wire that would take gigabytes to decode."""


def __getattr__(name):
    def answer(*args, **kwargs):
        return [{} for _ in range(3_000_000)]
    return answer
