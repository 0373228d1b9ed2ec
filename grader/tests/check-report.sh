#!/bin/sh
# check-report.sh: the grader's HTML pages (index.html, feedback.html) as a reader sees
# them, in headless Chromium, like handouts/check: each PAGE is copied beside itself with
# handouts/check.js inlined (every image loaded, every #anchor exists: its verdict comes
# back through --dump-dom), every relative link must name an existing file, and nothing
# may come from the network (no http:, https: or // address in src or href).
# usage: check-report.sh PAGE...   Prints one line per page; exits 1 if any fails.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
js=$here/handouts/check.js
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome) || {
  echo "check-report: no Chromium found (./setup installs it)" >&2; exit 2; }
profile=$(mktemp -d "${TMPDIR:-/tmp}/chromium-XXXXXX")
trap 'rm -rf "$profile"' EXIT
bad=0
for page in "$@"; do
  copy=$(dirname "$page")/.check-$(basename "$page")
  python3 - "$page" "$js" "$copy" <<'PY'
import sys
page, js, copy = sys.argv[1:]
text = open(page, encoding="utf-8").read()
script = "<script>" + open(js, encoding="utf-8").read() + "</script>"
at = text.rfind("</body>")
open(copy, "w", encoding="utf-8").write(text[:at] + script + text[at:] if at >= 0 else text + script)
PY
  dom=$(timeout 60 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --virtual-time-budget=3000 --dump-dom "file://$(realpath "$copy")" 2>/dev/null)
  rm -f "$copy"
  verdict=$(echo "$dom" | sed -n 's/.*data-check="\([^"]*\)".*/\1/p' | head -n 1)
  problems=""
  case $verdict in
    *" broken=0") ;;
    "") problems="the check did not run (JavaScript error or no load event)" ;;
    *) problems="$verdict" ;;
  esac
  links=$(python3 - "$page" <<'PY'
import html.parser, os, sys, urllib.parse
page = sys.argv[1]
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k not in ("href", "src") or not v or v.startswith("#") or v.startswith("data:"):
                continue
            u = urllib.parse.urlparse(v)
            if u.scheme or v.startswith("//"):
                print("network:" + v[:60])
            elif not os.path.exists(os.path.join(os.path.dirname(page), urllib.parse.unquote(u.path))):
                print("link:" + v[:60])
P().feed(open(page, encoding="utf-8").read())
PY
)
  problems="$problems$links"
  if [ -z "$problems" ]; then echo "ok   $page ($verdict)"; else echo "FAIL $page: $problems"; bad=1; fi
done
exit $bad
