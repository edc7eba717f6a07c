"""The NGSI-LD query languages: entity type selection (clause 4.17), the Query Language (clause 4.9),
scope queries (clause 4.19) and entity selectors (id, idPattern, type).

Both are parsed into small trees of Python callables evaluated against stored (expanded) entities.
Grammar, as implemented (``;`` binds tighter than ``|``; ``,`` is a synonym of ``|`` in type expressions)::

    Query       = AndQuery *("|" AndQuery)
    AndQuery    = Factor *(";" Factor)
    Factor      = "(" Query ")" / "!" Attribute / QueryTerm
    QueryTerm   = Attribute [Operator Value]
    Operator    = "==" / "!=" / ">=" / "<=" / ">" / "<" / "~=" / "!~="
    Value       = Literal / Literal "," Literal *("," Literal) / Literal ".." Literal
    Attribute   = AttrName *("." AttrName) *("[" Key *("." Key) "]")

Literals: quoted strings, numbers, true/false, DateTime/Date/Time and URIs (unquoted).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .context import ActiveContext
from .errors import bad_request
from .model import ATTRIBUTE_TYPES, is_uri, parse_date, parse_datetime, parse_time

Predicate = Callable[[dict[str, Any]], bool]

# ------------------------------------------------------------------ type expressions


def parse_type_expression(text: str, ctx: ActiveContext) -> Predicate:
    """Entity type selection: ``A,B`` / ``A|B`` (or), ``A;B`` (and), parentheses."""
    if text is None or not text.strip():
        raise bad_request("empty entity type selection")
    if text.strip() == "*":
        return lambda entity: True
    tokens = re.findall(r"\(|\)|;|\||,|[^()|;,]+", text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos].strip() if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        token = tokens[pos].strip()
        pos += 1
        return token

    def parse_or() -> Predicate:
        parts = [parse_and()]
        while peek() in ("|", ","):
            take()
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else (lambda e: any(p(e) for p in parts))

    def parse_and() -> Predicate:
        parts = [parse_atom()]
        while peek() == ";":
            take()
            parts.append(parse_atom())
        return parts[0] if len(parts) == 1 else (lambda e: all(p(e) for p in parts))

    def parse_atom() -> Predicate:
        token = peek()
        if token is None:
            raise bad_request(f"incomplete entity type selection {text!r}")
        if token == "(":
            take()
            inner = parse_or()
            if peek() != ")":
                raise bad_request(f"unbalanced parentheses in entity type selection {text!r}")
            take()
            return inner
        if token in (")", ";", "|", ",") or not token:
            raise bad_request(f"invalid entity type selection {text!r}")
        take()
        if re.search(r"[\s<>\"'=]", token):
            raise bad_request(f"invalid entity type name {token!r}")
        iri = ctx.expand(token)
        return lambda e: iri in e["types"]

    result = parse_or()
    if pos != len(tokens):
        raise bad_request(f"invalid entity type selection {text!r}")
    return result


def type_names_in(text: str, ctx: ActiveContext) -> list[str]:
    return [ctx.expand(t.strip()) for t in re.split(r"[(),;|]", text) if t.strip() and t.strip() != "*"]


# ------------------------------------------------------------------------- q language

_OPERATORS = ("==", "!=", ">=", "<=", "~=", "!~=", ">", "<")
_MEMBER_PATHS = {"observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt", "objectType"}


@dataclass
class Literal:
    value: Any
    quoted: bool


@dataclass
class AttrPath:
    attr: str  # expanded attribute name
    subs: list[str]  # expanded sub-attribute names or member names
    keys: list[str]  # keys inside the value
    ctx: ActiveContext | None = None  # to compact VocabProperty values before comparing


def parse_q(text: str, ctx: ActiveContext) -> Predicate:
    parser = _QParser(text, ctx)
    predicate = parser.parse()
    return predicate


def q_attribute_names(text: str, ctx: ActiveContext) -> set[str]:
    """The expanded attribute names a (valid) q expression refers to."""
    parser = _QParser(text, ctx)
    parser.parse()
    return parser.names


class _QParser:
    def __init__(self, text: str, ctx: ActiveContext) -> None:
        if text is None or not text.strip():
            raise bad_request("empty q expression")
        self.text = text.strip()
        self.pos = 0
        self.ctx = ctx
        self.names: set[str] = set()

    def error(self, why: str) -> Exception:
        return bad_request(f"invalid q expression {self.text!r}: {why} (at position {self.pos})")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Predicate:
        result = self.parse_or()
        if self.pos != len(self.text):
            raise self.error("unexpected characters")
        return result

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while self.peek() == "|":
            self.pos += 1
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else (lambda e: any(p(e) for p in parts))

    def parse_and(self) -> Predicate:
        parts = [self.parse_factor()]
        while self.peek() == ";":
            self.pos += 1
            parts.append(self.parse_factor())
        return parts[0] if len(parts) == 1 else (lambda e: all(p(e) for p in parts))

    def parse_factor(self) -> Predicate:
        char = self.peek()
        if char == "(":
            self.pos += 1
            inner = self.parse_or()
            if self.peek() != ")":
                raise self.error("unbalanced parentheses")
            self.pos += 1
            return inner
        if (
            char == "!"
            and not self.text.startswith("!~=", self.pos)
            and not self.text.startswith("!=", self.pos)
        ):
            self.pos += 1
            path = self.parse_attribute()
            return lambda e: not _exists(e, path)
        path = self.parse_attribute()
        operator = self.parse_operator()
        if operator is None:
            return lambda e: _exists(e, path)
        if operator in ("~=", "!~="):
            pattern = self.parse_regex()
            negate = operator == "!~="
            return lambda e: _match_pattern(e, path, pattern, negate)
        raw = self.read_value()
        return _comparison(path, operator, raw, self)

    def parse_attribute(self) -> AttrPath:
        start = self.pos
        depth = 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
            elif depth == 0 and char in "=!<>~;|()":
                break
            self.pos += 1
        raw = self.text[start : self.pos].strip()
        if not raw:
            raise self.error("missing attribute name")
        if depth != 0:
            raise self.error("unbalanced brackets in attribute path")
        match = re.match(r"^([^\[\]]+)((?:\[[^\[\]]+\])*)$", raw)
        if not match:
            raise self.error(f"invalid attribute path {raw!r}")
        head, brackets = match.group(1), match.group(2)
        keys: list[str] = []
        for inner in re.findall(r"\[([^\[\]]+)\]", brackets):
            keys.extend(k for k in inner.split(".") if k)
        if "://" in head or head.startswith("urn:"):
            names = [head]
        else:
            names = head.split(".")
        if any(not n or re.search(r"[\s\"'<>]", n) for n in names):
            raise self.error(f"invalid attribute path {raw!r}")
        attr = self.ctx.expand(names[0])
        self.names.add(attr)
        subs = [n if n in _MEMBER_PATHS else self.ctx.expand(n) for n in names[1:]]
        return AttrPath(attr, subs, keys, self.ctx)

    def parse_operator(self) -> str | None:
        for operator in ("!~=", "==", "!=", ">=", "<=", "~=", ">", "<"):
            if self.text.startswith(operator, self.pos):
                self.pos += len(operator)
                return operator
        char = self.peek()
        if char in ("", ";", "|", ")"):
            return None
        raise self.error("unknown operator")

    def parse_regex(self) -> re.Pattern[str]:
        start = self.pos
        depth = 0
        in_class = False
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            if in_class:
                if char == "]":
                    in_class = False
            elif char == "[":
                in_class = True
            elif char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            elif char in ";" or (char == "|" and depth == 0):
                break
            self.pos += 1
        raw = self.text[start : self.pos]
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        if not raw:
            raise self.error("empty regular expression")
        try:
            return re.compile(raw)
        except re.error as exc:
            raise self.error(f"invalid regular expression: {exc}") from exc

    def read_value(self) -> str:
        start = self.pos
        in_quotes = False
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and in_quotes:
                self.pos += 2
                continue
            if char == '"':
                in_quotes = not in_quotes
            elif not in_quotes and char in ";|)":
                break
            self.pos += 1
        if in_quotes:
            raise self.error("unterminated string")
        raw = self.text[start : self.pos]
        if not raw:
            raise self.error("missing value")
        return raw


def _split_unquoted(raw: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    i = 0
    while i < len(raw):
        char = raw[i]
        if char == '"':
            in_quotes = not in_quotes
        if not in_quotes and raw.startswith(separator, i):
            parts.append("".join(current))
            current = []
            i += len(separator)
            continue
        current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _literal(raw: str, parser: _QParser) -> Literal:
    text = raw.strip()
    if not text:
        raise parser.error("empty value")
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise parser.error("badly quoted string")
        return Literal(text[1:-1].replace('\\"', '"'), True)
    if text in ("true", "false"):
        return Literal(text == "true", False)
    if re.match(r"^-?\d+$", text):
        return Literal(int(text), False)
    if re.match(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$", text):
        return Literal(float(text), False)
    if re.search(r"[\s\"'<>]", text):
        raise parser.error(f"invalid value {text!r}")
    return Literal(text, False)


def _comparison(path: AttrPath, operator: str, raw: str, parser: _QParser) -> Predicate:
    range_parts = _split_unquoted(raw, "..")
    list_parts = _split_unquoted(raw, ",")
    if len(range_parts) > 1:
        if len(range_parts) != 2 or operator not in ("==", "!="):
            raise parser.error("a range is only allowed with == or !=")
        low, high = _literal(range_parts[0], parser), _literal(range_parts[1], parser)
        negate = operator == "!="
        return lambda e: _test(e, path, lambda v: _in_range(v, low, high), negate)
    if len(list_parts) > 1:
        if operator not in ("==", "!="):
            raise parser.error("a value list is only allowed with == or !=")
        literals = [_literal(p, parser) for p in list_parts]
        negate = operator == "!="
        return lambda e: _test(e, path, lambda v: any(_compare(v, lit, "==") for lit in literals), negate)
    literal = _literal(raw, parser)
    if operator == "!=":
        return lambda e: _test(e, path, lambda v: _compare(v, literal, "=="), True)
    return lambda e: _test(e, path, lambda v: _compare(v, literal, operator), False)


# ----------------------------------------------------------------------- evaluation


def _instance_value(inst: dict[str, Any]) -> Any:
    attr_type = inst.get("type")
    if attr_type == "LanguageProperty":
        values: list[Any] = []
        for text in inst.get("languageMap", {}).values():
            values.extend(text if isinstance(text, list) else [text])
        return values
    return inst.get(ATTRIBUTE_TYPES.get(attr_type, "value") if isinstance(attr_type, str) else "value")


_MISSING = object()


def _targets(entity: dict[str, Any], path: AttrPath) -> list[Any]:
    """The values addressed by an attribute path (one per matching attribute instance)."""
    instances = entity["attrs"].get(path.attr)
    results: list[Any] = []
    if not instances:
        return results
    for inst in instances:
        current: Any = inst
        value: Any = _MISSING
        for index, sub in enumerate(path.subs):
            if sub in _MEMBER_PATHS and index == len(path.subs) - 1 and sub in current:
                value = current[sub]
                current = None
                break
            nested = current.get("subs", {}).get(sub)
            if not nested:
                current = None
                break
            current = nested[0]
        if current is None and value is _MISSING:
            continue
        if value is _MISSING and current.get("type") == "LanguageProperty" and path.keys:
            value = current.get("languageMap", {})  # clause 4.9: name[tag] selects one language
        if value is _MISSING:
            value = _instance_value(current)
            if current.get("type") == "VocabProperty" and path.ctx is not None:
                items = value if isinstance(value, list) else [value]
                value = [path.ctx.compact(v) for v in items] + list(items)
        for key in path.keys:
            if isinstance(value, dict) and key in value:
                value = value[key]
            elif isinstance(value, list) and re.match(r"^\d+$", key) and int(key) < len(value):
                value = value[int(key)]
            else:
                value = _MISSING
                break
        if value is not _MISSING:
            results.append(value)
    return results


def _exists(entity: dict[str, Any], path: AttrPath) -> bool:
    return bool(_targets(entity, path))


def _test(entity: dict[str, Any], path: AttrPath, check: Callable[[Any], bool], negate: bool) -> bool:
    targets = _targets(entity, path)
    if not targets:
        return False
    matched = any(_any_element(t, check) for t in targets)
    return not matched if negate else matched


def _any_element(value: Any, check: Callable[[Any], bool]) -> bool:
    if check(value):
        return True
    if isinstance(value, list):
        return any(check(item) for item in value)
    return False


def _coerce_pair(value: Any, literal: Literal) -> tuple[Any, Any] | None:
    lit = literal.value
    if isinstance(lit, bool) or isinstance(value, bool):
        if isinstance(lit, bool) and isinstance(value, bool):
            return value, lit
        return None
    if isinstance(lit, (int, float)):
        if isinstance(value, (int, float)):
            return value, lit
        if isinstance(value, dict) and isinstance(value.get("@value"), (int, float)):
            return value["@value"], lit
        return None
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    if not isinstance(value, str) or not isinstance(lit, str):
        return None
    for parse in (parse_datetime, parse_date, parse_time):
        lit_parsed = parse(lit)
        if lit_parsed is not None:
            val_parsed = parse(value)
            if val_parsed is not None:
                return val_parsed, lit_parsed
            break
    return value, lit


def _compare(value: Any, literal: Literal, operator: str) -> bool:
    pair = _coerce_pair(value, literal)
    if pair is None:
        return False
    left, right = pair
    try:
        if operator == "==":
            return bool(left == right)
        if operator == ">":
            return bool(left > right)
        if operator == ">=":
            return bool(left >= right)
        if operator == "<":
            return bool(left < right)
        if operator == "<=":
            return bool(left <= right)
    except TypeError:
        return False
    return False


def _in_range(value: Any, low: Literal, high: Literal) -> bool:
    return _compare(value, low, ">=") and _compare(value, high, "<=")


def _match_pattern(entity: dict[str, Any], path: AttrPath, pattern: re.Pattern[str], negate: bool) -> bool:
    targets = _targets(entity, path)
    if not targets:
        return False

    def check(v: Any) -> bool:
        return isinstance(v, str) and pattern.search(v) is not None

    matched = any(_any_element(t, check) for t in targets)
    return not matched if negate else matched


# ------------------------------------------------------------------------ id helpers


def parse_id_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise bad_request(f"invalid idPattern {pattern!r}: {exc}") from exc


def parse_attrs_param(raw: str | None, ctx: ActiveContext) -> list[str] | None:
    if raw is None:
        return None
    names = [a.strip() for a in raw.split(",") if a.strip()]
    if not names:
        raise bad_request("empty attrs parameter")
    for name in names:
        if re.search(r"[\s<>\"'=;()]", name):
            raise bad_request(f"invalid attribute name {name!r} in attrs")
    return [ctx.expand(n) for n in names]


# ------------------------------------------------------------------- scope and selectors


def scope_predicate(scope_q: str) -> Predicate:
    """Scope query (clause 4.19): ``/a/b``, ``/a/+`` (one level), ``/a/#`` (descendants), ``;`` and ``,``."""
    if not scope_q.strip():
        raise bad_request("empty scopeQ")
    alternatives = []
    for alternative in scope_q.split(","):
        conjunction = []
        for term in alternative.split(";"):
            term = term.strip().strip("()")
            if not term.startswith("/"):
                raise bad_request(f"invalid scopeQ term {term!r}")
            conjunction.append(_scope_regex(term))
        alternatives.append(conjunction)

    def check(entity: dict[str, Any]) -> bool:
        scopes = entity.get("scope") or []
        return any(all(any(r.match(s) for s in scopes) for r in conj) for conj in alternatives)

    return check


def _scope_regex(term: str) -> re.Pattern[str]:
    if term == "/#":
        return re.compile(r"^/.*$")
    parts = term.strip("/").split("/")
    pattern = ""
    for part in parts:
        if part == "#":
            pattern += r"(/.*)?"
        elif part == "+":
            pattern += r"/[^/]+"
        else:
            pattern += "/" + re.escape(part)
    return re.compile("^" + pattern + "$")


def selector_predicate(
    ids: list[str] | None, id_pattern: str | None, type_expr: str | None, ctx: ActiveContext
) -> Predicate:
    checks: list[Predicate] = []
    if ids:
        for entity_id in ids:
            if not is_uri(entity_id):
                raise bad_request(f"invalid entity id {entity_id!r}")
        wanted = set(ids)
        checks.append(lambda e: e["id"] in wanted)
    elif id_pattern is not None:
        regex = parse_id_pattern(id_pattern)
        checks.append(lambda e: regex.search(e["id"]) is not None)
    if type_expr is not None:
        checks.append(parse_type_expression(type_expr, ctx))
    return lambda e: all(c(e) for c in checks)
