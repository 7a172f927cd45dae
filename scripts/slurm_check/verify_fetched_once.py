#!/usr/bin/env python3
"""Checks that the shards of one sharded run fetched every URL exactly once into one directory.

    verify_fetched_once.py --list FILE --log FILE --root DIR --out DIR --shards N REPORT...

--list and --log are image_server.py's URL list and request log, --root the directory it served,
--out the shared output directory, REPORT... the N shards' --report files. Checks that:
  - the server saw exactly one "GET PATH 200" for every URL of the list, and no other request;
  - there are N reports, each with at least one URL, and every URL of the list is in exactly one
    of them, with status ok;
  - each file has the name an unsharded run gives it: the base name of its URL, numbered -2, -3,
    ... in list order when the base name came before (all image_server.py's names need);
  - the file each report names holds the served bytes (SHA-256 of both, and the report's own
    when it has one);
  - the output directory holds exactly those files, plus only imgfetch's lock files (no .part).
Prints one line of what it verified; exits 1 with every problem found otherwise.
"""
import argparse
import collections
import hashlib
import json
import os
import re
import sys
import urllib.parse


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--list", "--log", "--root", "--out"):
        parser.add_argument(name, required=True)
    parser.add_argument("--shards", type=int, required=True)
    parser.add_argument("reports", nargs="+")
    args = parser.parse_args()
    problems = []

    with open(args.list, encoding="utf-8") as f:
        urls = [line.strip() for line in f if line.strip()]
    url_path = {url: urllib.parse.urlsplit(url).path for url in urls}
    expected_name = {}
    seen_base = collections.Counter()
    for url in urls:
        base = os.path.basename(url_path[url])
        seen_base[base] += 1
        stem, ext = os.path.splitext(base)
        n = seen_base[base]
        expected_name[url] = base if n == 1 else f"{stem}-{n}{ext}"

    # 1. The server's view: one GET per URL, nothing else.
    with open(args.log, encoding="utf-8") as f:
        requests = collections.Counter(line.rstrip("\n") for line in f if line.strip())
    for url in urls:
        seen = requests.pop(f"GET {url_path[url]} 200", 0)
        if seen != 1:
            problems.append(f"{url}: fetched {seen} times, expected once")
    for line, count in sorted(requests.items()):
        problems.append(f"unexpected request '{line}' ({count}x)")

    # 2. The shards' view: every URL in exactly one report, ok.
    if len(args.reports) != args.shards:
        problems.append(f"{len(args.reports)} reports, expected one per shard ({args.shards})")
    owner = {}
    sizes = []
    for report in args.reports:
        with open(report, encoding="utf-8") as f:
            files = json.load(f)["files"]
        sizes.append(len(files))
        if not files:
            problems.append(f"{report}: no URL at all (the shards did not split the list)")
        for entry in files:
            url = entry["url"]
            if url in owner:
                problems.append(f"{url}: in {owner[url][0]} and in {report}")
                continue
            owner[url] = (report, entry)
            if entry["status"] != "ok":
                problems.append(f"{url}: status {entry['status']} in {report}: {entry['error']}")
    for url in urls:
        if url not in owner:
            problems.append(f"{url}: in no report")
    for url in set(owner) - set(urls):
        problems.append(f"{url}: reported but not in the list")

    # 3. The bytes: what was saved is what was served.
    saved = set()
    for url, (report, entry) in sorted(owner.items()):
        if url not in url_path or entry["status"] != "ok" or not entry["path"]:
            continue
        path = entry["path"]
        if not os.path.isabs(path):
            path = os.path.join(args.out, path)
        if os.path.dirname(os.path.realpath(path)) != os.path.realpath(args.out):
            problems.append(f"{url}: saved as {path}, outside {args.out}")
            continue
        name = os.path.basename(path)
        if name != expected_name[url]:
            problems.append(f"{url}: saved as {name}, an unsharded run names it "
                            f"{expected_name[url]}")
        if name in saved:
            problems.append(f"{url}: name {name} given to two URLs")
        saved.add(name)
        served = sha256(os.path.join(args.root, url_path[url].lstrip("/")))
        if not os.path.isfile(path):
            problems.append(f"{url}: {path} does not exist")
        elif sha256(path) != served:
            problems.append(f"{url}: {path} differs from the served file")
        elif entry["sha256"] is not None and entry["sha256"] != served:
            problems.append(f"{url}: {report} gives sha256 {entry['sha256']}, served {served}")

    # 4. Nothing else in the directory but the locks.
    lock = re.compile(r"^\.imgfetch\.(lock|shard-\d+-of-%d\.lock)$" % args.shards)
    for name in sorted(os.listdir(args.out)):
        if name not in saved and not lock.match(name):
            problems.append(f"{args.out}: unexpected entry {name}")

    if problems:
        for problem in problems:
            print(f"verify: {problem}", file=sys.stderr)
        sys.exit(1)
    print(f"verify: {len(urls)} URLs, each fetched exactly once (GET 200) across {args.shards} "
          f"shards of {sorted(sizes)} URLs; {len(saved)} files in one directory, named as an "
          f"unsharded run names them, hold the served bytes")


if __name__ == "__main__":
    main()
