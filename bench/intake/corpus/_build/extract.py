#!/usr/bin/env python3
"""Extract changelog entries / commit subjects from files shipped on this machine.

Writes _build/all_entries.tsv with columns: text, source, group, path, line
(every cleaned, filtered, de-duplicated candidate; selection happens in select.py).
"""
import glob
import gzip
import html
import json
import os
import re
import subprocess
import sys

HOME = os.path.expanduser("~")
MAIN = "/work/main"
CARGO_SRC = glob.glob(HOME + "/.cargo/registry/src/*/")[0].rstrip("/")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "all_entries.tsv")


# --------------------------------------------------------------------------- sources
def node_version(path):
    d = os.path.dirname(path)
    while d.startswith(MAIN + "/node_modules"):
        pj = os.path.join(d, "package.json")
        if os.path.exists(pj):
            try:
                j = json.load(open(pj))
                if j.get("name") and j.get("version"):
                    return j["name"], j["version"]
            except Exception:
                pass
        d = os.path.dirname(d)
    return None, None


def first_version(lines):
    for ln in lines[:200]:
        m = re.search(r"\bv?(\d+\.\d+(?:\.\d+)?(?:[-.][0-9A-Za-z.]+)?)", ln)
        if m and not ln.strip().startswith(("http", "[!", "Copyright")):
            return m.group(1)
    return "?"


def dpkg_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                              capture_output=True, text=True).stdout.strip() or "?"
    except Exception:
        return "?"


