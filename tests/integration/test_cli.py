"""The command line as a user runs it: the embedded default, ask, digest, import, doctor, config."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli.main import cli
from bot.store.sample import sample_archive
from bot.store.schema import migrations
from tests.conftest import ARCHIVE


@pytest.fixture(autouse=True)
def private_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("HOTPAPERS_CONFIG", raising=False)
    monkeypatch.delenv("HOTPAPERS_DB", raising=False)


def test_run_on_the_embedded_default_answers_until_eof() -> None:
    result = CliRunner().invoke(cli, ["run"], input="top 3 cs.CV 2021-04-05\n2\nfrobnicate\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Hot Papers 2021-04-30")  # the latest day's digest first
    assert "Hot Papers 2021-04-05 · cs.CV" in out
    # `2` is item 2 of the digest just shown, in full.
    assert "arXiv:2104.00820 · cs.LG (also cs.CV) · listed 2021-04-05" in out
    assert "I don't know `frobnicate`" in out
    assert "Traceback" not in out


def test_ask_answers_one_command_from_the_sample() -> None:
    result = CliRunner().invoke(cli, ["ask", "top 3 cs.CV 2021-04-05"])
    assert result.exit_code == 0, result.output
    assert result.output.count("arxiv.org/abs/") == 3


def test_ask_with_bad_input_exits_non_zero_with_a_hint() -> None:
    result = CliRunner().invoke(cli, ["ask", "top 5 2021-02-30"])
    assert result.exit_code == 1
    assert "2021-02-30" in result.output and "Traceback" not in result.output


def test_digest_formats_and_errors() -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["digest", "--date", "2021-04-05", "--top", "2", "-c", "cs.CV"])
    assert text.exit_code == 0 and "Hot Papers 2021-04-05 · cs.CV" in text.output
    md = runner.invoke(cli, ["digest", "--date", "2021-04-05", "--format", "markdown"])
    assert md.output.startswith("---\ntitle: Hot Papers 2021-04-05\n")
    bad = runner.invoke(cli, ["digest", "-c", "cs.CVV"])
    assert bad.exit_code == 2 and "did you mean cs.CV" in bad.output
    weekend = runner.invoke(cli, ["digest", "--date", "2021-04-03"])
    assert weekend.exit_code == 1 and "Saturday" in weekend.output


def test_import_skips_a_malformed_section_and_keeps_the_rest(tmp_path: Path) -> None:
    text = (ARCHIVE / "2021-04-05---Hot-Papers.md").read_text(encoding="utf-8")
    damaged = tmp_path / "2021-04-05---Hot-Papers.md"
    damaged.write_text(text.replace("- retweets: 342, favorites: 106", "- retweets: lots"), "utf-8")
    (tmp_path / "notes.md").write_text("just some notes\n", "utf-8")
    db = tmp_path / "x.db"
    result = CliRunner().invoke(cli, ["import", "--db", str(db), str(tmp_path)])
    assert result.exit_code == 0
    assert "Imported 10 papers" in result.output
    assert "2021-04-05---Hot-Papers.md:" in result.output  # file and line of what was skipped
    assert "notes.md" in result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 10


def test_config_errors_name_the_file_section_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[digest]\ntop = "five"\n', "utf-8")
    result = CliRunner().invoke(cli, ["ask", "--config", str(config), "help"])
    assert result.exit_code == 1
    assert f"{config}: [digest] top: expected a whole number" in result.output
    config.write_text("[bot]\ntimezone = 'Mars/Olympus'\n", "utf-8")
    result = CliRunner().invoke(cli, ["ask", "--config", str(config), "help"])
    assert "[bot] timezone: unknown timezone 'Mars/Olympus'" in result.output


def test_doctor_reports_missing_secrets_without_values(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\ndatabase = "{tmp_path / "d.db"}"\n'
        '[adapters.slack]\nbot_token_env = "HP_TEST_SLACK_TOKEN"\n',
        "utf-8",
    )
    result = CliRunner().invoke(
        cli, ["doctor", "--config", str(config)], env={"HP_TEST_SLACK_TOKEN": ""}
    )
    assert result.exit_code == 1 and "$HP_TEST_SLACK_TOKEN MISSING" in result.output
    result = CliRunner().invoke(
        cli,
        ["doctor", "--config", str(config)],
        env={"HP_TEST_SLACK_TOKEN": "xoxb-secret-value", "SLACK_APP_TOKEN": "xapp-value"},
    )
    assert result.exit_code == 0, result.output
    assert "$HP_TEST_SLACK_TOKEN set" in result.output
    assert "xoxb-secret-value" not in result.output


def test_bundled_sample_is_current(tmp_path: Path) -> None:
    """`make sample` rebuilds it; this fails when the schema moved on without a rebuild."""
    db = tmp_path / "sample.db"
    db.write_bytes(gzip.decompress(sample_archive().read_bytes()))
    with sqlite3.connect(db) as conn:
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    assert applied == [name for name, _, _ in migrations.registered]
    assert papers == 2283


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):  # subcommands in their own modules load lazily
        command = cli.get_command(ctx, name)
        assert command is not None and command.help, name
        assert f"hotpapers {name}" in readme, name


def test_paper_on_an_unknown_id_is_looked_up_on_arxiv(tmp_path: Path) -> None:
    """With [sources.arxiv] configured, `paper <id>` fetches what the store lacks."""
    from tests.fakes.arxiv_fake import FakeArxiv

    with FakeArxiv() as fake:
        urls = fake.base_urls()
        config = tmp_path / "bot.toml"
        config.write_text(
            f'[bot]\ndatabase = "{tmp_path / "d.db"}"\n'
            "[sources.arxiv]\n"
            f'base_urls = {{ api = "{urls["api"]}", rss = "{urls["rss"]}", oai = "{urls["oai"]}" }}\n',
            "utf-8",
        )
        result = CliRunner().invoke(
            cli, ["ask", "--config", str(config), "paper https://arxiv.org/abs/1707.08567v1"]
        )
        assert result.exit_code == 0, result.output
        assert "Proceedings of Workshop AEW10" in result.output
        assert len(fake.requests_to("/api/query")) == 1
