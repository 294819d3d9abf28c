"""What the math means: names, steps, bars, functions and numbers, from the syntax tree to expressions.

An expression is a tuple: ("const", Fraction), ("fwd", key, step), ("bar", key, step),
("helper", name, step), ("weight", name), ("dldh", step), ("add", [(sign, expr)]), ("mul",
[(op, expr)]) with op "*" or "/", ("pow", expr, exponent), ("fn", name, derivative, expr),
("sum", variable, low, high, body). A step is (variable or None, offset): ("t", -1) is t-1,
("T", 0) is T, (None, 0) is step 0. Every error is a ReadError at the place it concerns.
"""

from __future__ import annotations

import difflib
from fractions import Fraction
from typing import Any

from .grammar import Node, ReadError
from .numbers import Expr

FORWARD = "xhcifog"
BARRED = "hcgofi"
WEIGHTS = ("ix", "ih", "fx", "fh", "ox", "oh", "gx", "gh")
FUNCTIONS = {"sigma": "sigma", "tanh": "tanh", "exp": "exp", "sech": "sech", "cosh": "cosh", "sinh": "sinh"}
FUNCTION_WORDS = {"tanh", "sigma", "sech", "exp", "cosh", "sinh", "sigmoid"}
FONTS = {
    "mathbf",
    "bm",
    "boldsymbol",
    "bf",
    "mathrm",
    "mathit",
    "mathcal",
    "mathsf",
    "mathnormal",
    "operatorname",
    "pmb",
    "vec",
    "rm",
    "it",
}
BARS = {"overline", "bar", "widebar"}
ACCENTS = {"hat", "tilde", "widehat", "widetilde", "check", "breve", "dot", "ddot"}
GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "rho",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Delta",
    "Gamma",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Phi",
    "Psi",
    "Omega",
    "ell",
}
FRACTIONS = {"frac", "dfrac", "tfrac", "cfrac"}
TRANSPOSE = {"T", "top", "intercal", "mathsf{T}"}
KNOWN = sorted(
    set(FUNCTIONS)
    | FONTS
    | BARS
    | ACCENTS
    | GREEK
    | FRACTIONS
    | {"sum", "partial", "cdot", "times", "odot", "prime", "left", "right", "top", "quad", "qquad"}
)
MAX_PREFIX = 30  # functions and accents applied in a row, as in \tanh \tanh \tanh x


def step_text(step: tuple[str | None, int]) -> str:
    variable, offset = step
    if variable is None:
        return str(offset)
    return variable + ("" if offset == 0 else f"{offset:+d}")


def display(kind: str, key: str, step: tuple[str | None, int] | None = ("t", 0)) -> str:
    """A symbol as the handout writes it: \\overline{h^{(t)}}, z_i^{(t+1)}, \\overline{w_{ix}}."""
    at = "" if step is None else f"^{{({step_text(step)})}}"
    if kind == "bar":
        return f"\\overline{{{key}{at}}}"
    if kind == "wbar":
        return "\\overline{w_{ix}}"
    return f"{key}{at}"


