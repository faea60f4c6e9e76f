"""Every diagnostic code, registered once with its title: tools match on the codes, so a code is
never reused for another problem, and `error()` / `warning()` refuse one that is not listed here.
(E140, a node that feeds no level-4 block, was an error until AssembleNet++: the published
full_asnp50 structure has one, so it is the warning W140 now.)"""

from __future__ import annotations

CODES: dict[str, str] = {
    "E001": "the file is not UTF-8 text",
    "E100": "syntax error",
    "E101": "a statement out of place",
    "E102": "a setting given twice",
    "E103": "unknown mutation",
    "E110": "a required attribute or setting is missing",
    "E111": "a node attribute given twice",
    "E112": "an attribute that does not apply to a stem",
    "E120": "a value out of range",
    "E130": "a node id used twice",
    "E131": "an input names an unknown node",
    "E132": "an input is written below its reader",
    "E133": "an edge that does not climb a level",
    "E134": "a stem that does not read exactly one raw input",
    "E135": "a block that reads a raw input",
    "E136": "a block without inputs",
    "E137": "an input read twice",
    "E138": "a peer that is not below its block",
    "E141": "no level-4 block",
    "E150": "a level over its channel budget",
    "E160": "a weight that is never used",
    "E161": "weights on some inputs of a block only",
    "E162": "fixed edges without weights",
    "E163": "peers listed where the block has no peer attention",
    "E164": "a network family and a block's C that do not agree",
    "W140": "a node that feeds no level-4 block (built, but its output is unused)",
    "E171": "a raw input's name used as a node id",
    "W170": "the written hash does not match the architecture",
}


def title(code: str) -> str:
    """The registered title; a KeyError names an unregistered code (an anet bug)."""
    return CODES[code]
