"""In Chromium, with a real Celery worker: create a recipient list, upload a CSV file,
watch its import's progress bar reach 100% and the counts appear without reloading,
then download the rejected rows."""

import csv

import pytest
from playwright.sync_api import expect

from sending.models import ImportStatus, ReceiverImport, ReceiverList
from tests.conftest import PASSWORD

ROWS = 5000


def csv_file() -> bytes:
    """ROWS addresses with name data (GB18030, as Excel saves it in Chinese), one
    repeated and one invalid."""
    lines = ["email,name"]
    lines += [f"user{i}@example.com,用户{i}" for i in range(ROWS)]
    lines += ["user7@example.com,Again", "not-an-address,Nobody"]
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_upload_a_list_and_watch_it_import(
    browser_page, start_worker, settings, tmp_path, make_account, make_operator
):
    settings.SES_IMPORT_DIR = tmp_path / "imports"
    start_worker(SES_IMPORT_DIR=settings.SES_IMPORT_DIR)
    account = make_account("acme")
    operator = make_operator(account, "alice@acme.example")
    page = browser_page
    page.goto("/login/")
    page.get_by_label("Email").fill(operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Recipient Lists").click()
    expect(page.get_by_test_id("empty-state")).to_contain_text("No recipient lists yet")
    page.get_by_label("Name").fill("Customers")
    page.get_by_label("Description").fill("Everyone who bought")
    page.get_by_role("button", name="Create list").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.get_by_test_id("no-imports")).to_be_visible()
    expect(page.get_by_test_id("format-hint")).to_contain_text("email,name,code")

    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": csv_file()}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("customers.csv uploaded")).to_be_visible()
    # From here on the page must not reload: this mark would be gone.
    page.evaluate("window.notReloaded = true")
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    expect(progress).to_contain_text("100%")
    expect(page.get_by_test_id("import-status")).to_have_text("Done")
    expect(page.get_by_test_id("valid-count")).to_have_text(str(ROWS))
    expect(page.get_by_test_id("invalid-count")).to_contain_text("1")
    expect(page.get_by_test_id("variables")).to_contain_text("name")
    expect(page.get_by_test_id("list-status")).to_have_text("Ready")
    expect(page.get_by_test_id("upload-form")).to_be_visible()
    expect(page.get_by_test_id("addresses")).to_contain_text("用户0")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("#recipient-list").get_attribute("data-running") == "false"

    receiver_import = ReceiverImport.objects.get()
    assert receiver_import.status == ImportStatus.DONE
    assert receiver_import.encoding == "gb18030"
    assert ReceiverList.objects.get().valid_count == ROWS

    with page.expect_download() as downloading:
        page.get_by_test_id("rejections-download").click()
    download = downloading.value
    assert download.suggested_filename == "customers-rejected.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as saved:
        rows = list(csv.reader(saved))
    assert rows == [
        ["line", "content", "reason"],
        [str(ROWS + 2), "user7@example.com,Again", "The address is in the list already."],
        [
            str(ROWS + 3),
            "not-an-address,Nobody",
            "Kept as an invalid address: 'not-an-address' is not a valid email address.",
        ],
    ]
