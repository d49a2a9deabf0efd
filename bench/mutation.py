#!/usr/bin/env python3
"""Mutation testing of the rules: ``cases/permissions.py``, ``org/scoping.py`` and
``cases/worktime.py``, each against the tests that pin it down, with cosmic-ray.

    .venv/bin/pip install -e '.[test,mutation]'
    .venv/bin/python bench/mutation.py [--modules permissions scoping worktime] [--jobs 2]

cosmic-ray makes every AST mutant of a module (a comparison, an operator, a boolean,
a number, a decorator changed) and runs the test command once per mutant; a mutant
the tests do not fail on "survived". Prints one JSON object: per module the mutants
killed, survived and the score, and each survivor (line, operator, diff); survivors
listed in ``EQUIVALENT`` below (a change no test could see: same behaviour) are
reported apart, with the reason.

Nothing in the working tree is mutated: each module is mutated in its own copy of
``src/`` and ``tests/`` in a temporary folder. Three things keep a run to minutes:

- mutants inside type annotations are skipped (the modules use
  ``from __future__ import annotations``, so annotations are never evaluated);
- the test command does not start Python, Django, scikit-learn and jieba anew for each
  mutant: it asks a small server (``_serve``, started once per copy, with those
  imported) to fork a child that runs pytest on the copy (``-x``: the first failure
  kills the mutant); the modules under test are imported only in the child;
- the tests run on SQLite in memory.

A mutant whose tests run past the time limit is killed (an endless loop is a failure
any test would show).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# module → (path under src/civicgrid, pytest arguments: the tests that pin it down,
# fastest killers first). The database is built from the models (--nomigrations: no
# migration writes data), and worktime's tests need no Django at all.
TARGETS: dict[str, tuple[str, list[str]]] = {
    "permissions": (
        "cases/permissions.py",
        [
            "--nomigrations",
            "tests/cases/test_state_matrix.py",
            "tests/cases/test_edges.py",
            "tests/cases/test_permissions.py",
            "tests/cases/test_lifecycle.py",
            "tests/cases/test_rules.py",
        ],
    ),
    "scoping": (
        "org/scoping.py",
        [
            "--nomigrations",
            "tests/org/test_scoping.py",
            "tests/cases/test_edges.py",
            "tests/cases/test_permissions.py",
            "tests/cases/test_state_matrix.py",
        ],
    ),
    "worktime": (
        "cases/worktime.py",
        ["-p", "no:django", "--noconftest", "tests/cases/test_worktime.py"],
    ),
}

# Survivors judged equivalent: (module, operator, the mutated line as written) → why no
# test can tell the mutant from the original.
_SHORTCUT = "between's whole-day shortcut made stricter: the loop it skips adds the same periods"
_SKIP = "add's whole-day skip made stricter: the loop it skips subtracts the same periods"
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("worktime", "ReplaceBinaryOperator_Add_BitOr", "for _ in range(MAX_DAYS_WITHOUT_WORK + 1):"): (
        "1098 | 1 == 1098 + 1"
    ),
    (
        "worktime",
        "ReplaceBinaryOperator_Add_BitXor",
        "for _ in range(MAX_DAYS_WITHOUT_WORK + 1):",
    ): "1098 ^ 1 == 1098 + 1",
    ("worktime", "NumberReplacer", "@lru_cache(maxsize=8192)"): "the cache's size, not its answers",
    ("worktime", "RemoveDecorator", "@lru_cache(maxsize=8192)"): (
        "the cache saves time, not answers: the package's answer for a date never changes"
    ),
    ("worktime", "ReplaceComparisonOperator_Eq_LtE", "if duration == ZERO:"): (
        "a negative duration was refused just before: <= ZERO is == ZERO here"
    ),
    ("worktime", "ReplaceComparisonOperator_Gt_GtE", "if high > low:"): (
        "an overlap of zero length adds zero"
    ),
    (
        "permissions",
        "ReplaceComparisonOperator_Eq_LtE",
        "if action == Action.ACKNOWLEDGE and case.state == State.HANDLING:",
    ): "no action's name sorts before 'acknowledge': <= holds for it alone, as == does",
    **{
        ("worktime", op, "if e <= s:"): (
            "between's early zero made narrower: when e < s the loop finds no overlap either"
        )
        for op in (
            "ReplaceComparisonOperator_LtE_Eq",
            "ReplaceComparisonOperator_LtE_Lt",
            "ReplaceComparisonOperator_LtE_Is",
        )
    },
    **{
        ("worktime", op, "if periods and s <= periods[0][0] and periods[-1][1] <= e:"): _SHORTCUT
        for op in (
            "ReplaceComparisonOperator_LtE_Eq",
            "ReplaceComparisonOperator_LtE_Lt",
            "ReplaceComparisonOperator_LtE_Is",
        )
    },
    **{
        ("worktime", op, "elif t <= periods[0][0] and remaining > length:"): _SKIP
        for op in (
            "ReplaceComparisonOperator_LtE_Eq",
            "ReplaceComparisonOperator_LtE_Lt",
            "ReplaceComparisonOperator_LtE_Is",
            "ReplaceComparisonOperator_Gt_Is",
        )
    },
}

# Imported by the server before it forks: the slow libraries, none of civicgrid (the
# child imports it, mutant included).
PRELOAD = [
    "pytest",
    "pytest_django",
    "hypothesis",
    "factory",
    "django.db.models",
    "django.test",
    "numpy",
    "scipy.sparse",
    "sklearn.svm",
    "sklearn.linear_model",
    "sklearn.feature_extraction.text",
    "shapely",
    "PIL.Image",
    "jieba",
    "chinese_calendar",
]


# --- the fork server and its client -----------------------------------------------------


def serve(root: Path, sock_path: str, targets: list[str]) -> None:
    """Import the slow libraries once, then for each request fork a child that runs
    pytest on ``root`` with the request's arguments; answer with its exit status."""
    os.chdir(root)
    sys.path.insert(0, str(root / "src"))
    sys.dont_write_bytecode = True
    os.environ["DJANGO_SETTINGS_MODULE"] = "civicgrid.settings"
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    # Not django.setup(): the settings read cases/worktime.py (the working hours).
    loaded = [t for t in targets if t in sys.modules]
    if loaded:
        sys.exit(f"the server imported {loaded} before forking: mutants would not be seen")

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(4)
    with open(f"{sock_path}.log", "a") as log:
        while True:
            conn, _ = server.accept()
            with conn, conn.makefile() as reader:
                request = json.loads(reader.readline())
                started = time.monotonic()
                code = run_child(request["args"], request["timeout"])
                conn.sendall(f"{code}\n".encode())
            print(f"{time.time():.0f} exit {code} in {time.monotonic() - started:.1f} s", file=log)
            log.flush()