def sources():
    S = []
    # 1. node_modules
    out = subprocess.run(
        ["find", MAIN + "/node_modules", "-type", "f", "(", "-iname", "CHANGELOG*", "-o",
         "-iname", "HISTORY*", "-o", "-iname", "CHANGES*", ")"],
        capture_output=True, text=True).stdout.split("\n")
    for p in sorted((x for x in out if x), key=lambda x: (x.count("node_modules"), x)):
        if not re.search(r"\.(md|markdown|txt|rst)$|/[A-Za-z]+$", p, re.I):
            continue  # skip .json / .js etc.
        if "/docs/" in p:
            continue  # piscina docs copy of its changelog
        name, ver = node_version(p)
        if not name:
            continue
        rel = os.path.relpath(p, MAIN)
        S.append(dict(path=p, disp=rel, label=f"({name} {ver})", group="npm:" + name))
    # 2. cargo
    for p in sorted(glob.glob(CARGO_SRC + "/*/*")):
        b = os.path.basename(p)
        if not re.match(r"(CHANGELOG|HISTORY|CHANGES|NEWS|RELEASES)", b, re.I) or not os.path.isfile(p):
            continue
        crate_dir = os.path.basename(os.path.dirname(p))
        m = re.match(r"(.+)-(\d+\.\d+\.\d+.*)$", crate_dir)
        name, ver = m.group(1), m.group(2)
        disp = "~/.cargo/registry/src/" + os.path.relpath(p, os.path.dirname(CARGO_SRC))
        S.append(dict(path=p, disp=disp, label=f"({name} {ver})", group="crate:" + name))
    # 3. pyenv + plugins
    pyenv_ver = subprocess.run([HOME + "/.pyenv/bin/pyenv", "--version"], capture_output=True,
                               text=True).stdout.split()[-1]
    S.append(dict(path=HOME + "/.pyenv/CHANGELOG.md", disp="~/.pyenv/CHANGELOG.md",
                  label=f"(pyenv {pyenv_ver})", group="py:pyenv"))
    p = HOME + "/.pyenv/plugins/pyenv-virtualenv/CHANGELOG.md"
    S.append(dict(path=p, disp="~/.pyenv/plugins/pyenv-virtualenv/CHANGELOG.md",
                  label=f"(pyenv-virtualenv {first_version(open(p).read().splitlines())})",
                  group="py:pyenv-virtualenv"))
    # IDLE news shipped with CPython 3.13.0 (one copy only; other versions duplicate it)
    S.append(dict(path=HOME + "/.pyenv/versions/3.13.0/lib/python3.13/idlelib/News3.txt",
                  disp="~/.pyenv/versions/3.13.0/lib/python3.13/idlelib/News3.txt",
                  label="(idlelib, CPython 3.13.0)", group="py:idlelib", fmt="idle"))
    # Changelog sections embedded in site-packages METADATA
    sp = HOME + "/.pyenv/versions/3.11.7/lib/python3.11/site-packages"
    for di in ["charset_normalizer-3.4.7", "jedi-0.20.0", "parso-0.8.7", "pydantic-2.13.4",
               "python_dotenv-1.2.2", "wcwidth-0.7.0"]:
        name, ver = di.rsplit("-", 1)
        p = f"{sp}/{di}.dist-info/METADATA"
        S.append(dict(path=p, disp="~/.pyenv/versions/3.11.7/lib/python3.11/site-packages/" + di + ".dist-info/METADATA",
                      label=f"({name} {ver}, changelog section)", group="py:" + name.replace("_", "-").lower(),
                      fmt="metadata"))
    # 4. Google Cloud SDK bundle (gsutil + vendored third-party python packages)
    g = "/usr/lib/google-cloud-sdk"
    gs = g + "/platform/gsutil"
    other = [
        (g + "/RELEASE_NOTES", "google-cloud-cli", open(g + "/VERSION").read().strip()),
        (gs + "/CHANGES.md", "gsutil", None),
        (gs + "/gslib/vendored/oauth2client/CHANGELOG.md", "oauth2client", None),
        (gs + "/third_party/urllib3/CHANGES.rst", "urllib3", None),
        (gs + "/third_party/requests/HISTORY.md", "requests", None),
        (gs + "/third_party/google-auth-library-python/CHANGELOG.md", "google-auth", None),
        (gs + "/third_party/google-auth-library-python-httplib2/CHANGELOG.md", "google-auth-httplib2", None),
        (gs + "/third_party/cachetools/CHANGELOG.rst", "cachetools", None),
        (gs + "/third_party/six/CHANGES", "six", None),
        (gs + "/third_party/pyparsing/CHANGES", "pyparsing", None),
        (gs + "/third_party/rsa/CHANGELOG.txt", "rsa", None),
        (gs + "/third_party/idna/HISTORY.rst", "idna", None),
        (gs + "/third_party/charset_normalizer/CHANGELOG.md", "charset-normalizer", None),
        (gs + "/third_party/argcomplete/Changes.rst", "argcomplete", None),
        (gs + "/third_party/pyasn1/CHANGES.rst", "pyasn1", None),
        (gs + "/third_party/pyasn1-modules/CHANGES.txt", "pyasn1-modules", None),
        (gs + "/third_party/fasteners/ChangeLog", "fasteners", None),
        (gs + "/third_party/crcmod/changelog", "crcmod", None),
        (gs + "/third_party/mock/NEWS", "mock", None),
        ("/usr/lib/python3/dist-packages/wadllib/docs/NEWS.rst", "wadllib", None),
        ("/usr/lib/python3/dist-packages/lazr/uri/docs/NEWS.rst", "lazr.uri", None),
    ]
    for p, name, ver in other:
        if not os.path.exists(p):
            continue
        if ver is None:
            ver = first_version(open(p, errors="replace").read().splitlines())
        grp = "py:" + name.lower()
        S.append(dict(path=p, disp=p, label=f"({name} {ver})", group=grp))
    p = gs + "/third_party/retry-decorator/CHANGES.txt"
    S.append(dict(path=p, disp=p, label="(retry-decorator 1.1.1)", group="py:retry-decorator", fmt="hashlog"))
    # 5. a few Debian package changelogs (developer-facing ones)
    for p, pkg in [("/usr/share/doc/curl/changelog.gz", "curl"),   # upstream commit log
                   ("/usr/share/doc/apt/changelog.gz", "apt"),
                   ("/usr/share/doc/dpkg/changelog.gz", "dpkg")]:
        S.append(dict(path=p, disp=p, label=f"({pkg} {dpkg_version(pkg)}, decompressed)", group="deb:" + pkg,
                      **({"max_indent": 0} if pkg == "curl" else {})))
    return S


# --------------------------------------------------------------------------- parsing
BULLET = re.compile(r"^(\s*)(?:[-*+\u2022]|\d{1,2}[.)])\s+(\S.*)$")
HEADER = re.compile(r"^\s*(#{1,6}\s|={3,}\s*$|-{3,}\s*$|\+{3,}\s*$|~{3,}\s*$|\^{3,}\s*$|\*{3,}\s*$)")
REFDEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S")


def read_lines(path):
    if path.endswith(".gz"):
        with gzip.open(path, "rt", errors="replace") as f:
            return f.read().splitlines()
    with open(path, errors="replace") as f:
        return f.read().splitlines()


