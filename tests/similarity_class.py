"""A generated class for the similarity section: 210 submission folders with planted pairs among expected agreements.

Planted (each must be listed, before anything else):
  numbers  two students whose code differs but whose c_bar has the same uncatalogued wrong equation
  code     two students with the same unusual program, variables renamed and helpers reordered
  latex    two students with the same answers.tex, spacing changed
Expected by chance (none may be listed): a catalogued mistake shared by 20, another by 15, an uncatalogued
wrong o_bar shared by 14 (more than 5 %), the kit's templates of correct code, the reference's question 1
weights (also scaled and reordered), common LaTeX answers.

Run it as a script to make the export: `python3 tests/similarity_class.py EXPORT_FOLDER [SIZE]`.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "submissions_sample"
PLANTED = {
    "numbers": ("s000_numbers_a", "s001_numbers_b"),
    "code": ("s002_code_a", "s003_code_b"),
    "latex": ("s004_latex_a", "s005_latex_b"),
}

REFERENCE_ADDER = (ROOT / "reference" / "adder.py").read_text()
TEMPLATES = {
    "reference": (ROOT / "reference" / "lstm_bptt.py").read_text(),
    "loop": (SAMPLES / "lstm_correct_loop" / "lstm_bptt.py").read_text(),
    "lists": (SAMPLES / "lstm_correct_lists_math" / "lstm_bptt.py").read_text(),
}
RENAMES = {  # names a student may call otherwise, per template
    "reference": ("bars", "c_carry", "tanh_c", "h_bar", "c_bar", "steps", "w_ix_bar"),
    "loop": ("h_bar", "c_bar", "g_bar", "o_bar", "f_bar", "i_bar", "w_ix_bar", "sigmoid_slope"),
    "lists": (),
}
WRONG_C = {  # the planted pair's shared wrong equation: tanh's slope written 1 - tanh(c), in two templates
    "reference": ("(1 - tanh_c**2)", "(1 - tanh_c)"),
    "loop": ("(1 - np.tanh(c[t]) ** 2)", "(1 - np.tanh(c[t]))"),
}
WRONG_O = ('bars["o"][t] = h_bar * tanh_c', 'bars["o"][t] = h_bar * c[t]')  # common: 14 students

HELPERS = {
    "sig_slope": """def sig_slope(s):
    return s * (1.0 - s)
""",
    "tanh_slope": """def tanh_slope(v):
    return 1.0 - v * v
""",
    "recurrent_term": """def recurrent_term(bars, forward, weights, t):
    total = 0.0
    for gate, key in (("i", "w_ih"), ("f", "w_fh"), ("o", "w_oh")):
        total = total + bars[gate][t + 1] * sig_slope(forward[gate][t + 1]) * weights[key]
    total = total + bars["g"][t + 1] * tanh_slope(forward["g"][t + 1]) * weights["w_gh"]
    return total
""",
    "backward_step": """def backward_step(bars, forward, weights, dL_dh, t, T):
    hb = dL_dh[t] + (recurrent_term(bars, forward, weights, t) if t < T else 0.0)
    tc = np.tanh(forward["c"][t])
    cb = hb * forward["o"][t] * tanh_slope(tc) + (bars["c"][t + 1] * forward["f"][t + 1] if t < T else 0.0)
    bars["h"][t], bars["c"][t] = hb, cb
    bars["g"][t] = cb * forward["i"][t]
    bars["o"][t] = hb * tc
    bars["f"][t] = cb * forward["c"][t - 1]
    bars["i"][t] = cb * forward["g"][t]
""",
    "weight_gradient": """def weight_gradient(bars, forward, x, T):
    acc = 0.0
    for t in range(1, T + 1):
        acc += bars["i"][t] * sig_slope(forward["i"][t]) * x[t]
    return acc
""",
}
MAIN = """def lstm_bptt(x, weights, forward, dL_dh):
    T = len(x) - 1
    forward = {k: np.asarray(v, dtype=float) for k, v in forward.items()}
    bars = {k: np.zeros(T + 1) for k in "hcgofi"}
    for t in range(T, 0, -1):
        backward_step(bars, forward, weights, dL_dh, t, T)
    return {**bars, "w_ix": float(weight_gradient(bars, forward, x, T))}
"""
COPIED = {  # the code pair's second student: every name of their own changed
    "sig_slope": "dsigmoid",
    "tanh_slope": "dtanh",
    "recurrent_term": "from_next_step",
    "backward_step": "one_step",
    "weight_gradient": "grad_wix",
    "bars": "deltas",
    "hb": "delta_h",
    "tc": "tanh_cell",
    "cb": "delta_c",
    "acc": "running",
    "total": "s",
}


def renamed(text: str, names: dict[str, str]) -> str:
    for old, new in names.items():
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    return text


def own_names(template: str, rng: random.Random, bug: tuple[str, str] = ("", "")) -> str:
    """A template (with a bug: a piece of text replaced) with the student's own names for its locals."""
    names = {
        name: f"{name}_{rng.choice(['v', 'val', 'x', 'my', 'tmp'])}{rng.randint(0, 99)}" for name in RENAMES[template]
    }
    text = TEMPLATES[template].replace(*bug) if bug[0] else TEMPLATES[template]
    assert bug[1] in text
    return renamed(text, names)


