"""A GUI app's theme (host/gui/theme.py): the default theme's colours and roles, the app's own
colours in Anvil's theme/parameters.yaml (checked on save, every problem at once with its
place), the colours as CSS variables, and the theme assets served at /_/theme/."""

from __future__ import annotations

import base64

import pytest

from widgetbox.host.gui import design, theme
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.unit

PARAMETERS = theme.PARAMETERS
TEMPLATE = "client_code/Form1/form_template.yaml"

# as Anvil writes it: roles, presets (one with a colour Anvil itself ships broken), the colours
ANVIL_PARAMETERS = """\
roles:
- name: filled-button
  components: [Button, FileLoader]
  display_in_toolbox: true
  title: Filled Button
- {name: my-own-role, components: null}
color_scheme:
  preset_groups:
  - name: Colour Scheme
    options:
    - name: Dark
      colors:
      - {name: Primary, color: '##DAE2FF'}
  colors:
  - {name: Primary, color: '#00897B'}
  - {name: On Primary, color: white}
  - {name: Surface Variant, color: 'rgba(0, 0, 0, 0.05)'}
  - {name: Brand Accent, color: 'hsl(200 80% 40%)'}
"""


def app(**extra: str) -> dict[str, str]:
    return {**TEMPLATES["gui"], **extra}


def problems(text: str) -> list[tuple[str, str]]:
    return [(found.where, found.problem) for found in theme.problems({PARAMETERS: text})]


# -- the default theme ----------------------------------------------------------------------------


def test_the_default_theme_has_anvils_material_3_roles_and_colours() -> None:
    default = theme.defaults()
    roles = {role.name for role in default.roles}
    assert {
        "display", "headline", "title", "body", "input-prompt", "selected", "filled-button",
        "outlined-button", "tonal-button", "elevated-button", "outlined-card", "elevated-card",
        "tonal-card", "outlined", "input-error", "outlined-error", "tonal-data-grid",
        "tonal-data-row-header",
    } == roles  # fmt: skip
    names = [name for name, _ in default.colors]
    assert names[:4] == ["Primary", "Primary Container", "On Primary", "On Primary Container"]
    assert {"Secondary", "Tertiary", "Error", "Surface", "On Surface", "Outline"} <= set(names)
    for name, value in (*default.colors, *default.aliases):
        if not value.startswith("theme:"):
            assert theme.color_problem(value) is None, (name, value)
        else:
            assert value[6:] in names, name


def test_colour_names_become_css_variables() -> None:
    assert theme.css_name("Primary") == "--anvil-theme-primary"
    assert theme.css_name("On Primary Container") == "--anvil-theme-on-primary-container"
    assert theme.css_name(" Primary 500 ") == "--anvil-theme-primary-500"
    assert theme.css_name("Brand/Accent (new)") == "--anvil-theme-brand-accent-new-"


@pytest.mark.parametrize(
    "value",
    ["#abc", "#abcd", "#6750A4", "#6750a4cc", "red", "Transparent", "rgb(1, 2, 3)",
     "rgba(28, 27, 31, 0.38)", "hsl(200 80% 40% / 0.5)", "oklch(70% 0.1 200)", " white "],
)  # fmt: skip
def test_css_colours_are_taken(value: str) -> None:
    assert theme.color_problem(value) is None


@pytest.mark.parametrize(
    "value",
    ["", "#12", "#12345", "##DAE2FF", "bleu", "red; background: url(x)", "rgb(1,2,3", "url(x)",
     "var(--x)", "theme:Primary", "expression(alert(1))", 12, None, "#" + "a" * 200],
)  # fmt: skip
def test_what_is_no_css_colour_is_refused(value: object) -> None:
    assert theme.color_problem(value) is not None


# -- the app's colours ----------------------------------------------------------------------------


def test_anvils_own_parameters_pass_and_their_colours_replace_the_defaults() -> None:
    files = app(**{PARAMETERS: ANVIL_PARAMETERS})
    assert theme.problems(files) == []
    colors = theme.palette(files)
    assert colors["Primary"] == "#00897B"
    assert colors["On Primary"] == "white"
    assert colors["Brand Accent"] == "hsl(200 80% 40%)"
    assert colors["Secondary"] == "#625B71"  # a default the app keeps
    assert colors["Primary 500"] == "var(--anvil-theme-primary)"  # older themes' names
    sheet = theme.stylesheet(files)
    assert sheet.startswith(":root {\n")
    assert "  --anvil-theme-primary: #00897B;\n" in sheet
    assert "  --anvil-theme-brand-accent: hsl(200 80% 40%);\n" in sheet
    assert "  --anvil-theme-secondary: #625B71;\n" in sheet
    assert "  --anvil-theme-primary-500: var(--anvil-theme-primary);\n" in sheet
    assert "##DAE2FF" not in sheet  # presets are kept, never used


def test_an_app_without_a_theme_has_the_default_colours() -> None:
    sheet = theme.stylesheet(app())
    assert "  --anvil-theme-primary: #6750A4;\n" in sheet
    assert "  --anvil-theme-on-surface-variant: #49454E;\n" in sheet
    assert theme.problems(app()) == []


