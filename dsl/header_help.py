"""What each header setting means, written once for the docs and the editor.

docs/language.md's table of header settings is `markdown_table()` (a test keeps the page equal to
it), and `anet lsp` shows a setting's row when the cursor rests on its keyword. Each row's forms
give the allowed values of enumerated settings as `pool avg|max`; a test holds them to the `Header`
model's choices. How a setting is read and printed is `HEADER_FIELDS`' business (`header.py`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SettingHelp:
    """One row of the table: the forms a line takes (each a code span), what it means, its default."""

    forms: tuple[str, ...]
    meaning: str
    default: str = ""

    @property
    def keywords(self) -> tuple[str, ...]:
        """The header keywords the row explains, in the order written."""
        return tuple(dict.fromkeys(form.split()[0] for form in self.forms))

    def markdown(self, *, in_table: bool = False) -> str:
        """The forms as code spans; a table cell escapes `|` (GitHub renders `\\|` as `|`)."""
        forms = ", ".join(f"`{form}`" for form in self.forms)
        return forms.replace("|", "\\|") if in_table else forms


HEADER_HELP: tuple[SettingHelp, ...] = (
    SettingHelp(("classes N",), "number of classes (required)"),
    SettingHelp(("depth 50", "depth 101", "depth [3, 4, 6, 3]"), "module repeats per level", "50"),
    SettingHelp(
        ("pool avg|max",), "head pooling over time (`max`: the implementation's max-pooled predictions)", "avg"
    ),
    SettingHelp(
        ("edges learned|fixed",), "train the connection weights, or use the given ones as constants", "learned"
    ),
    SettingHelp(
        ("attention none|self|peer",),
        "AssembleNet++ attention on every block's connections, unless a block says otherwise",
        "none",
    ),
    SettingHelp(
        ("family assemblenet|lite",),
        "`lite`: AssembleNet++lite's stems, 3D inverted bottleneck blocks (`C=[a, b, c]`) and head",
        "assemblenet",
    ),
    SettingHelp(
        ("flow computed|pyramid|input",),
        "optical flow computed in the network from RGB (`computed`: the authors' single-scale layer; `pyramid`: "
        'the coarse-to-fine layer, see "Optical flow"), or given as an input',
        "computed",
    ),
    SettingHelp(
        ("pyramid scales=5 warps=10 iterations=10 resolution=0.5 median=3",),
        "settings of `flow pyramid` (any subset; those left out keep the layer's measured defaults, shown)",
    ),
    SettingHelp(("clip frames=32 size=224",), "default input clip", "32, 224"),
    SettingHelp(("width 0.125",), "multiplier of every channel count (cheap proxy training)", "1.0"),
    SettingHelp(
        ("budget stems=128 l1=128 l2=256 l3=512 l4=512",),
        "largest sum of C per level",
        "the published sums of the depth",
    ),
    SettingHelp(
        ('parent "..."', "round N", "fitness F", "mutations [split(8, 15), ...]", "hash H"),
        "descendant metadata written by the search",
    ),
    SettingHelp(
        ("latency 1603.2", "gflops 41.27", "params 24361231"),
        "the candidate's deployment cost, measured once by `anet evolve` at the run's deploy shape and on its "
        "device (see [search](search.md)): median latency of one forward in ms, GFLOPs of that forward, parameters",
    ),
    SettingHelp(
        ("retrained mean=1.312 se=0.015 runs=3",),
        "the fitness retrained with fresh seeds (`anet evolve --reevaluate`): mean, standard error (with 2 or "
        "more runs) and number of runs",
    ),
)

_BY_KEYWORD = {keyword: row for row in HEADER_HELP for keyword in row.keywords}


def help_of(keyword: str) -> SettingHelp | None:
    """The row that explains a header keyword (`network` and unknown words have none)."""
    return _BY_KEYWORD.get(keyword)


def markdown_table() -> str:
    """The table of docs/language.md, one line per row."""
    lines = ["| setting | meaning | default |", "|---|---|---|"]
    for row in HEADER_HELP:
        cells = ("|", row.markdown(in_table=True), "|", row.meaning, "|", row.default, "|")
        lines.append(" ".join(cell for cell in cells if cell))  # an empty default is `| |`
    return "\n".join(lines)
