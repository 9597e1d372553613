import pytest

from dailypapers.papers.links import find_github_repo, find_project_page


@pytest.mark.parametrize(
    "text, repo",
    [
        ("Code is available at https://github.com/acme/method.", "https://github.com/acme/method"),
        ("Code: https://github.com/acme/method.git, data soon", "https://github.com/acme/method"),
        ("see https://github.com/acme/method/tree/main/src)", "https://github.com/acme/method"),
        ("(https://github.com/Acme-Lab/my.repo)", "https://github.com/Acme-Lab/my.repo"),
        ("only an org https://github.com/acme", ""),
        ("no links here", ""),
    ],
)
def test_find_github_repo_in_abstract_or_comment(text, repo):
    assert find_github_repo(text) == repo


def test_find_project_page_prefers_github_io_and_named_pages():
    assert (
        find_project_page("The project page is released at https://miao-ai-lab.github.io/LARP/.")
        == "https://miao-ai-lab.github.io/LARP/"
    )
    assert (
        find_project_page("Project website: https://example.org/ootd") == "https://example.org/ootd"
    )


def test_find_project_page_ignores_code_and_arxiv_links():
    assert (
        find_project_page(
            "Project page: https://github.com/acme/method and https://arxiv.org/abs/2401.00001"
        )
        == ""
    )
    assert find_project_page("Data at https://zenodo.org/record/1") == ""
