"""User text inside Streamlit Markdown: shown as written, never read as markup."""

from __future__ import annotations

import re

# What can make Markdown fetch, link, format or run: links and images need [ ], HTML and
# autolinks < >, bare URLs and e-mail addresses : and @ (and www.), Streamlit's directives
# and maths : and $, emphasis, code, tables and strike-through * _ ` | ~, entities &.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$:@&])")
_BLOCK_START = re.compile(r"\A(\s*)([#>+=-]|\d+(?=[.)]))")  # a heading, quote or list
_WWW = re.compile(r"(?i)(www)\.")
# Streamlit's GitHub-flavoured Markdown also links bare URLs and e-mail addresses *after*
# escapes are resolved (remark-gfm's text transform), so escaping alone leaves them links:
# an invisible word joiner after ":", before "@" and inside "www." breaks its patterns.
JOINER = "\u2060"
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")


def text(value: object, limit: int = 300) -> str:
    """`value` as literal text inside Streamlit Markdown: never a link, image, HTML or format.

    The characters that start Markdown constructs are backslash-escaped (CommonMark's
    escape, which also stops Streamlit's `:colour[...]` and `:material/...:` directives and
    `$` maths), so are bare URLs and a heading or list marker at the start; line breaks
    become spaces (no new block can start), and long text is cut. Use it for anything a
    user, a file or a link wrote: column and file names, refusals that quote them.
    """
    shown = _LINE_BREAKS.sub(" ", str(value))
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    shown = _MARKDOWN_SPECIAL.sub(r"\\\1", shown)
    shown = shown.replace("\\:", "\\:" + JOINER).replace("\\@", JOINER + "\\@")
    shown = _WWW.sub(r"\1" + JOINER + ".", shown)
    return _BLOCK_START.sub(_escape_block_start, shown)


def _escape_block_start(m: re.Match) -> str:
    space, marker = m.groups()
    if marker.isdigit():  # "1." or "1)": escape the punctuation, not the digits
        return space + marker + "\\"
    return space + "\\" + marker
