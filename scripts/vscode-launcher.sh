#!/usr/bin/env bash
# The executable @vscode/test-electron starts: see test/support/launcher.ts.
exec node "$(dirname "$0")/../dist-test/support/launcher.js" "$@"