def entries_bullets(lines, start=0):
    """Yield (lineno, raw_text) for bullet entries, joining continuation lines."""
    i, n = start, len(lines)
    in_fence = False
    heading = ""
    while i < n:
        ln = lines[i]
        hm = re.match(r"^\s*#{1,6}\s+(.*)$", ln) or re.match(r"^\s*\*\*([^*]+)\*\*:?\s*$", ln) \
            or re.match(r"^([A-Z][\w ]{2,30}):\s*$", ln)
        if hm:
            heading = hm.group(1).strip()
        elif i + 1 < n and ln.strip() and re.match(r"^\s*(=|-|\+|~|\^){3,}\s*$", lines[i + 1]):
            heading = ln.strip()
        if ln.strip().startswith("```"):
            in_fence = not in_fence
            i += 1
            continue
        if in_fence:
            i += 1
            continue
        m = BULLET.match(ln)
        if not m or HEADER.match(ln):
            i += 1
            continue
        indent = len(m.group(1).expandtabs())
        parts = [m.group(2)]
        j = i + 1
        while j < n:
            nx = lines[j]
            if not nx.strip() or BULLET.match(nx) or HEADER.match(nx) or REFDEF.match(nx):
                break
            if nx.strip().startswith("```"):
                break
            if j + 1 < n and re.match(r"^\s*(=|-|\+|~|\^){3,}\s*$", lines[j + 1]):
                break  # next line is an RST/setext header
            parts.append(nx.strip())
            j += 1
        yield i + 1, " ".join(parts), heading, indent
        i = j


def entries_idle(lines):
    i, n = 0, len(lines)
    while i < n:
        m = re.match(r"^(?:gh|bpo|issue)-?\s?\d+:\s*(.*)$", lines[i])
        if not m:
            i += 1
            continue
        parts, j = [m.group(1)], i + 1
        while j < n and lines[j].strip():
            parts.append(lines[j].strip())
            j += 1
        yield i + 1, " ".join(parts), "", 0
        i = j


def entries_hashlog(lines):
    for i, ln in enumerate(lines):
        m = re.match(r"^[0-9a-f]{7,40}\t(.*?)(?:\s+\([A-Z][a-z]+\))?\s*$", ln)
        if m:
            yield i + 1, m.group(1), "", 0


def metadata_start(lines):
    for i, ln in enumerate(lines):
        if re.match(r"^(#+\s*)?(changelog|changes|history|release history|release notes)\s*$", ln.strip(), re.I):
            return i
    return len(lines)


# --------------------------------------------------------------------------- cleaning
ABBR = re.compile(r"(?:\be\.g|\bi\.e|\betc|\bvs|\bapprox|\bcf|\bNo|\bMr|\bDr|\bSt|\bincl|\bresp|\bviz|\bal)\.$", re.I)