def test_every_colour_problem_is_listed_at_once_with_its_place() -> None:
    text = """\
color_scheme:
  colors:
  - {name: Primary, color: 'bleu'}
  - {name: Primary, color: '#fff'}
  - {color: '#000'}
  - just text
  - {name: Surface, color: '#12'}
"""
    expected = "expected a CSS colour such as #6750A4, rgb(103, 80, 164), hsl(...) or a colour name"
    assert problems(text) == [
        ("color_scheme.colors[0].color", f"{expected}, not 'bleu'"),
        ("color_scheme.colors[1].name", "the colour 'Primary' is named twice"),
        ("color_scheme.colors[2].name", "a colour's name is text, such as Primary"),
        ("color_scheme.colors[3]", "expected {name: ..., color: ...}"),
        ("color_scheme.colors[4].color", f"{expected}, not '#12'"),
    ]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("color_scheme: [1, 2]\n", "color_scheme", "expected a mapping"),
        ("color_scheme: {colors: {Primary: red}}\n", "color_scheme.colors", "a list of"),
        ("- a list\n", "", "expected a mapping"),
        ("color_scheme: {colors: [\n", "line 2", "not valid YAML"),
        ("a: 1\na: 2\n", "line 2", "appears twice"),
    ],
)
def test_parameters_that_cannot_be_read_are_refused(text: str, where: str, words: str) -> None:
    [(found_where, problem)] = problems(text)
    assert found_where == where
    assert words in problem


def test_a_save_lists_theme_problems_with_the_designs_and_warns_of_unknown_theme_colours() -> None:
    with pytest.raises(design.DesignError) as caught:
        design.check(app(**{PARAMETERS: "color_scheme:\n  colors:\n  - {name: X, color: nope}\n"}))
    assert caught.value.problems[0].file == PARAMETERS
    assert caught.value.problems[0].where == "color_scheme.colors[0].color"
    form = TEMPLATES["gui"][TEMPLATE].replace(
        "properties: {text: ''}", "properties: {text: '', foreground: 'theme:Primry'}"
    )
    files = app(**{TEMPLATE: form, PARAMETERS: ANVIL_PARAMETERS})
    warned = [(w.where, w.problem) for w in design.review(files).warnings]
    assert warned == [
        (
            "label_1.properties.foreground",
            "the theme has no colour 'Primry' (the app's colours are the default theme's and "
            "those of theme/parameters.yaml): drawn without it",
        )
    ]
    for known in ("theme:Brand Accent", "theme:on primary", "theme:Primary 500", "theme:White"):
        files[TEMPLATE] = form.replace("theme:Primry", known)
        assert design.review(files).warnings == [], known


def test_a_template_naming_a_theme_asset_the_app_lacks_is_a_warning() -> None:
    def warned(html: str, **extra: str) -> list[tuple[str, str]]:
        form = (
            f"container:\n  type: HtmlTemplate\n  properties: {{html: '{html}'}}\ncomponents: []\n"
        )
        files = app(**{TEMPLATE: form, **extra})
        return [(w.where, w.problem) for w in design.review(files).warnings]

    assert warned("@theme:standard-page.html") == []  # Widgetbox's own, or the app's
    assert warned("@theme:blank.html", **{"theme/assets/blank.html": "<div></div>"}) == []
    assert warned("@theme:blank.html") == [
        (
            "container.properties.html",
            "the app has no theme asset theme/assets/blank.html: drawn as a plain page",
        )
    ]


# -- assets ---------------------------------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def test_assets_are_served_with_their_content_type() -> None:
    files = app(
        **{
            "theme/assets/standard-page.html": "<div anvil-slot='default'></div>",
            "theme/assets/img/logo.png": "data:image/png;base64," + base64.b64encode(PNG).decode(),
            "theme/assets/theme.css": ".x { color: %color:Primary%; border: %color:On Primary%; }",
            "theme/assets/notes.bin": "anything",
        }
    )
    page = theme.asset(files, "standard-page.html")
    assert page == theme.Asset(b"<div anvil-slot='default'></div>", "text/html")
    assert theme.asset(files, "img/logo.png") == theme.Asset(PNG, "image/png")
    css = theme.asset(files, "theme.css")
    assert css is not None
    assert css.media_type == "text/css"
    assert (
        css.body
        == b".x { color: var(--anvil-theme-primary); border: var(--anvil-theme-on-primary); }"
    )
    assert theme.asset(files, "notes.bin") == theme.Asset(b"anything", "application/octet-stream")
    assert theme.page_theme(files) == {
        "css": True,
        "templates": ["standard-page.html"],
        "assets": ["img/logo.png", "notes.bin", "standard-page.html", "theme.css"],
        "colors": [],  # the default theme's: the page has them already
    }
    assert theme.page_theme(app()) == {"css": False, "templates": [], "assets": [], "colors": []}


@pytest.mark.parametrize(
    "name",
    ["", "../server.py", "a/../../server.py", "./theme.css", "a//b", "/etc/passwd", "a\\b",
     "..", "theme.css/", "x\x00"],
)  # fmt: skip
def test_no_path_leaves_the_theme_assets(name: str) -> None:
    files = app(**{"theme/assets/theme.css": "x", "theme/assets/a/b": "y"})
    assert theme.asset_path(name) is None
    assert theme.asset(files, name) is None


def test_only_theme_assets_are_served() -> None:
    files = app(**{"theme/parameters.yaml": "{}\n"})
    for name in ("server.py", "parameters.yaml", "missing.css", "app.json"):
        assert theme.asset(files, name) is None


def test_assets_are_bounded_and_data_urls_must_decode() -> None:
    big = "x" * (theme.MAX_ASSET_BYTES + 1)
    files = {"theme/assets/big.txt": big, "theme/assets/bad.png": "data:image/png;base64,!!!"}
    assert [(f.file, f.problem) for f in theme.problems(files)] == [
        ("theme/assets/bad.png", "a data: URL whose base64 cannot be decoded"),
        ("theme/assets/big.txt", "a theme asset may hold at most 4,194,304 bytes"),
    ]
    assert theme.asset(files, "big.txt") is None
    assert theme.asset(files, "bad.png") is None
