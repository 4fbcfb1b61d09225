"""The charts' common look: palette, markers, figures, titles, legends.

Nothing here touches pyplot: pyplot keeps global state that is not safe in a web
server's threads, so the server builds a `Figure` with `new_figure` and writes it out
with `figure_bytes`, while a notebook may pass the axes of `plt.subplots()`.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from lab import words
from lab.vocabulary import Arm, Outcome

# Okabe–Ito palette: stays distinguishable for the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILLION, SKY, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#6E6E6E")
OUTCOME_COLOURS = {Outcome.scale_up: GREEN, Outcome.revise: ORANGE,
                   Outcome.withdraw: VERMILLION, Outcome.continue_: BLUE}
# Shapes as well as colours, so the outcome survives a grey-scale print.
OUTCOME_MARKERS = {Outcome.scale_up: "^", Outcome.revise: "D", Outcome.withdraw: "v",
                   Outcome.continue_: "o"}
ARM_COLOURS = {Arm.pilot: BLUE, Arm.control: ORANGE}
PURPLE = "#CC79A7"  # Okabe–Ito's reddish purple: a service-level target, apart from the arms
CLIP = 6.0  # portfolio axis limit, in minimum effects; wider intervals end in an arrow
NARROW = 5.5  # inches: a figure narrower than this gets its legend below and short labels
# A guardrail's standing at a look (lab.portfolio.standing.guardrail_status), as drawn.
GUARD_COLOURS = {"safe": GREEN, "harmed": VERMILLION, "unclear": GREY}
GUARD_MARKERS = {"safe": "^", "harmed": "v", "unclear": "o"}
GUARD_WORDS = {"safe": "shown safe", "harmed": "harmed", "unclear": "not yet safe"}

def new_figure(width: float = 7.0, height: float = 4.0) -> Figure:
    """Build a Figure directly (never through pyplot), laid out to fit its labels."""
    return Figure(figsize=(width, height), layout="constrained")


def figure_bytes(figure: Figure, fmt: str = "png") -> bytes:
    """Render a figure to PNG or SVG bytes."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure format must be 'png' or 'svg', not {fmt!r}")
    buffer = io.BytesIO()
    # No timestamp in SVG, so the same chart gives the same bytes.
    metadata = {"Date": None} if fmt == "svg" else None
    figure.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
    return buffer.getvalue()


def outcome_legend(ax: Axes, outcomes: set, below: bool = False, role: str = "primary",
                    columns: int | None = None) -> None:
    handles = [h for h in ax.get_legend_handles_labels()[0] if isinstance(h, Line2D)]
    if role == "guardrail":
        handles += [Line2D([], [], marker=GUARD_MARKERS[g], color=GUARD_COLOURS[g],
                           linestyle="none", label=GUARD_WORDS[g])
                    for g in GUARD_COLOURS if g in outcomes]
    elif role == "primary":
        handles += [Line2D([], [], marker=OUTCOME_MARKERS[o], color=OUTCOME_COLOURS[o],
                           linestyle="none", label=words.outcome_word(o))
                    for o in OUTCOME_COLOURS if o in outcomes]
    # Outside the axes, so it never hides an interval.
    if below:  # under everything: the right margin is needed (portfolio) or too narrow
        ax.figure.legend(handles=handles, loc="outside lower center",
                         ncol=columns or min(len(handles), 2), frameon=False, fontsize=8)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False, fontsize=8)


def title(ax: Axes, text: str, narrow: bool) -> None:
    """Set a title that fits: wrapped to the figure's width."""
    width = max(24, int(ax.figure.get_figwidth() * (9 if narrow else 11)))
    ax.set_title("\n".join(textwrap.wrap(text, width)), loc="left", parse_math=False,
                 fontsize=10 if narrow else 11)


def note(ax: Axes, text: str) -> None:
    ax.text(0.01, 0.99, text, transform=ax.transAxes, ha="left", va="top", fontsize=8,
            color=GREY, style="italic")


def empty(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            color=GREY, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def tidy(ax: Axes) -> Axes:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    return ax
