#!/usr/bin/env bash
# Feeds imgfetch hostile URL lists and checks it survives them with bounded memory:
#   long_lines    two ~1 MiB lines (one of them without a final newline) around a normal one
#   nul_bytes     NUL bytes inside URLs and alone on a line
#   invalid_utf8  stray continuation bytes, overlong forms, surrogates, 0xFF
#   garbage       4 MiB of deterministic pseudo-random bytes (awk, fixed seed)
#   crlf          a UTF-8 BOM, CRLF line ends, comments, names with spaces
#   million_bad   1,000,000 lines that are not URLs
#   million_urls  1,000,000 distinct URLs on a closed loopback port (--retries 0: each fails fast)
#   million_urls_out  the same with --report, --failed-list and --timeline (peak RSS should stay
#                 that of million_urls: the outputs stream to temporary files)
# Every URL points at a closed port on 127.0.0.1, so nothing leaves the machine. For each list it
# prints the exit code, wall time and peak RSS (GNU time -v), and checks: exit code 1 (no crash,
# no usage error), bad lines reported as LIST:LINE: reason with the right line numbers, nothing
# saved, and stderr that is valid UTF-8 without control bytes.
#
#   scripts/hostile_lists.sh BUILD_DIR      (BUILD_DIR contains the imgfetch executable)
#
# Environment: HOSTILE_JOBS (default 8), HOSTILE_LINES (default 1000000), KEEP_TMP=1 keeps the
# generated lists and logs. Needs GNU time (Debian package "time").
set -euo pipefail

die() {
    echo "hostile_lists: $*" >&2
    exit 2
}

