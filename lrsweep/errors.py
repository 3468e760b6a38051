"""Errors that carry a one-line message meant for the person who wrote the config."""


class LrsweepError(Exception):
    """Base class: ``str(error)`` is one line naming the experiment and the key."""


class ConfigError(LrsweepError, ValueError):
    """The config is malformed, or asks for something that cannot work."""


class DataError(LrsweepError, ValueError):
    """A dataset cannot be loaded or does not fit what the config says about it."""