def run_child(args: list[str], timeout: float) -> int:
    pid = os.fork()
    if pid == 0:  # the child: pytest on the copy, quietly
        code = 3
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest

            code = int(pytest.main([*args, "-x", "-q", "-p", "no:cacheprovider"]))
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return 124  # timed out: killed


def client(sock_path: str, timeout: float, args: list[str]) -> int:
    """The test command cosmic-ray runs: one request to the server, its exit status."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(sock_path)
        conn.sendall((json.dumps({"args": args, "timeout": timeout}) + "\n").encode())
        with conn.makefile() as reader:
            answer = reader.readline().strip()
    code = int(answer) if answer else 3
    print("timed out" if code == 124 else f"pytest exit {code}")
    return code


# --- one module -----------------------------------------------------------------------------


def annotation_lines(path: Path) -> set[tuple[int, int, int, int]]:
    """The source ranges of every annotation (arguments, returns, annotated names)."""
    spans = set()
    for node in ast.walk(ast.parse(path.read_text())):
        found = []
        if isinstance(node, ast.arg) and node.annotation is not None:
            found.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            found.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
        for a in found:
            spans.add((a.lineno, a.col_offset, a.end_lineno or a.lineno, a.end_col_offset or 0))
    return spans


def inside(pos: tuple[int, int], span: tuple[int, int, int, int]) -> bool:
    line, col = pos
    start = (span[0], span[1])
    end = (span[2], span[3])
    return start <= (line, col) <= end


def skip_annotations(session: Path, module: Path) -> int:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans = annotation_lines(module)
    skipped = 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in db.work_items:
            m = item.mutations[0]
            if any(inside(tuple(m.start_pos), s) for s in spans):
                db.set_result(
                    item.job_id,
                    WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="annotation"),
                )
                skipped += 1
    return skipped


def copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "src", dest / "src", ignore=ignore)
    shutil.copytree(ROOT / "tests", dest / "tests", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    (dest / "var").mkdir()


def forget_survivors(session: Path) -> int:
    """Clear every result but kills and skips, so that ``exec`` runs those mutants again
    (against tests added since: a mutant killed stays killed when tests are only added)."""
    with sqlite3.connect(session) as db:
        return db.execute(
            "DELETE FROM work_results WHERE worker_outcome != 'SKIPPED'"
            " AND (test_outcome IS NULL OR test_outcome != 'KILLED')"
        ).rowcount


@contextlib.contextmanager
def test_server(root: Path, sock: str, module: str, env: dict[str, str]) -> Iterator[None]:
    """A fresh fork server for ``root`` while the block runs."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(sock)
    server = subprocess.Popen(
        [sys.executable, __file__, "_serve", str(root), sock, module], env=env, cwd=root
    )
    try:
        while not os.path.exists(sock):
            if server.poll() is not None:
                raise RuntimeError(f"{module}: the test server stopped ({server.returncode})")
            time.sleep(0.1)
        yield
    finally:
        server.terminate()
        server.wait(10)