def first_sentence(t):
    pos = 0
    for m in re.finditer(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[*#@])", t):
        head = t[:m.start()]
        if ABBR.search(head) or re.search(r"\b[A-Z]\.$", head):
            continue
        # don't split inside backticks / parentheses
        if head.count("`") % 2 == 1 or head.count("(") > head.count(")"):
            continue
        return head
    return t


def clean(t):
    t = t.replace("\\#", "#").replace("\\_", "_").replace("\\*", "*")
    t = html.unescape(t)
    # commit-hash links and bare hash references
    t = re.sub(r"\s*\(\[`?[0-9a-f]{7,40}`?\]\([^)]*\)\)", "", t)
    t = re.sub(r"\s*\[`?[0-9a-f]{7,40}`?\]\([^)]*\)", "", t)
    # leading reference prefix used by the regex crate: "[#123](url): text"
    t = re.sub(r"^\[(?:[A-Z]+\s+)?#?\w+\]\([^)]*\):\s*", "", t)
    # trailing "closes #12" / "fixes [#12](url)" / debian "(Closes: #123)"
    ref = r"(?:\[[^\]]*#\d+\]\([^)]*\)|[\w./-]*#\d+|https?://\S+)"
    t = re.sub(r",?\s*\(?(?:closes|closed|fixes|fixed|resolves|related to|see|refs?)\s*:?\s+" + ref +
               r"(?:(?:,\s*|\s+and\s+|\s+)" + ref + r")*\)?\s*\.?\s*$", "", t, flags=re.I)
    t = re.sub(r",?\s*(?:closes|fixes|related to)\s+" + ref + r"(?:(?:,\s*|\s+and\s+)" + ref + r")*", "", t, flags=re.I)
    t = re.sub(r"\s*\(<https?://[^>]*>\)", "", t)
    # RST links `text <url>`__
    t = re.sub(r"`([^`<]+?)\s*<[^>]+>`__?", r"\1", t)
    # markdown links [text](url) -> text ; [`#11`](url) -> #11
    t = re.sub(r"\[`?([^\]]+?)`?\]\((?:[^()]|\([^)]*\))*\)", r"\1", t)
    # reference-style links [text][ref] -> text ; [`code`] -> `code` ; [rand#815] -> rand#815
    t = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", t)
    t = re.sub(r"\[(`[^`\]]+`)\]", r"\1", t)
    t = re.sub(r"\[([\w/.-]*#\d+)\]", r"\1", t)
    t = re.sub(r"\s\[\d\](?=[\s,.]|$)", "", t)
    # RST references `name`_ -> `name`
    t = re.sub(r"`([^`]+)`_\b", r"`\1`", t)
    t = re.sub(r"`(PR #\d+)`", r"\1", t)
    # autolinks <https://...>
    t = re.sub(r"\s+in\s+<https?://[^>]*>", "", t)
    t = re.sub(r"\s*\(?<https?://[^>]*>\)?", "", t)
    t = re.sub(r"\s+<\s*$", "", t)
    # python-dotenv / pydantic credits: "by [@user]", "([@a])([@b])", "in #123"
    t = re.sub(r"\(\[@[\w-]+\]\)", "", t)
    t = re.sub(r"\s+by\s+\[@[\w-]+\](?:(?:,\s*|\s+and\s+)\[@[\w-]+\])*", "", t)
    # reference-style [#123] / [\#123]
    t = re.sub(r"\[(#\d+)\]", r"\1", t)
    t = re.sub(r"\[(pr|PR|issue) (#\d+)\]", r"\2", t)
    # "by @user in https://..." / "in https://github.com/.../pull/1"
    t = re.sub(r"\s+by\s+@[\w\-\[\]]+(?:(?:,\s*|\s+and\s+)@[\w\-\[\]]+)*(?:\s+in\s+https?://\S+)?", "", t)
    t = re.sub(r"\s+in\s+https?://github\.com/\S+", "", t)
    t = re.sub(r"\s*\(@[\w\-]+(?:,\s*@[\w\-]+)*\)", "", t)
    # thanks
    t = re.sub(r"[\s,;.(-]*\b(?:many\s+)?thanks?(?:\s+you)?(?:\s+to)?\s+@?[\w\-].*$", "", t, flags=re.I)
    # leading scope markers
    t = re.sub(r"^\*\*([^*]+?):\*\*\s*", r"\1: ", t)
    t = re.sub(r"^\*\*([^*]+?)\*\*:\s*", r"\1: ", t)
    t = re.sub(r"^\*\(([^)*]+)\)\*\s*", r"\1: ", t)
    t = re.sub(r"^\*\*([A-Za-z ]+)\*\*\s+", r"\1 ", t)
    t = re.sub(r"^\*\*\(([^)*]+)\)\*\*\s*", r"\1: ", t)
    # leading abbreviated commit hash (auto-changelog "abc1234 subject") / old dpkg "pkg (1.2.3): "
    t = t.strip()
    t = re.sub(r"^#\d+\s+(?=[A-Za-z])", "", t)
    t = re.sub(r"^(?:(?:issues?|pull requests?|pr|bug|feature|bpo|gh)(?:\([\w-]+\))?[\s-]*#?\d+(?:\s*,?\s*#\d+)*(?:,\s*|\s+and\s+)?)+:\s*", "", t, flags=re.I)
    t = re.sub(r"^[0-9a-f]{7,12}\s+(?=\S)", "", t)
    t = re.sub(r"^[0-9a-f]{7,12}:\s+", "", t)
    t = re.sub(r"^\((?:origin/|HEAD|tag:)[^)]*\)\s*", "", t)
    t = re.sub(r"^[-*]\s+", "", t)
    t = re.sub(r"^(?:\u26a0\ufe0f?|\U0001F4A5)\s*\*\*([^*]+?)\*\*:?\s*", r"\1: ", t)
    t = re.sub(r"^[a-z][\w.+-]* \(\d[\w.:~+-]*\):\s*", "", t)
    # trailing bare URLs / "(url)"
    t = re.sub(r"\s*\(?https?://\S+\)?\s*$", "", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = first_sentence(t)
    t = re.sub(r"\s*\(\s*\)", "", t)
    t = re.sub(r"\s*(?:\(#\d+\)\s*){2,}$", lambda m: " " + " ".join(re.findall(r"\(#\d+\)", m.group(0))), t)
    t = re.sub(r"(?:,\s*|\s+)@[\w-]+\.?$", "", t)
    t = re.sub(r"\s+in\s+[\w/-]*#\w+\s*$", "", t)
    t = re.sub(r",\s*\.$", ".", t)
    t = re.sub(r"(?:,\s*|\s+)#\d+\s*,?\s*$", lambda m: m.group(0) if "(" in m.group(0) else " " + m.group(0).strip(" ,"), t)
    t = t.strip().rstrip(",;").strip()
    return t


SKIP = re.compile(
    r"^(?:release[ds]?\b|version\b|v?\d+(?:\.\d+)+\S*$|merge (?:pull request|branch|remote)|"
    r"initial (?:commit|release|import)|n/?a\.?$|no (?:code |functional |user[- ]facing )?changes|"
    r"nothing\b|.*made (?:their|his|her) first contribution|full changelog|new contributors|"
    r"this (?:release|version)\b|note\b|notes?:|see\b|thanks|special thanks|for more|please\b|"
    r"contributors?:|reported[- ]by|co-authored|signed-off|bug:|closes\b|fixes #|\[?#\d+\]?:?$|"
    r"breaking changes?:?$|yanked|\[\*\*|.*\binitial commit|.*\bfirst commit)", re.I)


def keep(t):
    if not t or "\t" in t:
        return False
    if len(t) > 300 or len(t.split()) < 3:
        return False
    if t.endswith(":"):
        return False
    if SKIP.match(t):
        return False
    if re.match(r"^v?\d+(\.\d+)+\s*(\(|-|$)", t):
        return False
    if re.match(r"^\S+@\S+", t) or re.match(r"^https?://", t):
        return False
    if not re.search(r"[A-Za-z]{3}", t):
        return False
    # list fragments made only of code spans (e.g. "`a` -> `b`")
    if len(re.findall(r"[A-Za-z]{2,}", re.sub(r"`[^`]*`", "", t))) < 2:
        return False
    # bare version bump of the package itself: "1.2.3", "v1.2.3", "Bump version to 1.2.3", "[meta] v1.2.3"
    if re.match(r"^(?:\[[^\]]+\]\s*)?(?:bump(?:ed)?\s+)?(?:version\s+)?(?:to\s+)?v?\d+(\.\d+)+\S*$", t, re.I):
        return False
    return True


def main():
    rows, seen = [], set()
    stats = {}
    for s in sources():
        lines = read_lines(s["path"])
        fmt = s.get("fmt")
        if fmt == "idle":
            it = entries_idle(lines)
        elif fmt == "hashlog":
            it = entries_hashlog(lines)
        elif fmt == "metadata":
            it = entries_bullets(lines, metadata_start(lines))
        else:
            it = entries_bullets(lines)
        n = 0
        for lineno, raw, heading, indent in it:
            if "max_indent" in s and indent > s["max_indent"]:
                continue
            t = clean(raw)
            if not keep(t):
                continue
            k = t.casefold()
            if k in seen:
                continue
            seen.add(k)
            rows.append((t, f"{s['disp']}:{lineno} {s['label']}", s["group"], s["disp"], lineno, heading.replace("\t", " ")))
            n += 1
        stats[s["disp"]] = n
    # commit subjects from the (shallow) git clones under ~/.pyenv
    for d, name in [(HOME + "/.pyenv", "pyenv"), (HOME + "/.pyenv/plugins/pyenv-doctor", "pyenv-doctor"),
                    (HOME + "/.pyenv/plugins/pyenv-update", "pyenv-update"),
                    (HOME + "/.pyenv/plugins/pyenv-virtualenv", "pyenv-virtualenv")]:
        out = subprocess.run(["git", "-C", d, "log", "--format=%h%x09%s"], capture_output=True, text=True).stdout
        for ln in out.splitlines():
            h, subj = ln.split("\t", 1)
            t = clean(subj)
            if keep(t) and t.casefold() not in seen:
                seen.add(t.casefold())
                disp = d.replace(HOME, "~")
                rows.append((t, f"git log {disp} (commit subject {h}, {name})", "git:" + name, "git log " + disp, 0, ""))
                stats["git log " + disp] = stats.get("git log " + disp, 0) + 1
    with open(OUT, "w") as f:
        f.write("text\tsource\tgroup\tpath\tline\theading\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")
    for k, v in sorted(stats.items(), key=lambda x: -x[1]):
        print(f"{v:6d} {k}", file=sys.stderr)
    print(len(rows), "entries", file=sys.stderr)


if __name__ == "__main__":
    main()
