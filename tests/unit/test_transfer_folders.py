"""A widget as a plain folder: its files and `.widgetbox.toml`, written and read back the
same; a folder that is not a widget is refused with every problem, each with its file and
place."""

from __future__ import annotations

import pytest

from tests import anvil_app
from widgetbox.host.transfer import folders
from widgetbox.host.transfer.folders import META_FILE, FolderError, Meta
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.unit


def problems(tree: dict[str, bytes]) -> list[tuple[str, str, str]]:
    with pytest.raises(FolderError) as caught:
        folders.read_folder(tree)
    assert caught.value.code == "invalid_folder"
    return [(p.file, p.where, p.problem) for p in caught.value.problems]


def test_a_folder_round_trip_keeps_every_file_and_the_metadata() -> None:
    files = {
        **anvil_app.files(),
        "theme/assets/logo.png": "data:image/png;base64,iVBORw0KGgo=",
        "requirements.txt": "attrs\n",
    }
    meta = Meta("gui", 'Showcase: «ünïcode» "quoted"', "unlisted", "showcase")
    tree = folders.folder_tree(meta, files)
    assert tree["theme/assets/logo.png"] == bytes.fromhex("89504e470d0a1a0a")
    assert tree[META_FILE].decode().splitlines()[2:] == [
        'kind = "gui"',
        'title = "Showcase: «ünïcode» \\"quoted\\""',
        'visibility = "unlisted"',
        'slug = "showcase"',
    ]
    folder = folders.read_folder(tree)
    assert folder.meta == meta
    assert folder.files == files
    assert folder.encoded == ["theme/assets/logo.png"]
    assert folder.warnings  # the showcase keeps what Widgetbox does not draw


def test_the_slug_and_visibility_are_optional() -> None:
    tree = folders.folder_tree(Meta("script", "Hello"), TEMPLATES["script"])
    tree[META_FILE] = b'kind = "script"\ntitle = "Hello"\n'
    assert folders.read_folder(tree).meta == Meta("script", "Hello", "private", None)


def test_every_problem_of_the_metadata_and_the_files_at_once() -> None:
    tree = {
        META_FILE: b'kind = "robot"\ntitle = ""\nvisibility = "secret"\ncolour = 1\nslug = "A B"\n',
        "main.py": b"print(1)\n",
    }
    assert problems(tree) == [
        (META_FILE, "colour", "unknown key (known: kind, title, visibility, slug)"),
        (META_FILE, "kind", "A widget's kind is one of script, scheduled, http, gui."),
        (META_FILE, "title", "A title is 1 to 100 characters."),
        (META_FILE, "visibility", "Visibility is one of private, unlisted, public."),
        (
            META_FILE,
            "slug",
            "A slug is 3 to 60 lowercase letters, digits and single hyphens, starting and "
            "ending with a letter or digit, and not a reserved word.",
        ),
    ]


def test_a_missing_or_broken_metadata_file() -> None:
    assert problems({"main.py": b""}) == [
        (META_FILE, "", "missing: a widget's folder says its kind and title there")
    ]
    [(file, where, problem)] = problems({META_FILE: b"kind = \n", "main.py": b""})
    assert (file, where) == (META_FILE, "")
    assert problem.startswith("not valid TOML: ")


def test_files_a_widget_of_its_kind_could_not_save() -> None:
    no_entry = {META_FILE: b'kind = "http"\ntitle = "API"\n', "api.py": b""}
    assert problems(no_entry) == [
        ("", "", "the entry file 'main.py' is not among the widget's files")
    ]
    design = anvil_app.FORM1_TEMPLATE.replace("name: heading", "name: 'not a name'")
    gui = folders.folder_tree(
        Meta("gui", "App"),
        {**anvil_app.files(), "client_code/Form1/form_template.yaml": design},
    )
    found = problems(gui)
    assert [(file, where) for file, where, _ in found] == [
        ("client_code/Form1/form_template.yaml", "content_panel.components[0].name")
    ]


def test_a_widget_with_a_file_named_like_the_metadata_cannot_be_a_folder() -> None:
    with pytest.raises(FolderError, match="the folder needs"):
        folders.folder_tree(Meta("script", "x"), {**TEMPLATES["script"], META_FILE: ""})