class Reader:
    """Reads expressions of one equation; `steps` are the step variables in scope (t, T, a sum's)."""

    def __init__(self, *, macros: dict[str, str] | None = None, sums: bool = False):
        self.macros = macros or {}  # \name -> "line N" of its \newcommand
        self.sums_allowed = sums
        self.variables = ["t", "T"]

    # -- expressions -----------------------------------------------------------------------------

    def expression(self, node: Node) -> Expr:
        if node.kind == "chain":
            if len(node.items) > 1:
                raise ReadError(node.items[1].at, "an `=` inside an expression cannot be read here")
            return self.expression(node.items[0])
        if node.kind == "sum":
            terms, sign = [], 1
            for item in node.items:
                if isinstance(item, str):
                    sign = -1 if item == "-" else 1
                else:
                    terms.append((sign, self.term(item.items if item.kind == "term" else [item])))
            return ("add", terms)
        return self.term(node.items if node.kind == "term" else [node])

    def term(self, items: list[Any]) -> Expr:
        sign = 1
        while items and isinstance(items[0], str) and items[0] in "+-":
            sign = -sign if items[0] == "-" else sign
            items = items[1:]
        factors, op, index = [], "*", 0
        while index < len(items):
            item = items[index]
            if isinstance(item, Node) and item.kind == "group" and not item.items and not item.scripts:
                index += 1  # `{}`, as in `= {} &`: nothing
                continue
            if isinstance(item, str):
                op = "/" if item == "/" else "*"
                index += 1
                continue
            value, index = self.operand(items, index, 0)
            factors.append((op, value))
            op = "*"
        product = factors[0][1] if len(factors) == 1 and factors[0][0] == "*" else ("mul", factors)
        return product if sign == 1 else ("add", [(-1, product)])

    def operand(self, items: list[Any], index: int, depth: int) -> tuple[Expr, int]:
        """One operand starting at items[index] (a function takes the next one): (expression, next index)."""
        if depth > MAX_PREFIX:
            raise ReadError(items[index].at, "too many functions or accents in a row")
        node = items[index]
        if isinstance(node, str):
            raise ReadError(getattr(items[index - 1], "at", 0), f"`{node}` needs a value on each side")
        if node.kind == "cmd":
            name = node.value
            argument = items[index + 1] if index + 1 < len(items) else None
            if name in ("operatorname", "mathrm", "text", "dot") and isinstance(argument, Node):
                # \operatorname{tanh} is \tanh; \dot{\sigma} is Newton's dot on a function: its derivative \sigma'
                inner = unwrap(argument)
                word = _word(argument) if name != "dot" else (inner.value if inner.kind == "cmd" else None)
                if word in FUNCTION_WORDS:
                    scripts = [("'", None)] if name == "dot" else []
                    fake = Node(
                        "cmd",
                        argument.at,
                        "sigma" if word == "sigmoid" else word,
                        scripts=scripts + inner.scripts + node.scripts,
                    )
                    value, after = self.operand(items[:index] + [fake] + items[index + 2 :], index, depth + 1)
                    return value, after + 1  # the list given had one item fewer
            if name == "partial":
                return self.slash_derivative(items, index)
            if name in FUNCTIONS:
                return self.function(items, index, depth)
            if name in FONTS:
                return self.operand(self._need(items, index), index + 1, depth + 1)
            if name in BARS or name in ACCENTS:
                target, after = self.operand(self._need(items, index), index + 1, depth + 1)
                return self.accent(node, items[index + 1], target), after
            if name in FRACTIONS:
                return self.fraction(items, index, depth)
            if name == "sum":
                return self.sum(node, items[index + 1 :]), len(items)
            if name in GREEK:
                return self.symbol(node), index + 1
            raise ReadError(node.at, self.unknown_command(name))
        if _differential_mark(node) == "d" and "/" in items[index + 2 : index + 4]:
            return self.slash_derivative(items, index)  # dL/dh^{(t)}
        return self.factor(node), index + 1

    def _need(self, items: list[Any], index: int) -> list[Any]:
        if index + 1 >= len(items) or isinstance(items[index + 1], str):
            raise ReadError(items[index].at, f"`\\{items[index].value}` needs an argument after it")
        return items

    def factor(self, node: Node) -> Expr:
        if node.kind == "letter":
            return self.symbol(node)
        if node.kind == "number":
            return self.powers(("const", Fraction(node.value)), node)
        if node.kind == "frac_digits":
            digits = [c for c in node.value if c.isdigit()]
            return self.powers(("const", Fraction(int(digits[0]), int(digits[1]))), node)
        if node.kind == "group" and len(node.items) > 1:
            raise ReadError(node.items[1].at, "a comma is read only in a subscript such as z_{i,t}")
        if node.kind == "group":
            inner = unwrap(node)
            if inner is not node:
                return self.factor(inner) if inner.kind != "cmd" else self.operand([inner], 0, 0)[0]
            if not node.items:
                raise ReadError(node.at, "an empty group `{}` has no value")
            return self.powers(self.expression(node.items[0]), node)
        if node.kind == "paren":
            return self.powers(self.expression(node.items[0]), node)
        if node.kind == "matrix":
            raise ReadError(
                node.at,
                environment_message(node.value)
                if node.value in ("cases", "dcases")
                else f"a `{node.value}` is not read in an equation of question 2",
            )
        if node.kind in ("sum", "term", "chain"):
            return self.expression(node)
        raise ReadError(node.at, "this cannot be read here")

    def powers(self, value: Expr, node: Node) -> Expr:
        for kind, argument in node.scripts:
            if kind != "^":
                what = "`'`" if kind == "'" else "a subscript"
                raise ReadError(node.at, f"{what} cannot follow this (a prime marks a function: \\sigma'(z))")
            value = ("pow", value, self.exponent(argument))
        return value

    def script(self, node: Node) -> Expr:
        """What a superscript holds: the braces' expression (^{-z}), or the single factor after ^ (^2)."""
        return self.expression(node.items[0]) if node.kind == "group" and node.items else self.factor(node)

    def exponent(self, node: Node) -> Fraction:
        value = self.script(node)
        number = constant(value)
        if number is None:
            raise ReadError(node.at, "a power must be a number, such as ^2 or ^{2}")
        return number

    # -- functions, fractions, sums --------------------------------------------------------------

    def function(self, items: list[Any], index: int, depth: int) -> tuple[Expr, int]:
        node = items[index]
        name = FUNCTIONS[node.value]
        derivative, power = 0, None
        for kind, argument in node.scripts:
            if kind == "'":
                derivative += 1
            elif kind == "^" and argument.kind == "cmd" and argument.value == "prime":
                derivative += 1
            elif kind == "^" and argument.kind == "group" and _is_prime(argument):
                derivative += 1
            elif kind == "^":
                power = self.exponent(argument)
            else:
                raise ReadError(node.at, f"`\\{node.value}` cannot take a subscript")
        if derivative > 1:
            raise ReadError(node.at, "only first derivatives (one prime) are read")
        if index + 1 >= len(items) or isinstance(items[index + 1], str):
            raise ReadError(node.at, f"`\\{node.value}` needs its argument: \\{node.value}(…)")
        following = items[index + 1]
        if following.kind == "paren" and following.scripts:  # \tanh(z)^2: the square of the value
            inner = Node("paren", following.at, items=following.items)
            argument, after = self.factor(inner), index + 2
            value = ("fn", name, derivative, argument)
            value = self.powers(value, following)
        else:
            argument, after = self.operand(items, index + 1, depth + 1)
            value = ("fn", name, derivative, argument)
        return (value if power is None else ("pow", value, power)), after

    def fraction(self, items: list[Any], index: int, depth: int) -> tuple[Expr, int]:
        node = items[index]
        if index + 2 >= len(items) or isinstance(items[index + 1], str) or isinstance(items[index + 2], str):
            raise ReadError(node.at, f"`\\{node.value}` needs two arguments: \\{node.value}{{a}}{{b}}")
        top, bottom = items[index + 1], items[index + 2]
        derivative = self.derivative(top, bottom)
        if derivative is not None:
            return self.powers(derivative, bottom) if bottom.kind != "group" else derivative, index + 3
        numerator, _ = self.operand(items, index + 1, depth + 1)
        denominator, _ = self.operand(items, index + 2, depth + 1)
        return ("mul", [("*", numerator), ("/", denominator)]), index + 3

    def derivative(self, top: Node, bottom: Node) -> Expr | None:
        """\\frac{\\partial L}{\\partial h^{(t)}} (also d, \\mathcal{L}, L^{(t)}): the loss's direct derivative."""
        numerator, denominator = _differential(top), _differential(bottom)
        if numerator is None or denominator is None:
            return None
        loss = _strip_fonts(numerator)
        if not (len(loss) == 1 and isinstance(loss[0], Node) and loss[0].kind == "letter" and loss[0].value == "L"):
            raise ReadError(top.at, "only the loss's derivative is read here: \\frac{\\partial L}{\\partial h^{(t)}}")
        wrt = _strip_fonts(denominator)
        variable = (
            self.symbol(wrt[0]) if len(wrt) == 1 and isinstance(wrt[0], Node) and wrt[0].kind == "letter" else None
        )
        if variable is None or variable[0] != "fwd" or variable[1] != "h":
            raise ReadError(
                bottom.at,
                "only the derivative with respect to h is given (dL/dh^{(t)}); other "
                "error signals are bars, such as \\overline{c^{(t)}}",
            )
        for kind, argument in loss[0].scripts:  # L_t, L^t, L^{(t)}, L_{(t)}: the steps h may have too
            if kind not in ("^", "_") or self.step(argument, strict=False) != variable[2]:
                step = step_text(variable[2])
                raise ReadError(
                    argument.at if argument is not None else loss[0].at,
                    f"the loss's step must be h's step ({step}): "
                    f"\\frac{{\\partial L^{{({step})}}}}{{\\partial h^{{({step})}}}}",
                )
        if len(loss[0].scripts) > 1:
            raise ReadError(loss[0].at, "the loss has one step at most: \\frac{\\partial L^{(t)}}{\\partial h^{(t)}}")
        return ("dldh", variable[2])

    def slash_derivative(self, items: list[Any], index: int) -> tuple[Expr, int]:
        """\\partial L / \\partial h^{(t)} (or dL/dh^{(t)}): the loss's direct derivative, written with a slash."""
        node, value, end = items[index], None, index + 1
        slash = next((j for j in range(index + 2, min(index + 4, len(items))) if items[j] == "/"), len(items))
        if slash + 2 < len(items) and _differential_mark(items[slash + 1]) == _differential_mark(node):
            end = min(slash + (4 if _is_font(items[slash + 2]) else 3), len(items))
            parts = [
                Node("group", items[at].at, items=[Node("term", items[at].at, items=items[at:stop])])
                for at, stop in ((index, slash), (slash + 1, end))
            ]
            value = self.derivative(*parts)
        if value is None:
            raise ReadError(
                node.at, "`\\partial` is read only in the loss's derivative: \\frac{\\partial L}{\\partial h^{(t)}}"
            )
        return value, end

    def sum(self, node: Node, body: list[Any]) -> Expr:
        if not self.sums_allowed:
            raise ReadError(node.at, "a sum (\\sum) is read only in \\overline{w_{ix}}")
        if len(self.variables) > 2:
            raise ReadError(node.at, "sums inside sums are not read")
        variable: str = "t"
        low: tuple[str | None, int] = (None, 1)
        high: tuple[str | None, int] = ("T", 0)
        for kind, argument in node.scripts:
            if kind == "_":
                variable, low = self.sum_start(argument)
            elif kind == "^":
                high = self.fixed_step(argument)
            else:
                raise ReadError(node.at, "`'` cannot follow \\sum")
        if not body:
            raise ReadError(node.at, "\\sum needs something to sum")
        self.variables.append(variable)
        try:
            return ("sum", variable, low, high, self.term(body))
        finally:
            self.variables.pop()

    def sum_start(self, node: Node) -> tuple[str, tuple[str | None, int]]:
        inner = node.items[0] if node.kind == "group" and node.items else node
        if inner.kind == "letter":
            return inner.value, (None, 1)
        if inner.kind == "chain" and len(inner.items) == 2 and inner.items[0].kind == "letter":
            variable = inner.items[0].value
            self.variables.append(variable)
            try:
                start = self.fixed_step(inner.items[1])
            finally:
                self.variables.pop()
            return variable, start
        raise ReadError(node.at, "write the sum as \\sum_{t=1}^{T}")

    # -- names -------------------------------------------------------------------------------

    def accent(self, node: Node, argument: Node, target: Expr) -> Expr:
        if node.value in BARS:
            if target[0] == "fwd" and target[1] in BARRED:
                return ("bar", target[1], target[2])
            if target[0] == "weight":
                return ("wbar", target[1])
            if target[0] == "helper":
                return ("helper", f"\\overline{{{target[1]}}}", target[2])
            raise ReadError(argument.at, "this bar is not an answer: bars are read on h, c, g, o, f, i and w_{ix}")
        if target[0] in ("helper", "fwd"):
            return ("helper", f"\\{node.value}{{{target[1]}}}", target[2])
        raise ReadError(node.at, f"`\\{node.value}` is read only on a helper's name, such as \\tilde{{c}}^{{(t)}}")

    def symbol(self, node: Node) -> Expr:
        """A letter (or Greek letter) with its scripts: a forward value, weight, helper, or an error."""
        base = node.value
        subs = [argument for kind, argument in node.scripts if kind == "_"]
        sups = [argument for kind, argument in node.scripts if kind == "^"]
        if len(subs) > 1 or any(kind == "'" for kind, _ in node.scripts):
            raise ReadError(node.at, f"`{base}` has a prime or two subscripts; a prime marks a function: \\sigma'(z)")
        sub = subs[0] if subs else None
        if base == "w" and node.kind == "letter":
            return self.weight(node, sub, sups)
        exponential = base == "e" and node.kind == "letter" and not subs and len(sups) == 1
        if exponential and self.step(sups[0], strict=False) is None:  # e^{-z}, not a helper e^{(t)}
            return ("fn", "exp", 0, self.script(sups[0]))
        if base in ("t", "T") and node.kind == "letter":
            raise ReadError(node.at, f"`{base}` is a step: it can stand only in a superscript or subscript")
        step, label = None, None
        if sub is not None and sub.kind == "group" and len(sub.items) == 2:  # z_{i,t}: a label, then the step
            label, step = _word(Node("group", sub.at, items=sub.items[:1])), self.fixed_step(sub.items[1])
            if label is None:
                raise ReadError(sub.at, "this subscript cannot be read: write z_{i,t} (letters, then the step)")
        elif sub is not None:
            step = self.step(sub, strict=False)
            if step is not None and step[0] is None and any(self.step(a, strict=False) for a in sups):
                label, step = str(step[1]), None  # a_1^{(t)}: the subscript is part of the name
            if step is None and label is None:
                label = _word(sub)
                if label is None:
                    raise ReadError(sub.at, "this subscript cannot be read: use a step (h_t) or letters (z_i)")
        powers = []
        for argument in sups:
            found = self.step(argument, strict=False) if step is None else None
            if found is not None:
                step = found
            else:
                powers.append(argument)
        if base == "L" and node.kind == "letter":
            raise ReadError(node.at, "`L` alone cannot be read: write \\frac{\\partial L}{\\partial h^{(t)}}")
        if node.kind == "letter" and base in FORWARD and label is None:
            if step is None:
                raise ReadError(node.at, f"`{base}` needs its step: write {base}^{{(t)}}")
            value: Expr = ("fwd", base, step)
        else:
            name = ("\\" + base if node.kind == "cmd" else base) + (f"_{label}" if label else "")
            if step is None:
                raise ReadError(
                    node.at,
                    f"unknown symbol `{name}`"
                    + (f": a helper needs a step, as in {name}^{{(t)}}" if node.kind == "cmd" or label else ""),
                )
            value = ("helper", name, step)
        for argument in powers:
            value = ("pow", value, self.exponent(argument))
        return value

    def weight(self, node: Node, sub: Node | None, sups: list[Node]) -> Expr:
        label = _word(sub) if sub is not None else None
        if label in WEIGHTS and not sups:
            return ("weight", label)
        if label in WEIGHTS:
            raise ReadError(sups[0].at, f"w_{{{label}}} is a weight: it has no step or power")
        if label and len(label) == 1 and label in "ifog":
            raise ReadError(
                node.at,
                f"`w_{label}` is not a weight: did you mean w_{{{label}x}} or w_{{{label}h}}? "
                f"Without braces, w_{label}x is w_{label} times x",
            )
        raise ReadError(node.at, "unknown weight: the weights are " + ", ".join(f"w_{{{w}}}" for w in WEIGHTS))

    def step(self, node: Node, *, strict: bool) -> tuple[str | None, int] | None:
        """The step a script names (t, t+1, T-1, 0, …), or None if it is not a step (unless strict)."""
        parenthesized = node.kind == "paren" or (
            node.kind == "group" and len(node.items) == 1 and node.items[0].kind == "paren"
        )
        inner = node
        while inner.kind in ("group", "paren") and len(inner.items) == 1 and not inner.scripts:
            inner = inner.items[0]
        found = self._step(inner)
        if found is None or (found[0] is None and not (parenthesized or strict or node.kind == "number")):
            if strict or (parenthesized and found is None and _mentions(inner, self.variables)):
                raise ReadError(node.at, "this step cannot be read: steps are t, t+1, t-1, T, T-1 or a number")
            return None
        return found

    def fixed_step(self, node: Node) -> tuple[str | None, int]:
        """The step a script must name (a sum's bounds, the loss's step): raises ReadError if it is none."""
        step = self.step(node, strict=True)
        if step is None:
            raise ReadError(node.at, "this step cannot be read: steps are t, t+1, t-1, T, T-1 or a number")
        return step

    def _step(self, node: Node) -> tuple[str | None, int] | None:
        if node.scripts:
            return None
        if node.kind == "letter" and node.value in self.variables:
            return (node.value, 0)
        if node.kind == "number" and node.value.isdigit():
            return (None, int(node.value))
        if node.kind == "sum" and len(node.items) == 3 and node.items[1] in "+-":
            base, number = node.items[0], node.items[2]
            if (
                base.kind == "letter"
                and base.value in self.variables
                and number.kind == "number"
                and number.value.isdigit()
                and not number.scripts
            ):
                return (base.value, int(number.value) * (1 if node.items[1] == "+" else -1))
        return None

    def unknown_command(self, name: str) -> str:
        where = self.macros.get("\\" + name)
        if where is not None:
            return f"`\\{name}` is a macro (\\newcommand, {where}): macros are not read, write out what it stands for"
        if name in KNOWN:  # a command read elsewhere (\\prime after ^, \\top on v, \\partial in \\frac), not here
            return f"`\\{name}` cannot be read here"
        close = difflib.get_close_matches(name, KNOWN, n=1, cutoff=0.7)
        return f"unknown command `\\{name}`" + (f": did you mean `\\{close[0]}`?" if close else "")


