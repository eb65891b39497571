#!/usr/bin/env bash
# Part of `npm test`: `npm start` in this clone, as the README gives it, with a fresh state folder and a free
# port, must print its URL and serve the workbench. The same cache as the test run (LLM_LENS_CACHE).
# start.sh ends by exec'ing code-server, so the whole process group is stopped at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
state=$(mktemp -d /tmp/llm-lens-start.XXXX)
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
log="$state/start.log"
echo "[start test] npm start on port $port, state in $state"
XDG_DATA_HOME="$state/data" LLM_LENS_PORT="$port" LLM_LENS_FORCE_CODE_SERVER=1 setsid npm start >"$log" 2>&1 &
pid=$!
ok=0
for _ in $(seq 1 600); do
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  if grep -q "http://127.0.0.1:$port/?folder=" "$log" 2>/dev/null &&
     curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 &&
     curl -fsS "http://127.0.0.1:$port/?folder=$(pwd)/media/samples" | grep -q 'workbench'; then
    ok=1; break
  fi
  sleep 0.5
done
kill -TERM -- "-$pid" 2>/dev/null
for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
kill -KILL -- "-$pid" 2>/dev/null
if [ "$ok" = 1 ]; then
  echo "[start test] passed: npm start printed its URL and the workbench answered"
  grep -A1 'Open this URL' "$log" | tail -n 1
else
  echo "[start test] FAILED: npm start did not serve the workbench. Its output:"
  tail -n 60 "$log"
fi
rm -rf "$state"
[ "$ok" = 1 ]