def adder(rng: random.Random, kind: str) -> str:
    """Question 1: the reference's weights, scaled per unit, with the units reordered, or a design of one's own."""
    U, W, V, b_h, b_y = [[1, 1]] * 3, [[0, 1, 0]] * 3, [1, -1, 1], [-0.5, -1.5, -2.5], -0.5
    if kind == "scaled":
        scale = [rng.choice([2, 3, 4, 10]) for _ in range(3)]
        U = [[s, s] for s in scale]
        W = [[0, s, 0] for s in scale]
        b_h = [b * s for b, s in zip(b_h, scale, strict=True)]
    elif kind == "reordered":  # units (carry, s>=1, s==3): the carry is unit 0
        U, W, V, b_h = [[1, 1]] * 3, [[1, 0, 0]] * 3, [-1, 1, 1], [-1.5, -0.5, -2.5]
    elif kind == "own":
        shift = rng.randint(1, 40) / 100
        b_h = [-0.5 - shift, -1.5 + shift, -2.5 + shift / 2]
        b_y = -rng.randint(10, 90) / 100
    return f"U = {U}\nW = {W}\nV = [{V}]\nb_h = {b_h}\nb_y = {b_y}\n"


def latex_spacing(text: str) -> str:
    """The same LaTeX with its spacing changed: spaces around = and +, thin spaces, line breaks doubled."""
    text = re.sub(r"\s*=\s*", r" =\\, ", text)
    text = re.sub(r"\s*\+\s*", "  +  ", text)
    return text.replace("\n", "\n\n")


def make_class(export: Path, size: int = 210, seed: int = 22) -> dict[str, tuple[str, str]]:
    """Write `size` submission folders into `export`; return the planted pairs."""
    rng = random.Random(seed)
    export.mkdir(parents=True, exist_ok=True)

    def write(name: str, files: dict[str, str]) -> None:
        folder = export / name
        folder.mkdir()
        for file, text in files.items():
            (folder / file).write_text(text, encoding="utf-8")

    a, b = PLANTED["numbers"]
    write(a, {"adder.py": REFERENCE_ADDER, "lstm_bptt.py": own_names("reference", rng, WRONG_C["reference"])})
    write(b, {"adder.py": REFERENCE_ADDER, "lstm_bptt.py": own_names("loop", rng, WRONG_C["loop"])})
    a, b = PLANTED["code"]
    program = "import numpy as np\n\n\n" + "\n\n".join([*HELPERS.values(), MAIN])
    order = ["weight_gradient", "backward_step", "sig_slope", "recurrent_term", "tanh_slope"]
    copied = "import numpy as np\n\n\n" + "\n\n".join([MAIN, *(HELPERS[name] for name in order)])
    write(a, {"adder.py": REFERENCE_ADDER, "lstm_bptt.py": program})
    write(b, {"adder.py": adder(rng, "scaled"), "lstm_bptt.py": renamed(copied, COPIED)})
    a, b = PLANTED["latex"]
    chains = (SAMPLES / "tex_derivation_chains" / "answers.tex").read_text()
    write(a, {"answers.tex": chains})
    write(b, {"answers.tex": latex_spacing(chains)})

    common: list[tuple[str, dict[str, str]]] = []
    for name in ("lstm_c_bar_without_carry",) * 20 + ("lstm_h_bar_without_recurrence",) * 15:
        common.append(
            (name, {"adder.py": REFERENCE_ADDER, "lstm_bptt.py": (SAMPLES / name / "lstm_bptt.py").read_text()})
        )
    for _ in range(14):
        common.append(("wrong_o", {"adder.py": REFERENCE_ADDER, "lstm_bptt.py": own_names("reference", rng, WRONG_O)}))
    for name in ("tex_alignat",) * 12 + ("tex_eqnarray",) * 12:
        common.append((name, {"answers.tex": (SAMPLES / name / "answers.tex").read_text()}))
    while len(common) < size - 6:
        template = rng.choice(sorted(TEMPLATES))
        kind = rng.choices(["reference", "scaled", "reordered", "own"], [70, 15, 10, 5])[0]
        common.append((f"{template}_{kind}", {"adder.py": adder(rng, kind), "lstm_bptt.py": own_names(template, rng)}))
    rng.shuffle(common)
    for number, (what, files) in enumerate(common, start=6):
        write(f"s{number:03d}_{what}", files)
    return PLANTED


if __name__ == "__main__":
    made = make_class(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 210)
    print(f"planted: {made}")
