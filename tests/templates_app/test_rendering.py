"""Template variables: finding, rendering (escaping, missing names, single pass), TemplateData."""

import math
from decimal import Decimal

import pytest

from templates_app.variables import (
    PLACEHOLDER,
    BadTemplateData,
    MissingVariables,
    find_variables,
    parse_template_data,
    render,
)


def test_placeholders_allow_spaces_and_word_characters_only():
    assert PLACEHOLDER.findall("{{a}} {{ b_2 }} {{\tC3\t}}") == ["a", "b_2", "C3"]
    assert PLACEHOLDER.findall("{{first-name}} {{}} {{ a b }} {a} {{ é }}") == []


def test_find_variables_is_ordered_and_unique_across_parts():
    assert find_variables("<p>{{b}} {{a}} {{ b }}</p>", "{{c}} {{a}}", "") == ["b", "a", "c"]
    assert find_variables() == []


def test_names_are_case_sensitive():
    assert find_variables("{{Name}} {{name}}") == ["Name", "name"]
    with pytest.raises(MissingVariables) as caught:
        render("Hi {{Name}}", "", {"name": "Ana"})
    assert caught.value.names == ("Name",)


def test_values_are_escaped_in_html_but_not_in_text():
    value = "<b>\"Tom\" & 'Jerry'</b>"
    html, text = render('<p title="{{who}}">{{ who }}</p>', "Hi {{who}}", {"who": value})
    escaped = "&lt;b&gt;&quot;Tom&quot; &amp; &#x27;Jerry&#x27;&lt;/b&gt;"
    assert html == f'<p title="{escaped}">{escaped}</p>'
    assert text == f"Hi {value}"


def test_missing_variables_are_all_named_sorted():
    with pytest.raises(MissingVariables) as caught:
        render("{{zeta}} {{alpha}} {{known}}", "{{beta}} {{zeta}}", {"known": "x"})
    assert caught.value.names == ("alpha", "beta", "zeta")
    assert str(caught.value) == "Missing template variables: alpha, beta, zeta."
    assert isinstance(caught.value, ValueError)


def test_extra_keys_are_ignored():
    data = {"name": "Ana", "unused": "x", "odd": [1, 2]}
    assert render("<p>{{name}}</p>", "{{name}}", data) == ("<p>Ana</p>", "Ana")


def test_rendering_is_single_pass():
    html, text = render("{{a}} {{b}}", "{{a}}", {"a": "{{b}}", "b": "B"})
    assert html == "{{b}} B"
    assert text == "{{b}}"


def test_numbers_become_text():
    data = {"n": 42, "x": 2.5, "d": Decimal("9.90")}
    assert render("{{n}} {{x}} {{d}}", "{{n}}", data) == ("42 2.5 9.90", "42")


@pytest.mark.parametrize("value", [None, True, [1], {"a": 1}, math.nan, math.inf, b"x"])
def test_other_values_are_refused(value):
    with pytest.raises(BadTemplateData, match="'name' must be a string or a number"):
        render("Hi {{name}}", "", {"name": value})


def test_empty_parts_render_empty():
    assert render("", "Plain {{a}}", {"a": "A"}) == ("", "Plain A")


@pytest.mark.parametrize("raw", ["", "   ", "{}", None])
def test_empty_template_data_is_no_data(raw):
    assert parse_template_data(raw) == {}


def test_template_data_keeps_strings_and_numbers():
    raw = '{"name": "Ana", "count": 3, "price": 9.5, "note": "{{x}}"}'
    assert parse_template_data(raw) == {"name": "Ana", "count": 3, "price": 9.5, "note": "{{x}}"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"a": 1,}', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        ("3", "must be a JSON object"),
        ('{"a": null}', "'a' must be a string or a number, not null"),
        ('{"a": true}', "'a' must be a string or a number, not a boolean"),
        ('{"a": [1]}', "'a' must be a string or a number, not an array"),
        ('{"a": {"b": "c"}}', "'a' must be a string or a number, not an object"),
        ('{"a": NaN}', "NaN is not allowed"),
        ('{"a": Infinity}', "Infinity is not allowed"),
        ('{"a": 1e999}', "not a non-finite number"),
    ],
)
def test_bad_template_data_is_refused(raw, message):
    with pytest.raises(BadTemplateData, match=message) as caught:
        parse_template_data(raw)
    assert caught.value.message == str(caught.value)


def test_template_data_must_be_a_string():
    with pytest.raises(BadTemplateData):
        parse_template_data({"a": "b"})
