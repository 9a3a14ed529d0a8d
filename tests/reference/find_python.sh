#!/usr/bin/env bash
# Print the path of a working CPython 3.12 interpreter, for tests/reference/run_graph.py.
#
# Source this file to get the function `find_python312`, or run it directly.
# Candidates, in order; each one is used only if it actually runs and reports
# CPython 3.12 (a pyenv shim on PATH may exist and still fail, e.g. with 127):
#   1. $AIOSIM_PYTHON
#   2. ${PYENV_ROOT:-$HOME/.pyenv}/versions/3.12.*/bin/python3.12, newest first
#   3. python3.12 found on PATH
# Exits (or returns) 1 with a message on stderr if none works.

# True if "$1" runs and is CPython 3.12.
is_cpython312() {
    "$1" -c 'import sys; sys.exit(not (sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 12)))' \
        >/dev/null 2>&1
}

find_python312() {
    local candidate
    if [[ -n "${AIOSIM_PYTHON:-}" ]]; then
        if is_cpython312 "$AIOSIM_PYTHON"; then
            printf '%s\n' "$AIOSIM_PYTHON"
            return 0
        fi
        echo "find_python.sh: AIOSIM_PYTHON=$AIOSIM_PYTHON is not a working CPython 3.12; looking elsewhere" >&2
    fi
    while IFS= read -r candidate; do
        if is_cpython312 "$candidate"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done < <(compgen -G "${PYENV_ROOT:-$HOME/.pyenv}/versions/3.12.*/bin/python3.12" | sort -rV)
    candidate=$(command -v python3.12 || true)
    if [[ -n "$candidate" ]] && is_cpython312 "$candidate"; then
        printf '%s\n' "$candidate"
        return 0
    fi
    echo "find_python.sh: no working CPython 3.12 found (set AIOSIM_PYTHON to one)" >&2
    return 1
}

# Run directly (not sourced): print the interpreter or fail.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    find_python312 || exit 1
fi
