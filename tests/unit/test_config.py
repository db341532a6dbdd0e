from __future__ import annotations

from pathlib import Path

import pytest

from widgetbox.host import config
from widgetbox.host.config import SETTINGS, Config, ConfigError, load

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_the_generated_one() -> None:
    table = config.markdown_table()
    assert table in README.read_text(), "run `widgetbox settings --table` and paste it"
    assert table.count("\n") == len(SETTINGS) + 2


def test_each_setting_is_declared_once_in_its_section() -> None:
    by_section = {section.SECTION: section for section in config.SECTIONS}
    for setting in SETTINGS:
        assert setting.name in by_section[setting.section].__dataclass_fields__
    assert [name for name in Config.__dataclass_fields__ if name != "sources"] == list(by_section)
    assert len({s.env for s in SETTINGS}) == len(SETTINGS)  # names unique across sections
    assert all(s.help.strip() for s in SETTINGS)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nport = 0\nhots = 1\n[runs]\nworkers = -1\n")
    with pytest.raises(ConfigError) as caught:
        load(path, environ={"WIDGETBOX_POOL_SIZE": "many", "WIDGETBOX_NOPE": "1"})
    message = str(caught.value)
    assert message.startswith("5 problems:")
    for words in (
        "[server] port",
        "did you mean host",
        "[runs] workers",
        "WIDGETBOX_POOL_SIZE",
        "unknown environment variable WIDGETBOX_NOPE",
    ):
        assert words in message


def test_defaults_need_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load(environ={})
    assert (settings.server.host, settings.server.port, settings.security.open_signup) == (
        "127.0.0.1",
        8000,
        True,
    )
    assert settings.origin == "http://localhost:8000"
    assert not settings.https


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "widgetbox.toml"
    path.write_text(text)
    return path


def test_file_then_environment_then_options(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[server]\nport = 9000\nhost = "0.0.0.0"\n[security]\nopen_signup = false\n'
    )
    settings = load(path, environ={"WIDGETBOX_PORT": "9100"}, overrides={"host": "127.0.0.2"})
    assert (settings.server.port, settings.server.host, settings.security.open_signup) == (
        9100,
        "127.0.0.2",
        False,
    )
    assert settings.sources == {
        "port": "WIDGETBOX_PORT",
        "host": "command line",
        "open_signup": str(path),
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[server]\nprot = 1\n", "unknown setting [server] prot; did you mean port?"),
        ("[servers]\nport = 1\n", "unknown section [servers]; did you mean server?"),
        ("[server]\nport = 0\n", "[server] port: expected a whole number from 1 to 65535"),
        ("[server]\nport = true\n", "[server] port: expected a whole number"),
        ('[server]\npublic_url = "widgets.example"\n', "expected an origin such as https://"),
        ('[server]\npublic_url = "https://x.example/path"\n', "(no path)"),
        ("[security]\nopen_signup = 2\n", "expected true or false"),
        ("[security]\nsession_max_days = 1\n", "session_max_days must be at least"),
        ("server = 1\n", "[server] must be a table"),
        ("[server\n", "not valid TOML"),
    ],
)
def test_bad_files_are_refused_with_the_key_and_the_fix(
    tmp_path: Path, text: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text), environ={})
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        (
            {"WIDGETBOX_PROT": "1"},
            "unknown environment variable WIDGETBOX_PROT; did you mean WIDGETBOX_PORT?",
        ),
        ({"WIDGETBOX_PORT": "eighty"}, "WIDGETBOX_PORT: expected a whole number"),
        ({"WIDGETBOX_LOG_LEVEL": "loud"}, "expected one of debug, info, warning, error"),
    ],
)
def test_bad_environment_is_refused(
    environ: dict[str, str], words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./widgetbox.toml
    with pytest.raises(ConfigError) as caught:
        load(environ=environ)
    assert words in str(caught.value)


def test_a_missing_file_named_explicitly_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nope.toml", environ={})


def test_a_local_server_accepts_its_other_local_names() -> None:
    settings = load(environ={"WIDGETBOX_PORT": "8123"})
    assert settings.allowed_origins == {
        "http://localhost:8123",
        "http://127.0.0.1:8123",
        "http://[::1]:8123",
    }
    public = load(environ={"WIDGETBOX_PUBLIC_URL": "https://w.example"})
    assert public.allowed_origins == {"https://w.example"}


def test_https_public_url_makes_cookies_secure() -> None:
    settings = load(environ={"WIDGETBOX_PUBLIC_URL": "https://widgets.example.com/"})
    assert settings.origin == "https://widgets.example.com"
    assert settings.https


def test_the_module_keeps_one_prefix() -> None:
    assert all(s.env.startswith(config.ENV_PREFIX) for s in SETTINGS)
