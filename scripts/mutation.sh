#!/usr/bin/env bash
# Mutation testing of the code that carries os1's promises (issue 23): mutmut changes one
# thing at a time in the functions listed below (an `and` made `or`, a number off by one,
# an argument dropped, a string replaced) and runs the fast tests that reach the changed
# function ([tool.mutmut] in pyproject.toml). A mutant no test notices "survives": the
# promise could break without a test saying so.
#
# It runs in a fresh copy of src/ and tests/ under .artifacts/mutation (ignored by git),
# so the working tree stays untouched and a test added since the last run counts for
# every mutant. About 30 minutes on two cores; MUTATION_JOBS sets how many mutants run at
# once (default: every core). Prints the score per module, then every mutant not killed;
# `../../.venv/bin/mutmut show NAME`, run in .artifacts/mutation, shows what one changed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="$root/.artifacts/mutation"

# The functions mutated, by the promise they keep (mutmut's names: x_<function>, or
# x*<Class>*<method> for a method).
promises=(
    # user scoping: every read and write of a person's rows goes through their slice
    'os1.store.user.*'
    'os1.store.sqlite.x_usable_user_name__*'
    'os1.store.sqlite.x*Database*user__*'
    'os1.store.sqlite.x*Database*forget_user__*'
    # keys, passwords, sessions: who may sign in, and what ends it at once
    'os1.store.accounts.x_digest__*'
    'os1.store.accounts.x_hash_password__*'
    'os1.store.accounts.x_check_password__*'
    'os1.store.accounts.x*Accounts*_ended__*'
    'os1.store.accounts.x*Accounts*by_key__*'
    'os1.store.accounts.x*Accounts*by_password__*'
    'os1.store.accounts.x*Accounts*_current__*'
    'os1.store.accounts.x*Accounts*start_session__*'
    'os1.store.accounts.x*Accounts*by_session__*'
    'os1.store.accounts.x*Accounts*redeem_signin__*'
    'os1.store.accounts.x*Accounts*end_session__*'
    'os1.store.accounts.x*Accounts*revoke_keys__*'
    'os1.store.accounts.x*Accounts*set_password__*'
    'os1.store.accounts.x*Accounts*set_disabled__*'
    'os1.store.standing.*'
    # deleting an account leaves nothing of it
    'os1.store.accounts.x*Accounts*delete__*'
    'os1.store.accounts.x__delete_everything__*'
    'os1.store.accounts.x__delete_folders__*'
    'os1.store.accounts.x__sql__*'
    # an action runs once, only as previewed and confirmed, and undoes honestly
    'os1.skills.proposals.*'
    # forget: every table and index, vectors included, for the owner only
    'os1.memory.vectors.*'
    'os1.memory.store.x*Memory*forget__*'
    'os1.memory.store.x*Memory*edit__*'
    'os1.memory.store.x*Memory*revise__*'
    'os1.memory.store.x*Memory*pending__*'
    'os1.memory.store.x*Memory*index_pending__*'
    'os1.memory.store.x*Memory*_index_batch__*'
    'os1.memory.store.x__missing_sql__*'
    'os1.memory.store.x__write_vectors__*'
    'os1.memory.store.x__delete__*'
    'os1.memory.facts.x*FactBook*forget__*'
    # who is asking: keys before cookies, this server's own pages, no secrets in logs
    'os1.server.auth.*'
    # the person's words are kept, cleaned, before anything else happens
    'os1.turn.perceive.*'
)

if [ ! -x .venv/bin/mutmut ]; then
    echo "mutation: mutmut is missing; run make setup (it comes with the dev extras)" >&2
    exit 1
fi

# A mutant's worker can end mid-test and leave a helper process behind (a pool, a
# server); every process still working in the copy's folder at the end is this run's.
leftovers() {
    local dir
    for dir in /proc/[0-9]*; do
        case "$(readlink "$dir/cwd" 2>/dev/null)" in
        "$work/mutants" | "$work/mutants/"*) kill "${dir#/proc/}" 2>/dev/null || true ;;
        esac
    done
}
trap leftovers EXIT

rm -rf "$work"
mkdir -p "$work"
cp -a src tests pyproject.toml "$work/"
find "$work" -name __pycache__ -prune -exec rm -rf {} +
cd "$work"

started=$(date +%s)
if ! "$root/.venv/bin/mutmut" run --max-children "${MUTATION_JOBS:-$(nproc)}" "${promises[@]}" \
    >mutmut.log 2>&1; then
    tail -c 3000 mutmut.log >&2
    echo "mutation: mutmut failed (full log: $work/mutmut.log)" >&2
    exit 1
fi
echo "mutation: $(date +%F), $((($(date +%s) - started) / 60)) min"

"$root/.venv/bin/python" - <<'EOF'
"""The score per module, from the .meta files mutmut leaves beside each mutated file.
A mutant counts as killed when a test failed or ran out of time (an endless loop)."""

import json
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

CAUGHT = {"killed", "timeout"}
left: list[str] = []
total: Counter[str] = Counter()
print(f"{'module':<22} {'killed':>7} {'of':>5} {'score':>6}")
for meta in sorted(Path("mutants/src").rglob("*.py.meta")):
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    status = {k: status_by_exit_code[c] for k, c in codes.items() if c is not None}
    if not status:
        continue
    killed = sum(s in CAUGHT for s in status.values())
    name = str(meta.relative_to("mutants/src/os1")).removesuffix(".py.meta")
    print(f"{name:<22} {killed:>7} {len(status):>5} {100 * killed / len(status):>5.1f}%")
    total.update(killed=killed, all=len(status))
    left += [f"{k} ({s})" for k, s in sorted(status.items()) if s not in CAUGHT]
print(f"{'all':<22} {total['killed']:>7} {total['all']:>5} {100 * total['killed'] / total['all']:>5.1f}%")
if left:
    print(f"\nnot killed ({len(left)}):")
    print("\n".join(f"  {name}" for name in left))
EOF
