"""The expression sandbox, written as its specification.

Designer code (gateway conditions, script tasks, timer/assignee expressions, DMN cells)
runs in a tree-walking interpreter over a checked AST. These tests show what it refuses
(and that it refuses quickly, with the right error class and a message a designer can
act on, leaving the process intact), what it allows, and how errors are reported.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flowdesk.engine.errors import FlowdeskError
from flowdesk.engine.expressions import (
    DEFAULT_LIMITS,
    EvaluationError,
    ExpressionError,
    ExpressionSyntaxError,
    Limits,
    ResourceLimitExceeded,
    SandboxViolation,
    check,
    evaluate,
    execute,
)


def refused(kind: type[ExpressionError], match: str, run, *args) -> ExpressionError:
    """Runs `run(*args)`, which must raise `kind` with a message matching `match`.

    How fast a refusal is belongs to the benchmarks, not here (timed unit tests fail on
    a busy machine); that it is a refusal by the budget or a size check, rather than a
    computation that happened to finish, is what the error class says."""
    with pytest.raises(kind, match=match) as info:
        run(*args)
    return info.value


# ---------------------------------------------------------------------------------------
# Escapes: everything that leads from an expression to Python's internals is refused.
# ---------------------------------------------------------------------------------------

ESCAPES = [
    # the classic: walk from a literal to object.__subclasses__()
    ("().__class__.__bases__[0].__subclasses__()", "'__subclasses__' is not allowed: names starting with '_'"),
    ("x.__class__", "access to '__class__' is not allowed: names starting with '_' are private"),
    ("(lambda: 0).__code__", "access to '__code__' is not allowed"),
    ("f'{x.__class__}'", "access to '__class__' is not allowed"),
    ("x._private", "access to '_private' is not allowed"),
    ("__import__('os')", "'__import__' is not available in expressions: expressions cannot import modules"),
    ("__builtins__", "'__builtins__' is not allowed: names starting with '__' are reserved"),
    ("getattr(x, '__globals__')", "'getattr' is not available in expressions"),
    ("type(1)", "'type' is not available in expressions: use isinstance"),
    ("open('/etc/passwd')", "'open' is not available in expressions: expressions cannot use files"),
    ("eval('1')", "'eval' is not available"),
    ("vars()", "'vars' is not available"),
    # str.format reaches attributes through its replacement fields
    ("'{0.__class__}'.format(x)", r"str\.format\(\) is not allowed .* use an f-string instead"),
    ("'{a.__init__}'.format_map({'a': 1})", r"str\.format_map\(\) is not allowed"),
    ("text.format(x)", r"str\.format\(\) is not allowed"),  # caught at run time too
    # attributes are an allow list per type
    ("(lambda: 0).gi_frame", "attributes of SandboxFunction values cannot be read"),
    ("x.real", "attributes of int values cannot be read"),
    ("str.upper", "'str.upper' is not available"),
    ("text.encode('utf-8')", "'str.encode' is not available"),
    ("d.keys().mapping", "attributes of dict_keys values cannot be read"),
    ("b'bytes'", "bytes literals are not supported"),
    ("[1] @ [2]", "the '@' operator is not supported"),
]


@pytest.mark.parametrize(("source", "message"), ESCAPES)
def test_escapes_are_refused(source: str, message: str) -> None:
    refused(SandboxViolation, message, evaluate, source, {"x": 1, "text": "{0}", "d": {}})


def test_forbidden_names_are_refused_when_checked_not_only_when_run() -> None:
    for source in ("().__class__", "__import__('os')", "type(1)", "open('x')", "'{0}'.format(1)"):
        refused(SandboxViolation, "not", check, source)


def test_a_variable_may_be_called_like_a_forbidden_builtin() -> None:
    # Task data often has keys like 'type' or 'input'; only *calling* those names is refused.
    assert evaluate("type == 'invoice'", {"type": "invoice"}) is True
    refused(SandboxViolation, "'type' is not available", evaluate, "type", {})


SCRIPTS_REFUSED = [
    ("import os", "import is not allowed"),
    ("from os import path", "import is not allowed"),
    ("def f(): pass", "defining functions with 'def' is not allowed"),
    ("class A: pass", "defining classes is not allowed"),
    ("with open('x'): pass", "'with' blocks are not allowed"),
    ("try:\n    x = 1\nexcept Exception:\n    pass", "'try' blocks are not allowed"),
    ("raise ValueError()", "'raise' is not allowed; use 'assert"),
    ("global x", "'global' is not allowed"),
    ("return 1", "'return' is not allowed at the top level"),
    ("x = 1\nx.attr = 2", r"changing attributes is not allowed; for a dict assign a key instead: x\['attr'\]"),
    ("del x.attr", "deleting attributes is not allowed"),
    ("x = lambda: (yield)", "'yield' is not allowed"),
    ("match x:\n    case 1:\n        pass", "'match' statements are not supported"),
]


@pytest.mark.parametrize(("script", "message"), SCRIPTS_REFUSED)
def test_statements_outside_the_allowed_set_are_refused(script: str, message: str) -> None:
    variables = {"x": 1}
    refused(SandboxViolation, message, execute, script, variables)
    assert variables == {"x": 1}  # refused before anything ran


def test_break_outside_a_loop_is_a_syntax_error() -> None:
    refused(ExpressionSyntaxError, "'break' outside a loop", check, "break", "exec")


# ---------------------------------------------------------------------------------------
# Resources: time is a step budget, sizes are checked before they are built.
# ---------------------------------------------------------------------------------------

BUDGET = "the operation budget of 200000 steps was exhausted \\(an endless loop\\?\\)"


@pytest.mark.parametrize("script", ["while True: pass", "while True: x = 1", "while True:\n    x = [1, 2]"])
def test_an_endless_loop_exhausts_the_step_budget(script: str) -> None:
    # a deadline far away, so that the budget refuses however busy the machine is
    unhurried = dataclasses.replace(DEFAULT_LIMITS, max_seconds=120)
    error = refused(ResourceLimitExceeded, BUDGET, execute, script, {}, unhurried)
    assert error.line == 1 or error.line == 2


def test_the_budget_counts_comprehension_items_and_lambda_bodies() -> None:
    small = Limits(max_operations=1_000)
    assert evaluate("sum([x for x in range(100)])", {}, small) == 4950
    refused(ResourceLimitExceeded, "budget of 1000 steps", evaluate, "[x for x in range(2000)]", {}, small)
    refused(ResourceLimitExceeded, "budget of 1000 steps", evaluate, "sorted(range(900), key=lambda x: -x)", {}, small)


def test_bulk_work_in_builtins_is_charged_to_the_budget() -> None:
    # One node, but a million characters: charged by size, so it cannot be repeated cheaply.
    loop = "n = 0\nwhile True:\n    s = 'x' * 1000000\n    n += 1"
    variables: dict = {}
    refused(ResourceLimitExceeded, BUDGET, execute, loop, variables)
    assert variables["n"] < 50


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("10**10**10", "10 \\*\\* 10000000000 would exceed the integer size limit of 8192 bits"),
        ("2 ** 100000", "would exceed the integer size limit"),
        ("1 << 10**10", "1 << 10000000000 would exceed the integer size limit"),
        ("(10**2000) * (10**2000)", "would exceed the integer size limit"),
        ("[0] * 10**9", "a list of 1 item \\* 1000000000 would have 1,000,000,000 items, more than the limit"),
        ("'a' * 10**9", "'a' \\* 1000000000 would be a text of 1,000,000,000 characters, more than the limit"),
        ("range(10**9)", "range\\(1000000000\\) would have 1,000,000,000 items"),
        ("'-'.join(['x' * 100000] * 100)", "the joined text would be a text of"),
        ("'ab'.replace('b', 'x' * 1000) * 1000", "would be a text of"),
        ("'x'.center(10**9)", "the padded text would be a text of 1,000,000,000 characters"),
        ("f'{1:>999999999}'", "a width of 999999999"),
        ("format(1.5, '.999999999f')", "a precision of 999999999"),
        ("'%999999999d' % 1", "a width of 999999999"),
        ("'%(a)s' * 100000 % {'a': 'x' * 1000}", "the formatted text would be a text of"),
        ("format(Decimal('1e999999999'), 'f')", "the formatted number would be a text of"),
        ("int(Decimal('1e999999999'))", "would exceed the integer size limit"),
        ("int('9' * 5000)", "would exceed the integer size limit"),
        ("round(5, -10**9)", "beyond the integer size limit"),
        ("sum([[0] * 1000] * 1000, [])", "would have 1,000,000 items"),
        ("datetime(2024, 1, 1).strftime('%c' * 100000)", "the date format would be a text of"),
    ],
)
def test_sizes_are_refused_before_they_are_computed(source: str, message: str) -> None:
    refused(ResourceLimitExceeded, message, evaluate, source, {})


def test_float_overflow_is_an_ordinary_evaluation_error() -> None:
    error = refused(EvaluationError, "a number is too large", evaluate, "2.0 ** 100000", {})
    assert isinstance(error.__cause__, OverflowError)


def test_shared_nested_data_cannot_explode_in_c() -> None:
    # t = (t, t) doubled 60 times is 121 objects in memory but 2**60 items to hash, compare
    # or print; the meter walks it first and refuses.
    doubled = "t = (0,)\nfor i in range(60):\n    t = (t, t)\n"
    for use in ("s = {t}", "same = t == (t[0], t[1])", "text = str(t)", "d = {t: 1}"):
        refused(ResourceLimitExceeded, "too large|nested more than", execute, doubled + use, {})
    refused(
        ResourceLimitExceeded,
        "too large",
        evaluate,
        "str([[[[0] * 100] * 100] * 100] * 100)",
        {},
    )


def test_deep_nesting_is_refused_before_c_recursion() -> None:
    # Hashing a tuple nested a million levels deep overflows the C stack.
    nest = "t = ()\nfor i in range(150):\n    t = (t,)\n"
    refused(ResourceLimitExceeded, "nested more than 100 levels", execute, nest + "s = {t}", {})


def test_data_that_would_explode_when_saved_is_refused() -> None:
    # Small in memory, 10**10 items as JSON: the variables are checked when the script ends.
    bomb = "a = []\nb = [a] * 100000\nc = [b] * 100000\na.extend(range(100000))"
    refused(ResourceLimitExceeded, "repeats the same lists or dicts so often", execute, bomb, {})
    refused(EvaluationError, "the variable 'a' contains itself", execute, "a = []\na.append(a)", {})


def test_the_limits_can_be_tightened_per_call() -> None:
    tight = Limits(max_string_length=10, max_collection_length=5, max_int_bits=16, max_depth=3)
    refused(ResourceLimitExceeded, "more than the limit of 10", evaluate, "'a' * 11", {}, tight)
    refused(ResourceLimitExceeded, "more than the limit of 5", evaluate, "list(range(6))", {}, tight)
    refused(ResourceLimitExceeded, "limit of 16 bits", evaluate, "2 ** 20", {}, tight)
    refused(ResourceLimitExceeded, "a number in the code has 20 bits", evaluate, "1000000", {}, tight)
    refused(ResourceLimitExceeded, "more than 3 levels deep", evaluate, "(f := lambda n: f(n + 1))(0)", {}, tight)
    assert Limits() == DEFAULT_LIMITS
    with pytest.raises(ValueError, match="max_operations must be a positive integer"):
        Limits(max_operations=0)


# ---------------------------------------------------------------------------------------
# Lambdas and other functions stay inside.
# ---------------------------------------------------------------------------------------


def test_recursion_through_lambdas_hits_the_depth_limit() -> None:
    message = "lambdas called each other more than 50 levels deep \\(endless recursion\\?\\)"
    refused(ResourceLimitExceeded, message, execute, "f = lambda f: f(f)\nf(f)", {})
    refused(ResourceLimitExceeded, message, evaluate, "(lambda f: f(f))(lambda f: f(f))", {})


def test_a_lambda_assigned_to_a_variable_is_a_helper_and_is_dropped() -> None:
    variables = {"rows": [{"d": 2}, {"d": 1}]}
    execute("by_day = lambda r: r['d']\nrows.sort(key=by_day)\nf = lambda: 0", variables)
    assert variables == {"rows": [{"d": 1}, {"d": 2}]}
    execute("s = str\nm = rows.append", variables)  # sandbox builtins and methods likewise
    assert set(variables) == {"rows"}


def test_a_function_stored_in_data_or_returned_is_refused() -> None:
    refused(SandboxViolation, "contains a function", execute, "handlers = {'a': lambda: 1}", {})
    refused(SandboxViolation, "the result is a function", evaluate, "lambda: 0", {})
    refused(SandboxViolation, "the result is a function", evaluate, "[].append", {})


# ---------------------------------------------------------------------------------------
# A refusal does not harm the process.
# ---------------------------------------------------------------------------------------


def test_after_a_refusal_everything_works_as_before() -> None:
    names = {"amount": 1500}
    for source in ("10**10**10", "().__class__", "(lambda f: f(f))(lambda f: f(f))"):
        with pytest.raises(ExpressionError):
            evaluate(source, names)
    with pytest.raises(ExpressionError):
        execute("while True: pass", {})
    assert names == {"amount": 1500}
    assert evaluate("amount > 1000", names) is True
    assert evaluate("sorted(['b', 'a'], key=str)", {}) == ["a", "b"]


def test_runs_in_threads_do_not_share_their_budgets() -> None:
    results: dict[str, object] = {}

    def endless() -> None:
        try:
            execute("while True: pass", {})
        except ResourceLimitExceeded as exc:
            results["endless"] = exc

    def ordinary() -> None:
        results["ordinary"] = [evaluate("sum(sorted(range(100), key=str))", {}) for _ in range(50)]

    threads = [threading.Thread(target=endless), threading.Thread(target=ordinary)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert isinstance(results["endless"], ResourceLimitExceeded)
    assert results["ordinary"] == [4950] * 50


# ---------------------------------------------------------------------------------------
# check(): deploy-time validation with line numbers, cached.
# ---------------------------------------------------------------------------------------


def test_check_reports_the_line_of_the_problem() -> None:
    error = refused(SandboxViolation, "import is not allowed", check, "x = 1\ny = 2\nimport os", "exec")
    assert error.line == 3
    assert str(error) == "line 3: import is not allowed in expressions and scripts"
    error = refused(ExpressionSyntaxError, "does not parse", check, "amount >", "eval")
    assert error.line == 1
    error = refused(ExpressionSyntaxError, "does not parse", check, "\n\n  amount > > 1\n", "eval")
    assert error.line == 3  # whitespace around a condition from XML keeps its line numbers
    refused(ExpressionSyntaxError, "the code is empty", check, "   ")


def test_check_accepts_what_can_run_and_is_cached() -> None:
    from flowdesk.engine.expressions import validate

    source = "amount > 1000 and status == 'open' and cached_once"
    before = validate._load_cached.cache_info().hits
    for _ in range(3):
        check(source)
        evaluate(source, {"amount": 1, "status": "x", "cached_once": True})
    assert validate._load_cached.cache_info().hits >= before + 5
    check("\n    total = 0\n    for x in items:\n        total += x\n", "exec")  # indented script
    with pytest.raises(ValueError, match="mode must be"):
        check("1", "single")


def test_deeply_nested_code_is_refused_when_checked() -> None:
    refused(ResourceLimitExceeded, "nested more than 100 levels", check, "-" * 150 + "1")
    elifs = "x = 0\nif x == 1:\n    y = 1\n" + "".join(f"elif x == {i}:\n    y = {i}\n" for i in range(2, 300))
    check(elifs, "exec")  # a long elif chain is flat in the text, so it is fine


# ---------------------------------------------------------------------------------------
# Errors of the code itself.
# ---------------------------------------------------------------------------------------


def test_runtime_errors_are_evaluation_errors_with_the_original_as_cause() -> None:
    cases = [
        ("missing > 1", "name 'missing' is not defined", NameError),
        ("1 / 0", "division by zero", ZeroDivisionError),
        ("order['total']", "key 'total' was not found", KeyError),
        ("order.total", "the dict has no key 'total'", AttributeError),
        ("[1][5]", "list index out of range", IndexError),
        ("int('x')", "invalid literal for int", ValueError),
        ("'a' + 1", "can only concatenate str", TypeError),
    ]
    for source, message, cause in cases:
        error = refused(EvaluationError, message, evaluate, source, {"order": {}})
        assert isinstance(error.__cause__, cause)
        assert error.source == source and error.line == 1


def test_errors_carry_source_line_and_http_mapping() -> None:
    script = "x = 1\ny = 2\nz = x / (y - 2)\n"
    error = refused(EvaluationError, "division by zero", execute, script, {})
    assert (error.source, error.line, error.detail) == (script, 3, "division by zero")
    assert str(error) == "line 3: division by zero"
    assert isinstance(error, FlowdeskError)
    assert (error.status, error.slug) == (422, "expression-error")
    failing = "assert -1 > 0, 'total must be positive'"
    refused(EvaluationError, "assertion failed: total must be positive", execute, failing, {})


def test_a_failed_script_keeps_what_it_changed_before_failing() -> None:
    variables = {"a": 1}
    with pytest.raises(EvaluationError):
        execute("a = 2\nb = 1 / 0", variables)
    assert variables == {"a": 2}


# ---------------------------------------------------------------------------------------
# What designers can write.
# ---------------------------------------------------------------------------------------


def test_arithmetic_with_decimal() -> None:
    names = {"price": Decimal("19.99"), "qty": 3}
    assert evaluate("price * qty", names) == Decimal("59.97")
    assert evaluate("(price / 3).quantize(Decimal('0.01'), rounding='ROUND_HALF_UP')", names) == Decimal("6.66")
    assert evaluate("price * qty > 50 and Decimal('0.1') + Decimal('0.2') == Decimal('0.3')", names) is True
    refused(EvaluationError, "division by zero", evaluate, "Decimal(1) / Decimal(0)", {})


def test_dates_and_times() -> None:
    names = {"due": date(2024, 5, 1), "created": datetime(2024, 5, 1, 12, tzinfo=UTC)}
    assert evaluate("due < date(2024, 6, 1)", names) is True
    assert evaluate("(date(2024, 6, 1) - due).days", names) == 31
    assert evaluate("due + timedelta(days=30)", names) == date(2024, 5, 31)
    assert evaluate("created.astimezone(timezone.utc).isoformat()", names) == "2024-05-01T12:00:00+00:00"
    assert evaluate("f'{due:%d.%m.%Y}' == due.strftime('%d.%m.%Y')", names) is True
    assert evaluate("date.fromisoformat('2024-02-29').weekday()", {}) == 3
    assert evaluate("datetime.now(timezone.utc) > created", names) is True
    assert evaluate("timedelta(hours=1).total_seconds()", {}) == 3600.0


def test_comprehensions_and_builtins() -> None:
    lines = [{"quantity": 2, "unit_price": Decimal("1.50")}, {"quantity": 1, "unit_price": Decimal("0.25")}]
    assert evaluate("sum(l['quantity'] * l['unit_price'] for l in lines)", {"lines": lines}) == Decimal("3.25")
    assert evaluate("[x * x for x in range(5) if x % 2]", {}) == [1, 9]
    assert evaluate("{k: v for k, v in zip('ab', [1, 2])}", {}) == {"a": 1, "b": 2}
    assert evaluate("{n % 3 for n in range(10)}", {}) == {0, 1, 2}
    assert evaluate("[(i, c) for i, c in enumerate('ab')]", {}) == [(0, "a"), (1, "b")]
    assert evaluate("any(x > 2 for x in [1, 3]) and all([1, 'a'])", {}) is True
    assert evaluate("list(map(str, [1, 2])), list(filter(None, [0, 1])), list(reversed([1, 2]))", {}) == (
        ["1", "2"],
        [1],
        [2, 1],
    )
    assert evaluate("max([3, 1, 2]), min(3, 1, 2), abs(-2), divmod(7, 2), round(2.567, 2)", {}) == (
        3,
        1,
        2,
        (3, 1),
        2.57,
    )
    assert evaluate("isinstance(x, (int, float)) and not isinstance(x, str)", {"x": 1}) is True
    assert evaluate("len(set([1, 1, 2])), tuple([1]), dict(a=1), bool(0), float('1.5')", {}) == (
        2,
        (1,),
        {"a": 1},
        False,
        1.5,
    )


def test_methods_of_strings_lists_dicts_and_sets() -> None:
    assert evaluate("' A,b '.strip().lower().split(',')", {}) == ["a", "b"]
    assert evaluate("'-'.join(['a', 'b']).upper().replace('-', '+').zfill(5)", {}) == "00A+B"
    assert evaluate("d.get('a', 0) + d.get('z', 10)", {"d": {"a": 1}}) == 11
    assert evaluate("sorted(d.keys()), list(d.values()), list(d.items())", {"d": {"b": 2, "a": 1}}) == (
        ["a", "b"],
        [2, 1],
        [("b", 2), ("a", 1)],
    )
    assert evaluate("{1, 2}.union([3]).issuperset({1})", {}) is True
    assert evaluate("(1, 2, 2).count(2) + [5, 6].index(6)", {}) == 3


def test_a_dict_key_can_be_read_with_a_dot() -> None:
    order = {"total": 600, "items": [1, 2], "customer": {"name": "ACME"}}
    assert evaluate("order.total >= 500 and order.customer.name == 'ACME'", {"order": order}) is True
    # reading takes the key, calling takes the dict method
    assert evaluate("order.items", {"order": order}) == [1, 2]
    assert evaluate("[k for k, v in order.items()]", {"order": order}) == ["total", "items", "customer"]


def test_f_strings_with_format_specs_and_printf() -> None:
    names = {"amount": 1234.5, "name": "Ada", "width": 8, "price": Decimal("19.9")}
    assert evaluate("f'{name!r}: {amount:,.2f} EUR'", names) == "'Ada': 1,234.50 EUR"
    assert evaluate("f'[{name:>{width}}]'", names) == "[     Ada]"
    assert evaluate("f'{price:.2f}'", names) == "19.90"
    assert evaluate("format(amount, '.0f')", names) == "1234"  # banker's rounding, as in Python
    assert evaluate("'%s owes %.2f' % (name, amount)", names) == "Ada owes 1234.50"
    assert evaluate("'%(name)s' % {'name': name}", names) == "Ada"


def test_walrus_and_lambdas() -> None:
    assert evaluate("(n := 4) * n", {}) == 16
    assert evaluate("[y := x for x in range(3)] and y", {}) == 2  # binds outside the comprehension
    rows = [{"name": "b", "n": 2}, {"name": "a", "n": 1}]
    assert evaluate("[r['name'] for r in sorted(rows, key=lambda r: r['n'])]", {"rows": rows}) == ["a", "b"]
    assert evaluate("(lambda a, b=2, *c, d=4, **e: (a, b, c, d, e))(1, 3, 5, d=6, f=7)", {}) == (
        1,
        3,
        (5,),
        6,
        {"f": 7},
    )
    # closures see the enclosing scope
    assert evaluate("(lambda k: list(map(lambda x: x * k, [1, 2])))(10)", {}) == [10, 20]
    names = {"x": 1}
    evaluate("(x := 5)", names)
    assert names == {"x": 1}  # evaluate never writes into the names it was given


def test_a_script_mutates_the_variables_in_place() -> None:
    variables = {
        "text": "a b a c",
        "order": {"lines": [{"qty": 1, "price": 10}, {"qty": 3, "price": 1}]},
    }
    execute(
        """
