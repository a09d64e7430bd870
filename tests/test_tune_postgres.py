"""A study shared through a real PostgreSQL server, as workers on several machines share it.

The server is a throwaway cluster started here on a free localhost port
(``initdb`` + ``pg_ctl`` from ``/usr/lib/postgresql/*/bin``, installed by
``scripts/install-postgres.sh``), or the one named by
``MLPLAB_TEST_POSTGRES_URL``. Where neither is possible the tests are skipped
with the reason.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SPACE = {"dataset": "moons", "epochs": 3, "hidden": [8], "lr": {"low": 1e-3, "high": 0.3, "log": True}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    """Run a server command as the ``postgres`` user when we are root (initdb refuses root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url():
    url = os.environ.get("MLPLAB_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed: pip install 'psycopg[binary]'")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
            "run scripts/install-postgres.sh or set MLPLAB_TEST_POSTGRES_URL"
        )
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _user_exists("postgres")):
        pytest.skip("running as root needs the postgres user and runuser to start a server")
    bin_dir = Path(found[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="mlplab-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder}"
    steps = [
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "mlplab", "--auth=trust", "-E", "UTF8"],
        [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w", "start"],
        [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "mlplab", "optuna"],
    ]
    for step in steps:
        done = subprocess.run(_as_postgres(step), capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            subprocess.run(
                _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
            )
            shutil.rmtree(folder, ignore_errors=True)
            pytest.skip(
                f"could not start a PostgreSQL server: {Path(step[0]).name} said {(done.stderr or done.stdout).strip()[-300:]}"
            )
    try:
        yield f"postgresql://mlplab@127.0.0.1:{port}/optuna"
    finally:
        subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _tune(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mlplab", "tune", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_two_machines_share_one_study_through_postgresql(postgres_url, tmp_path):
    """Two ``mlplab tune`` commands started at once on a fresh database, as on two machines, same command.

    Together they run the study's budget of 12 trials (two starting a trial at the same
    moment may run one more) and never the same configuration twice. A third machine
    then joins without a space file (it reads the study's, sampler included) and raises
    the budget to 15.
    """
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump({**SPACE, "epochs": 20, "patience": 0}))
    common = [
        "--config",
        str(space),
        "--storage",
        postgres_url,
        "--study",
        "machines",
        "--sampler",
        "random",
        "--pruner",
        "none",
        "--no-final",
        "--quiet",
    ]
    machines = [_tune(*common, "--n-trials", "12", "--out", str(tmp_path / name)) for name in "ab"]
    outcomes = [(m.wait(timeout=300), m.stderr.read()) for m in machines]
    assert [code for code, _ in outcomes] == [0, 0], [err[-800:] for _, err in outcomes]
    trials = optuna.load_study(study_name="machines", storage=postgres_url).trials
    assert 12 <= len(trials) <= 13 and all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.params["lr"] for t in trials}) == len(trials)  # the same seed on both, yet no configuration twice
    assert len({t.user_attrs["worker"] for t in trials}) == 2
    best = [yaml.safe_load((tmp_path / name / "best.yaml").read_text()) for name in "ab"]
    assert best[0] == best[1]  # each machine waited for the other's last trial: both wrote the same best

    third = _tune(
        "--storage",
        postgres_url,
        "--study",
        "machines",
        "--n-trials",
        "15",
        "--out",
        str(tmp_path / "c"),
        "--no-final",
        "--quiet",
    )
    assert third.wait(timeout=300) == 0, third.stderr.read()[-800:]
    study = optuna.load_study(study_name="machines", storage=postgres_url)
    assert len(study.trials) == max(15, len(trials)) and study.user_attrs["sampler"] == "random"


def test_two_local_workers_on_postgresql(postgres_url, tmp_path):
    from mlplab.tune import SearchSpace, tune

    space = SearchSpace.from_mapping(
        {**SPACE, "lr": {"choices": [0.001, 0.01, 0.03, 0.1, 0.3]}, "hidden": {"choices": [[4], [8]]}}
    )
    result = tune(
        space,
        tmp_path,
        sampler="grid",
        workers=2,
        storage=postgres_url,
        study_name="grid-workers",
        final=False,
        verbose=False,
    )
    trials = result.study.trials
    assert len(trials) == 10 and len({tuple(sorted(t.params.items())) for t in trials}) == 10
    assert len({t.user_attrs["worker"] for t in trials}) == 2
