"""``os1 calendar`` as a person uses it: add in their own words, see it listed, export it,
import it elsewhere, sync with a real server, undo."""

from __future__ import annotations

from pathlib import Path

from calendar_parts import radicale

from conftest import run_cli as os1

__all__ = ["radicale"]


def test_add_list_export_import_undo(home: Path, tmp_path: Path) -> None:
    assert "Europe/Berlin" in os1(home, "calendar", "timezone", "Europe/Berlin").output
    added = os1(home, "calendar", "add", "dinner with Sam", "--when", "tomorrow at 8", "--yes")
    assert added.exit_code == 0, added.output
    assert "8:00 pm – 9:00 pm (tomorrow)" in added.output  # dinner at 8 is in the evening
    quick = os1(home, "calendar", "add", "standup every Monday at 9", "--yes")
    assert quick.exit_code == 0 and "Repeats: every Monday" in quick.output

    listed = os1(home, "calendar", "list", "next", "8", "days")
    assert "8:00 pm – 9:00 pm: dinner with Sam" in listed.output
    assert "9:00 am – 10:00 am: standup (repeats)" in listed.output

    target = tmp_path / "mine.ics"
    exported = os1(home, "calendar", "export", str(target))
    assert exported.exit_code == 0 and "Wrote 2 event(s)" in exported.output
    assert os1(home, "calendar", "export", str(target)).exit_code == 1  # no silent overwrite
    piped = os1(home, "calendar", "export", "-")
    assert piped.exit_code == 0 and piped.stdout.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:dinner with Sam" in piped.stdout and not (Path.cwd() / "-").exists()

    waiting = os1(home, "calendar", "import", str(target), "--user", "sam")
    assert "2 new event(s)" in waiting.output and "Nothing done yet" in waiting.output
    imported = os1(home, "calendar", "import", str(target), "--user", "sam", "--yes")
    assert "Imported 2 new" in imported.output, imported.output

    assert os1(home, "undo").exit_code == 0  # the person's latest action: the standup
    after = os1(home, "calendar", "list", "next", "8", "days")
    assert "standup" not in after.output and "dinner with Sam" in after.output
    assert "No reminders" in os1(home, "calendar", "remind", "--within", "1").output


def test_connect_and_sync_with_a_real_server(home: Path, radicale: str) -> None:
    os1(home, "calendar", "add", "Yoga", "--when", "Saturday at 10am", "--yes")
    connected = os1(
        home, "calendar", "connect", radicale, "--user", "ada", OS1_CALDAV_PASSWORD="pw"
    )
    assert connected.exit_code == 0 and "Connected to “os1”" in connected.output
    synced = os1(home, "calendar", "sync")
    assert synced.exit_code == 0 and "Sent to the server: “Yoga”" in synced.output
    assert "Already in step" in os1(home, "calendar", "sync").output
    down = os1(home, "calendar", "connect", "http://127.0.0.1:9/", "--user", "ada", answers="x\n")
    assert down.exit_code == 1 and "did not work" in down.output