def environment_message(name: str) -> str:
    if name in ("cases", "dcases", "rcases"):
        return (
            "the `cases` environment is not read: write one equation per case, such as "
            "\\overline{c^{(T)}} = … for the last step and \\overline{c^{(t)}} = … for the others"
        )
    return f"the `{name}` environment is not read here; use bmatrix, pmatrix or matrix"


def unwrap(node: Node) -> Node:
    """{h^{(t)}}, {\\mathbf{b}}_h: a group around one factor is that factor, with the group's scripts added."""
    while node.kind == "group" and len(node.items) == 1:
        inner = node.items[0]
        if (
            inner.kind == "term"
            and all(isinstance(i, Node) and i.kind == "cmd" and i.value in FONTS for i in inner.items[:-1])
            and isinstance(inner.items[-1], Node)
        ):
            inner = inner.items[-1]
        if inner.kind in ("sum", "term", "chain"):
            return node
        node = Node(inner.kind, inner.at, inner.value, inner.items, inner.scripts + node.scripts)
    return node


def _word(node: Node | None) -> str | None:
    """The letters of a subscript or a \\text-like argument: i, ix, tanh; None if not only letters."""
    if node is None:
        return None
    if node.kind == "group" and len(node.items) == 1:
        node = node.items[0]
    if node.kind == "letter" and not node.scripts:
        return node.value
    if node.kind == "term" and all(isinstance(i, Node) and i.kind == "letter" and not i.scripts for i in node.items):
        return "".join(i.value for i in node.items)
    return None


