"""Every environment variable the code reads is in the README's configuration table, and
the table documents none that nothing reads (as Datasette's docs tests do for its settings).
"""

from .documented_settings import variables_in_readme_table, variables_read_by_the_code


def test_every_variable_the_code_reads_is_in_the_readme_table():
    missing = sorted(variables_read_by_the_code() - variables_in_readme_table())
    assert not missing, f"add these to the README's Configuration table: {missing}"


def test_the_readme_table_documents_no_variable_that_nothing_reads():
    stale = sorted(variables_in_readme_table() - variables_read_by_the_code())
    assert not stale, f"the README's Configuration table documents unread variables: {stale}"


def test_the_scan_finds_variables_read_in_each_way():
    """The scan itself: os.environ.get, os.environ[...], and settings.py's helpers."""
    found = variables_read_by_the_code()
    assert {"DAILYPAPERS_DATA_DIR", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"} <= found
    assert "DAILYPAPERS_EMBEDDING_CACHE" in found  # os.environ["…"]
    assert "DAILYPAPERS_RATE_VOTE_PER_CLIENT" in found  # env_rate("…")
