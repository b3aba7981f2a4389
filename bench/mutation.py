"""Mutation score of the business rules (issue 21): mutmut over every service's pure ``domain/``
package and the shared form validation, one table, then the surviving mutants.

    bench/mutation [--only demandes,identity,...] [--keep DIR [--again]] [--report DIR] [--show]
    .venv/bin/python bench/mutation.py [same options]

For each target a temporary folder receives a copy of the package and of the unit tests of its
rules (the test files of the service's ``tests/unit`` that import the rules and nothing else of
the service: use-case tests with their database would run for every mutant they reach), a
``pyproject.toml`` with a ``[tool.mutmut]`` section restricted to the rules' files, and mutmut
runs there with ONE child process under ``nice -n 15`` (the machine is shared). mutmut imports
the mutated copy from its ``mutants/`` folder ahead of the editable install. Nothing is asserted:
the script prints figures; it is not part of the test command.

Not mutated (the same for every target, see bench/README.md): lines that only hold a
person-facing message — a string constant whose name is in capitals (``EMAIL_INVALID = "..."``)
or a sentence alone on its line inside a message —, the text of programmer errors
(``raise ValueError("...")``) and docstrings (mutmut leaves those alone itself). Messages are
product behaviour, but their wording is checked by the tests that assert them; a mutant that
appends ``XX`` to every French sentence tells nothing about the rules.

Score = (killed + timeout) / (mutants - skipped), as mutmut computes it.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"

# Lines holding only a message: `NAME = "..."` / `NAME = (` constants in capitals, and string
# literals alone on their line (the continuation lines of a long message). Python regexes
# matched against each source line by mutmut (`do_not_mutate_patterns`).
MESSAGE_LINES = [
    r'^\s*[A-Z][A-Z0-9_]*\s*=\s*f?"[^"]*\s[^"]*"\s*$',
    r'^\s*[A-Z][A-Z0-9_]*\s*=\s*\(\s*$',
    r'^\s*f?"[^"]*\s[^"]*"\s*\)?,?\s*$',
    # programmer errors (never shown to a person): the text of `raise ValueError("...")` & co.
    r'^\s*raise (ValueError|TypeError|AttributeError)\(f?"[^"]*"\)\s*$',
]


PYTEST_ARGS = ["-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:anyio", "-p", "no:hypothesispytest",
               "-q"]


@dataclass(frozen=True)
class Target:
    name: str  # the table's "module" column
    root: Path  # the folder that holds the package (a service's folder, shared/)
    package: str  # the package copied (and put on sys.path by mutmut)
    mutate: tuple[str, ...]  # mutmut's only_mutate globs, relative to the temporary folder
    tests: tuple[str, ...]  # test files or folders copied, relative to root


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def rule_tests(unit_dir: Path, package: str, rules: str, also: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The unit test files of the rules: those that import ``rules`` (a module or package) and,
    from ``package``, nothing else (use-case tests with their database stay out: they would run
    for each mutant they reach, at many seconds each on this machine). The conftest comes along."""
    chosen = []
    for path in sorted(unit_dir.glob("test_*.py")):
        ours = {m for m in imported_modules(path) if m == package or m.startswith(package + ".")}
        if any(m == rules or m.startswith(rules + ".") for m in ours) and all(
                m == package or m == rules or m.startswith(rules + ".") or m in also for m in ours):
            chosen.append(path)
    chosen += [p for p in [unit_dir / "conftest.py"] if p.exists()]
    return tuple(str(p.relative_to(unit_dir.parents[1])) for p in chosen)


def targets() -> list[Target]:
    found = []
    for domain in sorted(ROOT.glob("services/*/*_service/domain")):
        service_dir = domain.parents[1]
        package = domain.parent.name
        found.append(Target(name=f"{package}.domain", root=service_dir, package=package,
                            mutate=(f"{package}/domain/*",),
                            tests=rule_tests(service_dir / "tests" / "unit", package, f"{package}.domain")))
    shared = ROOT / "shared"
    found.append(Target(name="consignations_shared.validation", root=shared, package="consignations_shared",
                        mutate=("consignations_shared/validation.py",),
                        tests=rule_tests(shared / "tests" / "unit", "consignations_shared",
                                         "consignations_shared.validation",
                                         also=("consignations_shared.errors",
                                               "consignations_shared.errors.ValidationFailed"))))
    return found


def pyproject(target: Target) -> str:
    def toml_list(items) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    return "\n".join([
        "[tool.mutmut]",
        f"source_paths = {toml_list([target.package + '/'])}",
        f"only_mutate = {toml_list(target.mutate)}",
        f"pytest_add_cli_args_test_selection = {toml_list(['tests/unit'])}",
        f"pytest_add_cli_args = {toml_list(PYTEST_ARGS)}",
        f"do_not_mutate_patterns = {toml_list(MESSAGE_LINES)}",
        "use_git_change_detection = false",
        "",
        "[tool.pytest.ini_options]",
        'addopts = "--import-mode=importlib"',
        "filterwarnings = [\"ignore::DeprecationWarning\"]",
        "",
    ])