def _is_prime(node: Node) -> bool:
    return len(node.items) == 1 and node.items[0].kind == "cmd" and node.items[0].value == "prime"


def _differential(node: Node) -> list[Any] | None:
    """The items after ∂ or d in a fraction's part (\\partial L -> [L]); None if it is not a differential."""
    if node.kind != "group" or len(node.items) != 1:
        return None
    inner = node.items[0]
    items = inner.items if inner.kind == "term" else [inner]
    if len(items) > 2 and _is_font(items[0]) and _word(items[1]) == "d" and not items[1].scripts:
        items = [Node("letter", items[1].at, "d"), *items[2:]]  # \mathrm{d} L
    if len(items) < 2 or not isinstance(items[0], Node) or items[0].scripts:
        return None
    first = items[0]
    if (first.kind == "cmd" and first.value == "partial") or (first.kind == "letter" and first.value == "d"):
        return items[1:]
    return None


def _differential_mark(item: Any) -> str | None:
    """ "partial" for \\partial, "d" for a plain d: what starts a differential."""
    if (
        isinstance(item, Node)
        and not item.scripts
        and item.value in ("partial", "d")
        and item.kind in ("cmd", "letter")
    ):
        return item.value
    return None


def _is_font(item: Any) -> bool:
    return isinstance(item, Node) and item.kind == "cmd" and item.value in FONTS


def _strip_fonts(items: list[Any]) -> list[Any]:
    while len(items) > 1 and _is_font(items[0]):
        items = items[1:]
    return [unwrap(item) if isinstance(item, Node) else item for item in items]


def _mentions(node: Node, variables: list[str]) -> bool:
    if node.kind == "letter":
        return node.value in variables
    return any(_mentions(item, variables) for item in node.items if isinstance(item, Node))


def constant(value: Expr) -> Fraction | None:
    """The exact value of an expression without symbols, else None."""
    kind = value[0]
    if kind == "const":
        exact: Fraction = value[1]
        return exact
    if kind == "add":
        parts = [constant(part) for _, part in value[1]]
        return (
            None
            if None in parts
            else sum((sign * part for (sign, _), part in zip(value[1], parts, strict=True)), Fraction(0))
        )
    if kind == "mul":
        result = Fraction(1)
        for op, part in value[1]:
            number = constant(part)
            if number is None or (op == "/" and number == 0):
                return None
            result = result * number if op == "*" else result / number
        return result
    if kind == "pow":
        base = constant(value[1])
        if base is None or value[2].denominator != 1 or abs(value[2]) > 64 or (base == 0 and value[2] < 0):
            return None
        return base ** int(value[2])
    return None
