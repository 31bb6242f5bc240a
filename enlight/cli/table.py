"""The option table of ``enlight-video``, straight from its parser, as markdown.

    python -m enlight.cli.table          # | option | default | meaning | rows, grouped as --help groups them

The README's tables are written by hand (their "meaning" column says more than ``--help``), but their
option names and defaults must be the parser's: tests/stream/test_docs.py holds them to
``documented_default`` below. Paste a row from here when an option is added.
"""

from __future__ import annotations

import argparse
import re

_SKIP = (argparse._HelpAction, argparse._VersionAction)


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The parser's optional arguments, less --help and --version."""
    return [a for a in parser._actions if a.option_strings and not isinstance(a, _SKIP)]


def help_default(action: argparse.Action) -> str | None:
    """What the help text gives as the default ("... (default: X)" or "default: X"), or None."""
    match = re.search(r"default:\s*([^)]*)", (action.help or "").replace("%%", "%"))
    return match.group(1).strip() if match else None


def documented_default(action: argparse.Action) -> str | None:
    """The default as the README's tables write it: ``off`` for a flag, ``required`` for a required
    option, the parser's default value, else the help text's "(default: ...)", else None (free text)."""
    if action.required:
        return "required"
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        return "off"
    if action.default is not None:
        value = action.default
        return f"{value:g}" if isinstance(value, float) else str(value)
    return help_default(action)


def option_label(action: argparse.Action) -> str:
    names = ", ".join(action.option_strings)
    if action.nargs == 0:
        return names
    if action.metavar is None and action.choices:
        return f"{names} {'|'.join(map(str, action.choices))}"
    return f"{names} {action.metavar or action.dest.upper()}"


def markdown(parser: argparse.ArgumentParser) -> str:
    lines = []
    for group in parser._action_groups:
        actions = [a for a in group._group_actions if a in options(parser)]
        if not actions:
            continue
        lines += [f"{group.title}:", "", "| option | default | meaning |", "|---|---|---|"]
        for action in actions:
            default = documented_default(action) or ""
            meaning = re.sub(r"\s*(?:\(default: [^)]*\)|[;,]\s*default: [^;()]*$)", "",
                             (action.help or "").replace("%%", "%"))
            label = option_label(action).replace("|", "\\|")
            lines.append(f"| `{label}` | {default} | {meaning.replace('|', chr(92) + '|')} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    from enlight.cli.common import print_text
    from enlight.cli.video import build_parser

    print_text(markdown(build_parser()))


if __name__ == "__main__":
    main()