def confirm_survivors(session: Path, root: Path, command: str, env: dict[str, str]) -> list:
    """Run each survivor once more, alone (``cosmic-ray mutate-and-test``): a survivor
    is reported only if it survives twice. Returns the jobs killed the second time."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    second = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome != WorkerOutcome.NORMAL:
                continue
            if result.test_outcome == TestOutcome.KILLED:
                continue
            m = item.mutations[0]
            retest = [str(m.module_path), m.operator_name, str(m.occurrence), command]
            again = subprocess.run(
                [str(BIN / "cosmic-ray"), "mutate-and-test", *retest],
                cwd=root,
                env=env,
                capture_output=True,
                check=True,
            )
            outcome = json.loads(again.stdout)
            if outcome["test_outcome"] == "killed":
                second.append(item.job_id)
                db.set_result(
                    item.job_id,
                    WorkResult(
                        worker_outcome=WorkerOutcome.NORMAL,
                        test_outcome=TestOutcome.KILLED,
                        output=f"killed when run again ({outcome['output'].strip()})",
                        diff=result.diff,
                    ),
                )
    return second


def run_module(name: str, work: Path, timeout: float, resume: bool) -> dict:
    rel, tests = TARGETS[name]
    root = work / name
    session = work / f"{name}.sqlite"
    resume = resume and session.exists()
    if root.exists():
        shutil.rmtree(root)
    copy_tree(root)
    module = root / "src" / "civicgrid" / rel
    sock = str(work / f"{name}.sock")
    env = {**os.environ, "CIVICGRID_DATA_DIR": str(root / "var"), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CIVICGRID_DATABASE_URL", None)
    dotted = "civicgrid." + rel.removesuffix(".py").replace("/", ".")
    command = " ".join([sys.executable, __file__, "_run", sock, str(timeout), "--", *tests])
    cr = [str(BIN / "cosmic-ray"), "--verbosity", "ERROR"]
    with test_server(root, sock, dotted, env):
        started = time.monotonic()
        baseline = subprocess.run(command.split(), env=env, cwd=root, capture_output=True)
        baseline_s = time.monotonic() - started
        if baseline.returncode != 0:
            raise RuntimeError(f"{name}: the tests fail before any mutation: {baseline.stdout}")
        config = work / f"{name}.toml"
        config.write_text(
            "[cosmic-ray]\n"
            f'module-path = "src/civicgrid/{rel}"\n'
            f"timeout = {timeout + 60}\n"
            "excluded-modules = []\n"
            f"test-command = {json.dumps(command)}\n"
            '[cosmic-ray.distributor]\nname = "local"\n'
        )
        if resume:
            forget_survivors(session)
        else:
            subprocess.run([*cr, "init", str(config), str(session)], check=True, cwd=root, env=env)
        skipped = skip_annotations(session, module)
        started = time.monotonic()
        subprocess.run([*cr, "exec", str(config), str(session)], check=True, cwd=root, env=env)
    with test_server(root, sock, dotted, env):
        second = confirm_survivors(session, root, command, env)
    took = time.monotonic() - started
    dump = subprocess.run(
        [*cr, "dump", str(session)], check=True, cwd=root, env=env, capture_output=True
    ).stdout.decode()
    result = summarise(name, module, dump, skipped, round(baseline_s, 1), round(took))
    result["killed_only_when_run_again"] = len(second)
    return result


def summarise(name: str, module: Path, dump: str, skipped: int, baseline_s, took) -> dict:
    lines = module.read_text().splitlines()
    killed = timeouts = 0
    survivors, equivalent, other = [], [], []
    for row in dump.splitlines():
        item, result = json.loads(row)
        if result is None:
            other.append({"job": item["job_id"], "outcome": "not run"})
            continue
        if result["worker_outcome"] == "skipped":
            continue
        m = item["mutations"][0]
        line_no = m["start_pos"][0]
        where = {
            "line": line_no,
            "operator": m["operator_name"].removeprefix("core/"),
            "occurrence": m["occurrence"],
            "code": lines[line_no - 1].strip(),
        }
        if result["worker_outcome"] != "normal":
            other.append({**where, "outcome": result["worker_outcome"]})
        elif result["test_outcome"] == "killed":
            killed += 1
            timeouts += "timed out" in (result["output"] or "")
        elif result["test_outcome"] == "survived":
            reason = EQUIVALENT.get((name, where["operator"], where["code"]))
            if reason:
                equivalent.append({**where, "why": reason})
            else:
                diff = [
                    d
                    for d in result["diff"].splitlines()
                    if d[:1] in "+-" and d[:3] not in ("+++", "---")
                ]
                survivors.append({**where, "diff": diff})
        else:
            other.append({**where, "outcome": result["test_outcome"]})
    total = killed + len(survivors) + len(equivalent) + len(other)
    judged = total - len(equivalent)
    return {
        "module": f"civicgrid/{TARGETS[name][0]}",
        "tests": [a for a in TARGETS[name][1] if a.startswith("tests/")],
        "mutants": total,
        "skipped_in_annotations": skipped,
        "killed": killed,
        "killed_by_time_limit": timeouts,
        "survived": len(survivors),
        "equivalent": len(equivalent),
        "other": other,
        "score": f"{killed}/{total}",
        "score_without_equivalent": f"{killed}/{judged}",
        "all_non_equivalent_killed": killed == judged,
        "baseline_test_s": baseline_s,
        "run_s": took,
        "survivors": survivors,
        "judged_equivalent": equivalent,
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve(Path(sys.argv[2]), sys.argv[3], sys.argv[4:])
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "_run":
        split = sys.argv.index("--")
        return client(sys.argv[2], float(sys.argv[3]), sys.argv[split + 1 :])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="+", choices=sorted(TARGETS), default=list(TARGETS))
    parser.add_argument("--jobs", type=int, default=2, help="modules mutated at once")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per mutant's tests")
    parser.add_argument("--keep", type=Path, help="keep the copies and sessions here")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="with --keep: run again only the mutants not killed in the sessions kept there",
    )
    args = parser.parse_args()
    if shutil.which("cosmic-ray", path=str(BIN)) is None:
        sys.exit("cosmic-ray is not installed: .venv/bin/pip install -e '.[test,mutation]'")
    work = args.keep or Path(tempfile.mkdtemp(prefix="civicgrid-mutation-"))
    work.mkdir(parents=True, exist_ok=True)

    def one(m: str) -> dict:
        return run_module(m, work, args.timeout, args.resume)

    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(one, args.modules))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"tool": "cosmic-ray", "modules": results}, ensure_ascii=False, indent=2))
    return 0 if all(r["all_non_equivalent_killed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
