"""The data directory holds the database and the secret key: nobody else may read them."""

import os
import stat
import subprocess
import sys


def start_settings(data_dir, *extra_env: tuple[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DAILYPAPERS_DATA_DIR": str(data_dir), **dict(extra_env)})
    subprocess.run(
        [sys.executable, "-c", "import os; os.umask(0); import dailypapers.settings"],
        env=env,
        check=True,
    )


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_dir_and_secret_key_are_private_even_with_an_open_umask(tmp_path):
    data_dir = tmp_path / "data"
    start_settings(data_dir)
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600


def test_the_secret_key_is_generated_once_and_kept(tmp_path):
    data_dir = tmp_path / "data"
    start_settings(data_dir)
    first = (data_dir / "secret_key").read_text()
    start_settings(data_dir)
    assert (data_dir / "secret_key").read_text() == first
    assert len(first) >= 50