(($# == 1)) || die "usage: $0 BUILD_DIR"
exe=$(cd "$1" && pwd)/imgfetch
[[ -x $exe ]] || die "no imgfetch executable in '$1'"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian: apt-get install time)"
jobs=${HOSTILE_JOBS:-8}
lines=${HOSTILE_LINES:-1000000}
[[ $jobs =~ ^[0-9]+$ && $lines =~ ^[0-9]+$ ]] || die "HOSTILE_JOBS and HOSTILE_LINES must be integers"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/imgfetch-hostile.XXXXXX")
cleanup() {
    if [[ ${KEEP_TMP:-0} == 1 ]]; then
        echo "kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
cd "$tmp"
export LC_ALL=C # byte semantics for awk, grep and tr

# A loopback port that refuses connections: 9 (discard) unless something listens there.
port=
for candidate in 9 1 7 13 19 37; do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
        port=$candidate
        break
    fi
done
[[ -n $port ]] || die "no closed loopback port found among 9 1 7 13 19 37"
base="http://127.0.0.1:$port"

# --- the lists ----------------------------------------------------------------------------------

# n bytes of the letter c.
repeat() { head -c "$1" /dev/zero | tr '\0' "$2"; }

{
    printf '%s/' "$base"
    repeat 1048576 a
    printf '.png\n%s/between-long-lines.png\n' "$base"
    repeat 1048576 x # no newline at the end of the list
} >long_lines

printf '%s/ok-1.png\n%s/a\0b.png\n\0\0\0\n%s/ok-2.png\0\n%s/ok-3.png name\0.png\n' \
    "$base" "$base" "$base" "$base" >nul_bytes

printf '%b\n' \
    "$base/caf\xc3\xa9.png" \
    "$base/\xff\xfe.png" \
    "$base/\xc3\x28.png \xe2\x82 name" \
    "\xc0\xaf\xc0\xae\xc0\xae" \
    "\xed\xa0\x80 surrogate" \
    "\xf4\x90\x80\x80 above U+10FFFF" \
    "\x80\x80\x80" \
    "$base\xff\xfe/x.png" \
    "\xc2\x9b31m C1 CSI, \x1b[2J ESC" >invalid_utf8

# mawk and gawk both give the same bytes for a seed on every run of the same awk.
awk 'BEGIN { srand(20241122); for (i = 0; i < 4194304; i++) printf "%c", int(rand() * 256) }' \
    >garbage

{
    printf '\xef\xbb\xbf%s/crlf-1.png\r\n' "$base"
    printf 'not-a-url\r\n'
    printf '# a comment\r\n'
    printf '\r\n'
    printf '%s/crlf-2.png   a name with spaces.png\r\n' "$base"
    printf 'ftp://127.0.0.1/crlf.png\r\n'
    printf '%s/crlf-3.png\r' "$base" # the last line: CR, no LF
} >crlf

awk -v n="$lines" 'BEGIN { for (i = 1; i <= n; i++) print "not-a-url-" i }' >million_bad
awk -v n="$lines" -v base="$base" 'BEGIN { for (i = 1; i <= n; i++) print base "/img/" i ".png" }' \
    >million_urls

# --- running and checking ------------------------------------------------------------------------

failures=0
fail() {
    echo "    FAIL: $*"
    failures=$((failures + 1))
}
pass() { echo "    ok: $*"; }

# expect_line LIST PATTERN WHAT: stderr of the last run has a line matching PATTERN (ERE).
expect_line() {
    if grep -Eq -- "$2" "$1.err"; then
        pass "$3"
    else
        fail "$3 (no line matching '$2' in $1.err)"
    fi
}

# expect_count LIST PATTERN N WHAT: exactly N stderr lines match PATTERN.
expect_count() {
    local got
    got=$(grep -Ec -- "$2" "$1.err" || true)
    if [[ $got == "$3" ]]; then
        pass "$4: $got"
    else
        fail "$4: $got, expected $3"
    fi
}

results=()

# run LIST [OPTIONS...]: runs imgfetch on LIST under GNU time, prints and checks the basics.
run() {
    local list=$1
    shift
    local out=$tmp/out-$list
    local status=0
    /usr/bin/time -v -o "$list.time" "$exe" "$list" -o "$out" -j "$jobs" --retries 0 \
        --connect-timeout 2 "$@" 2>"$list.err" >/dev/null || status=$?
    local wall rss err_lines
    wall=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$list.time")
    rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$list.time")
    err_lines=$(wc -l <"$list.err")
    local list_lines
    list_lines=$(wc -l <"$list")
    if [[ -s $list && $(tail -c 1 "$list" | wc -l) == 0 ]]; then
        list_lines=$((list_lines + 1)) # a last line without a newline
    fi
    local line
    line=$(printf '%-13s %10s bytes %8s lines  exit %-3s wall %-8s peak RSS %6s MiB  stderr %s lines' \
        "$list" "$(wc -c <"$list")" "$list_lines" "$status" "$wall" \
        "$(((rss + 1023) / 1024))" "$err_lines")
    echo
    echo "$line"
    results+=("$line")

    if [[ $status == 1 ]]; then
        pass "exit code 1"
    else
        fail "exit code $status, expected 1"
    fi
    if grep -q 'Command terminated by signal' "$list.time" ||
        grep -Eq 'Sanitizer|terminate called|Segmentation|Aborted|std::bad_alloc' "$list.err"; then
        fail "crashed: $(grep -E 'signal|Sanitizer|terminate|Segmentation|Aborted|bad_alloc' \
            "$list.time" "$list.err" | head -n 3)"
    fi
    if [[ -d $out ]] && [[ -n $(find "$out" -mindepth 1 ! -name .imgfetch.lock -print -quit) ]]; then
        fail "files were saved: $(find "$out" -mindepth 1 ! -name .imgfetch.lock | head -n 3)"
    else
        pass "nothing saved"
    fi
    # Untrusted bytes must reach the terminal escaped: no control byte but the newline, no
    # invalid UTF-8.
    if grep -q '[[:cntrl:]]' "$list.err"; then
        fail "stderr carries raw control bytes"
    else
        pass "stderr has no control bytes"
    fi
    if iconv -f UTF-8 -t UTF-8 <"$list.err" >/dev/null 2>&1; then
        pass "stderr is valid UTF-8"
    else
        fail "stderr is not valid UTF-8"
    fi
}

bad_line() { printf 'imgfetch: error: %s:%s: %s' "$1" "$2" "$3"; }

echo "imgfetch: $exe"
echo "closed port: $port, -j $jobs, --retries 0"

run long_lines
expect_line long_lines "^$(bad_line long_lines 1 'line longer than 65536 bytes')$" \
    "line 1 (1 MiB) reported as too long"
expect_line long_lines "^$(bad_line long_lines 3 'line longer than 65536 bytes')$" \
    "line 3 (1 MiB, no final newline) reported as too long"
expect_line long_lines "between-long-lines\.png: " "line 2 between them was tried"
expect_count long_lines '^imgfetch: error: ' 3 "error lines"

run nul_bytes
for n in 2 3 4 5; do
    expect_line nul_bytes "^$(bad_line nul_bytes "$n" 'line contains a NUL byte')$" \
        "line $n (NUL) reported"
done
expect_count nul_bytes '^imgfetch: error: ' 5 "error lines"

run invalid_utf8 --report invalid_utf8.json
for n in 4 5 6 7 8 9; do
    expect_line invalid_utf8 "^$(bad_line invalid_utf8 "$n" 'not an http\(s\) URL: ')" \
        "line $n reported as not a URL"
done
expect_line invalid_utf8 $'caf\xc3\xa9\\.png: ' "valid UTF-8 is shown as is"
expect_line invalid_utf8 '\\xFF\\xFE\.png' "invalid UTF-8 is shown escaped"
expect_count invalid_utf8 '^imgfetch: error: ' 9 "error lines"
if [[ -s invalid_utf8.json ]] && iconv -f UTF-8 -t UTF-8 <invalid_utf8.json >/dev/null 2>&1 &&
    [[ $(grep -c '"status": "failed"' invalid_utf8.json) == 9 ]]; then
    pass "the JSON report is valid UTF-8 and lists 9 failures"
else
    fail "the JSON report is missing, not UTF-8 or incomplete"
fi

run garbage --report garbage.json
# Blank and '#' lines are skipped silently; every other line must be one error naming its line.
garbage_errors=$(grep -c '^imgfetch: error: ' garbage.err || true)
expect_count garbage '^imgfetch: error: garbage:[0-9]+: (not an http\(s\) URL: |line contains a NUL byte$)' \
    "$garbage_errors" "error lines naming a line number and a reason"
garbage_lines=$(($(tr -cd '\n' <garbage | wc -c) + 1))
last_reported=$(sed -n 's/^imgfetch: error: garbage:\([0-9]*\): .*/\1/p' garbage.err | tail -n 1)
last_reported=${last_reported:-0}
if ((garbage_errors > garbage_lines / 2 && last_reported <= garbage_lines &&
    last_reported > garbage_lines - 100)); then
    pass "$garbage_errors errors for $garbage_lines lines, the last one on line $last_reported"
else
    fail "$garbage_errors errors for $garbage_lines lines, the last one on line $last_reported"
fi

run crlf
expect_line crlf "^$(bad_line crlf 2 'not an http\(s\) URL: not-a-url')$" "line 2 reported, CR stripped"
expect_line crlf "^$(bad_line crlf 6 'not an http\(s\) URL: ftp://127\.0\.0\.1/crlf\.png')$" \
    "line 6 (ftp) reported, CR stripped"
expect_line crlf "/crlf-1\.png: " "line 1 after the BOM was tried"
expect_line crlf "/crlf-3\.png: " "last line ending in a bare CR was tried"
expect_count crlf '\\x0D' 0 "lines showing a CR"
expect_count crlf '^imgfetch: error: ' 5 "error lines"

run million_bad
expect_count million_bad "^imgfetch: error: million_bad:[0-9]+: not an http\(s\) URL: not-a-url-[0-9]+$" \
    "$lines" "bad lines reported with their number"
expect_line million_bad "^$(bad_line million_bad "$lines" "not an http\(s\) URL: not-a-url-$lines")$" \
    "the last line is reported as line $lines"
expect_line million_bad "^imgfetch: info: 0 ok, $lines failed" "summary counts every line"

run million_urls
expect_line million_urls "^imgfetch: info: 0 ok, $lines failed, 0 skipped, 0 not modified, 0 duplicate" \
    "summary counts every URL as failed"
expect_count million_urls "^imgfetch: error: $base/img/[0-9]+\.png: " "$lines" "failed URLs reported"

ln million_urls million_urls_out
run million_urls_out --report million_urls_out.json --failed-list million_urls_out.failed \
    --timeline million_urls_out.svg
expect_line million_urls_out "^imgfetch: info: 0 ok, $lines failed" "summary counts every URL as failed"
report_lines=$(grep -Eo '^      "line": [0-9]+' million_urls_out.json |
    awk '$2 != NR { bad = NR; exit } END { print bad ? "entry " bad " out of order" : NR }')
if [[ $report_lines == "$lines" ]]; then
    pass "the report lists every URL, in list order: $report_lines"
else
    fail "the report: $report_lines, expected $lines entries in list order"
fi
failed_lines=$(awk -v base="$base" '$1 != base "/img/" NR ".png" { bad = NR; exit }
    END { print bad ? "line " bad " out of order" : NR }' million_urls_out.failed)
if [[ $failed_lines == "$lines" ]]; then
    pass "the failed list has every URL, in list order: $failed_lines"
else
    fail "the failed list: $failed_lines, expected $lines lines in list order"
fi

echo
echo "==== results (imgfetch -j $jobs --retries 0) ===="
printf '%s\n' "${results[@]}"
if ((failures != 0)); then
    echo "hostile_lists: $failures check(s) FAILED" >&2
    exit 1
fi
echo "hostile_lists: all checks passed"