counts = {}
for word in text.split():
    counts[word] = counts.get(word, 0) + 1
order['lines'][0]['qty'] += 2
order['total'] = sum(l['qty'] * l['price'] for l in order['lines'])
a, b = 1, 2
a, b = b, a
first, *rest = [1, 2, 3]
limit: int = 5
found = None
for i in range(10):
    if i == 3:
        found = i
        break
else:
    found = -1
n = 0
while n < limit:
    n += 1
    if n % 2:
        continue
else:
    done = True
tmp = [1, 2, 3]
del tmp[0], counts['c']
labels = [f"{line['qty']:03d}" for line in order['lines']]
assert found == 3
""",
        variables,
    )
    assert variables["counts"] == {"a": 2, "b": 1}
    assert variables["order"] == {"lines": [{"qty": 3, "price": 10}, {"qty": 3, "price": 1}], "total": 33}
    assert (variables["a"], variables["b"], variables["first"], variables["rest"]) == (2, 1, 1, [2, 3])
    assert (variables["found"], variables["n"], variables["done"], variables["tmp"]) == (3, 5, True, [2, 3])
    assert variables["labels"] == ["003", "003"]
    assert "word" in variables and "i" in variables  # loop variables are variables, as in Python
    assert "line" not in variables  # comprehension variables are not


# ---------------------------------------------------------------------------------------
# Property: on arithmetic the sandbox agrees with Python.
# ---------------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
strategies = pytest.importorskip("hypothesis.strategies")

_numbers = strategies.integers(min_value=-50, max_value=50).map(lambda n: f"({n})")
_expressions = strategies.recursive(
    _numbers,
    lambda inner: strategies.one_of(
        strategies.tuples(inner, strategies.sampled_from(["+", "-", "*", "//", "%", "<", "==", "&", "|"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda e: f"(-{e})"),
        # powers of literals only, so that nesting cannot build numbers over the size limit
        strategies.tuples(_numbers, strategies.integers(min_value=0, max_value=3)).map(
            lambda t: f"({t[0]} ** {t[1]})"
        ),
    ),
    max_leaves=12,
)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(_expressions)
def test_arithmetic_agrees_with_python(source: str) -> None:
    try:
        expected = eval(source, {"__builtins__": {}})  # the reference; the sandbox must not need it
    except ZeroDivisionError:
        with pytest.raises(EvaluationError, match="by zero"):
            evaluate(source, {})
        return
    assert evaluate(source, {}) == expected
