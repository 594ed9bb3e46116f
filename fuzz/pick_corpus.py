#!/usr/bin/env python3
"""Picks the committed corpus of one target from a libFuzzer merge control file.

Usage: pick_corpus.py CONTROL_FILE MAX_FILES MAX_BYTES

The control file comes from `-set_cover_merge=1 -merge_control_file=…`, where each `FT <i> …`
line lists every feature input i reaches. The hand-written seeds (`seed-*`) are always kept; then,
greedily, the input that adds the most features not yet reached, until nothing is added or the
limits are met. libFuzzer's own merge keeps every input that adds anything (hundreds here); a
committed corpus has to stay small enough to replay in seconds and to read in a review.
Prints the chosen paths that are not seeds, one per line.
"""

import os
import sys


def main() -> None:
    control, max_files, max_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(control) as f:
        lines = f.read().splitlines()
    count = int(lines[0])
    paths = lines[2 : 2 + count]
    features = {}
    for line in lines[2 + count :]:
        if line.startswith("FT "):
            index, *values = line.split()[1:]
            features[int(index)] = set(values)
    seeds = [i for i, p in enumerate(paths) if os.path.basename(p).startswith("seed-")]
    reached = set().union(*(features.get(i, set()) for i in seeds))
    files = len(seeds)
    size = sum(os.path.getsize(paths[i]) for i in seeds)
    chosen = set()
    candidates = [i for i in features if i not in seeds]
    while files < max_files:
        best = max(candidates, key=lambda i: len(features[i] - reached), default=None)
        if best is None or not features[best] - reached:
            break
        candidates.remove(best)
        if size + os.path.getsize(paths[best]) > max_bytes:
            continue
        reached |= features[best]
        size += os.path.getsize(paths[best])
        files += 1
        chosen.add(best)
        print(paths[best])


if __name__ == "__main__":
    main()
