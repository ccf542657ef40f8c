"""An independent reader of Desktop Entry Exec= values, for checking what autostart writes."""

from __future__ import annotations


def unquote_exec(value: str) -> list[str]:
    """The Desktop Entry spec's reading of an Exec= value (string escapes, then quoting)."""
    text = value.replace("%%", "\0")
    unescaped, i = "", 0
    while i < len(text):  # string-type escapes
        if text[i] == "\\" and i + 1 < len(text):
            unescaped += {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(
                text[i + 1], "\\" + text[i + 1]
            )
            i += 2
        else:
            unescaped += text[i]
            i += 1
    args, current, quoted, i, started = [], "", False, 0, False
    while i < len(unescaped):
        c = unescaped[i]
        if quoted and c == "\\" and i + 1 < len(unescaped) and unescaped[i + 1] in '"`$\\':
            current, i = current + unescaped[i + 1], i + 2
            continue
        if c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if started:
                args.append(current)
            current, started = "", False
        else:
            current, started = current + c, True
        i += 1
    if started:
        args.append(current)
    return [a.replace("\0", "%") for a in args]