def prepare(target: Target, folder: Path) -> None:
    shutil.copytree(target.root / target.package, folder / target.package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    for item in target.tests:
        source, destination = target.root / item, folder / item
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination)
    (folder / "pyproject.toml").write_text(pyproject(target), encoding="utf-8")


def mutmut(folder: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    command = ["nice", "-n", "15", str(PYTHON), "-m", "mutmut", *args]
    return subprocess.run(command, cwd=folder, text=True, check=False,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                          stderr=subprocess.STDOUT if capture else subprocess.DEVNULL)


STATUS = {1: "killed", 3: "killed", 0: "survived", 36: "timeout", -24: "timeout", 24: "timeout",
          152: "timeout", 255: "timeout", 34: "skipped", 5: "no tests", 33: "no tests"}


def results(folder: Path) -> dict[str, str]:
    """mutant name -> status, read from mutmut's .meta files (what `mutmut results --all` prints)."""
    statuses = {}
    for meta in sorted((folder / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, code in data.get("exit_code_by_key", {}).items():
            statuses[name] = "not checked" if code is None else STATUS.get(code, "suspicious")
    return statuses


def summarise(folder: Path, show: bool) -> dict:
    statuses = results(folder)
    survivors = sorted(n for n, s in statuses.items() if s not in ("killed", "timeout", "skipped"))
    diffs = {name: mutmut(folder, "show", name, capture=True).stdout.strip() for name in survivors} if show else {}
    counts = {s: sum(1 for v in statuses.values() if v == s) for s in set(statuses.values())}
    total = len(statuses)
    tested = total - counts.get("skipped", 0)
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    return {"mutants": total, "killed": counts.get("killed", 0), "survived": tested - killed,
            "timeout": counts.get("timeout", 0), "score": 100.0 * killed / tested if tested else 0.0,
            "survivors": survivors, "statuses": statuses, "diffs": diffs, "seconds": 0.0}


def run_target(target: Target, keep: Path | None, show: bool, again: bool = False) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"mutation-{target.package}-")) if keep is None else keep / target.name
    started = time.monotonic()
    if again and (folder / "mutants").is_dir():
        # The kept run's survivors only, against this checkout's tests (mutmut collects the new
        # tests' coverage again); the mutants it already killed are not run again.
        survivors = summarise(folder, False)["survivors"]
        for item in (target.package, "tests"):
            shutil.rmtree(folder / item)
        prepare(target, folder)
        if survivors:
            mutmut(folder, "run", "--max-children", "1", *survivors, capture=True)
        return {**summarise(folder, show), "module": target.name, "seconds": time.monotonic() - started}
    if keep is not None and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        prepare(target, folder)
        run = mutmut(folder, "run", "--max-children", "1", capture=True)
        if not results(folder):
            print(f"{target.name}: mutmut produced no results (exit {run.returncode})\n{run.stdout[-3000:]}",
                  file=sys.stderr)
        return {**summarise(folder, show), "module": target.name, "seconds": time.monotonic() - started}
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="",
                        help="comma-separated parts of module names (demandes,identity,validation...)")
    parser.add_argument("--keep", type=Path, help="run in DIR/<module> and keep it (mutmut browse/show there)")
    parser.add_argument("--show", action="store_true", help="print the diff of every surviving mutant")
    parser.add_argument("--again", action="store_true",
                        help="with --keep: only the kept run's survivors again, with this checkout's tests")
    parser.add_argument("--report", type=Path, help="run nothing: the table of the folders kept in DIR by --keep")
    args = parser.parse_args()
    wanted = [w for w in args.only.split(",") if w]
    chosen = targets() if not wanted else [t for w in wanted for t in targets() if w in t.name]
    rows = []
    for target in dict.fromkeys(chosen):  # in the order of --only
        if args.report:
            rows.append(summarise(args.report.resolve() / target.name, args.show))
            rows[-1]["module"] = target.name
            continue
        print(f"mutating {target.name} ...", file=sys.stderr, flush=True)
        rows.append(run_target(target, args.keep.resolve() if args.keep else None, args.show, args.again))
        row = rows[-1]
        print(f"  {row['mutants']} mutants, {row['score']:.1f} % killed, {row['seconds']:.0f} s",
              file=sys.stderr, flush=True)

    header = f"{'module':<34} {'mutants':>8} {'killed':>7} {'survived':>9} {'timeout':>8} {'score':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['module']:<34} {row['mutants']:>8} {row['killed']:>7} {row['survived']:>9} "
              f"{row['timeout']:>8} {row['score']:>6.1f}%")
    for row in rows:
        if not row["survivors"]:
            continue
        print(f"\nSurviving mutants of {row['module']} ({len(row['survivors'])}):")
        for name in row["survivors"]:
            print(f"    {name}: {row['statuses'][name]}")
            if name in row["diffs"]:
                print("        " + row["diffs"][name].replace("\n", "\n        "))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
