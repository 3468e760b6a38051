"""Errors that carry a one-line message meant for the person who wrote the config."""


class LrsweepError(Exception):
    """Base class: ``str(error)`` is one line naming the experiment and the key."""


class ConfigError(LrsweepError, ValueError):
    """The config is malformed, or asks for something that cannot work."""


class DataError(LrsweepError, ValueError):
    """A dataset cannot be loaded or does not fit what the config says about it."""


def describe(experiment: str | None, key: str, message: str) -> str:
    """The one-line form of every config and data error: ``experiment 'x': key 'y': ...``
    (either part left out when empty)."""
    head = f"experiment '{experiment}': " if experiment else ""
    key_part = f"key '{key}': " if key else ""
    return f"{head}{key_part}{message}"


#: How many characters of a value from the data a message quotes.
QUOTE_CHARS = 40
#: How many values of a list from the data a message names.
QUOTE_ITEMS = 10


def quote(value, limit: int = QUOTE_CHARS) -> str:
    """A value from the data (a column name, a class label, a cell) as a message shows it: its
    ``repr``, so control and other unprintable characters are escaped (never sent raw to a
    terminal), and cut to its first ``limit`` characters, with its length, when longer."""
    if not isinstance(value, str):
        text = repr(value.item() if hasattr(value, "item") else value)
        return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value):,} characters)"


def quote_list(values, limit: int = QUOTE_ITEMS) -> str:
    """Values from the data, each :func:`quote`-d, the first ``limit`` of them and how many
    there are in all when more."""
    values = list(values)
    shown = ", ".join(quote(v) for v in values[:limit])
    return shown if len(values) <= limit else f"{shown}, … ({len(values):,} in all)"
