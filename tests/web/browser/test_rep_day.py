"""A rep's day on a 390 px phone in a real browser: log a visit with a photo of a signed form, see what was
read from it, search the playbook, open a 锦囊, download the week's 周报; the manager then has the stall
alerts in the app and the team's 企业微信 robot has them once."""
from __future__ import annotations

import io
import time

import pypdf
from PIL import Image

from jinnang.core.paths import DEMO_DOCUMENTS

PHONE = {"width": 390, "height": 844}


def form_photo(path) -> str:
    """The demo's scanned feedback form as a phone would send it: a JPEG with the time and place it was taken."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "HUAWEI", "P60"
    exif.get_ifd(0x8769)[0x9003] = "2026:12:04 10:12:30"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (29.0, 4.0, 44.76), "E", (119.0, 38.0, 50.64)
    Image.open(DEMO_DOCUMENTS / "form-01-jinhua.png").convert("RGB").save(path, "JPEG", exif=exif, quality=90)
    return str(path)


def no_wider_than_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_rep_logs_a_visit_with_a_form_photo_and_sees_what_was_read(visit, tmp_path):
    rep = visit(PHONE).sign_in("demo-rep")
    assert rep.page.locator("[data-testid=new-visit-button]").count() == 1
    assert no_wider_than_the_phone(rep.page)
    rep.screenshot("rep-home-390")
    rep.page.click("[data-testid=new-visit-button]")
    rep.page.wait_for_load_state("networkidle")
    assert rep.page.url.endswith("/visits/new")
    rep.page.select_option("[data-testid=account-select]", "acc-demo-01")
    rep.page.wait_for_selector("[data-testid=last-record]")
    rep.page.fill("[data-testid=visit-text]", "今天去金华市人民医院拜访了设备科郑科长，他说价格比进口的高，预算要等下个月财务处审批。"
                                               "带了样品，当场解答了两个问题，约了12月15日再来演示。")
    rep.page.set_input_files("[data-testid=visit-photo]", form_photo(tmp_path / "form.jpg"))
    assert no_wider_than_the_phone(rep.page)
    rep.screenshot("new-visit-390")
    with rep.page.expect_navigation(timeout=120_000):
        rep.page.click("[data-testid=visit-save]")
    rep.page.wait_for_load_state("networkidle")
    assert "/visits/" in rep.page.url
    assert rep.page.locator("[data-testid=extracted-item]").count() >= 3
    read = rep.page.locator("[data-testid=visit-record]").inner_text()
    assert "郑" in read and "科长" in read and "价格" in read
    assert "2026-12-04 10:12:30" in rep.page.locator("[data-testid=evidence-time]").first.inner_text()
    assert no_wider_than_the_phone(rep.page)
    rep.screenshot("visit-extracted-390")
    # the quick confirm: one tap on a person's 确认 goes to the review endpoint and is kept
    person = rep.page.locator("[data-testid=visit-record] [data-testid=extracted-item][data-field=decision_makers]").first
    person.locator("button[data-review=accept]").click()
    rep.page.wait_for_function("() => document.querySelector('[data-reviewed]') !== null")
    assert person.get_attribute("data-reviewed") == "accept"
    record_id = rep.page.locator("[data-testid=visit-record] [data-record-id]").first.get_attribute("data-record-id")
    stored = rep.page.request.get(f"{rep.base}/v1/review/records/{record_id}").json()
    assert stored["review_status"] == "accepted"


def test_a_rep_searches_the_playbook_and_opens_a_jinnang(visit):
    rep = visit(PHONE).sign_in("demo-rep")
    rep.open("/playbook?q=价格太高了")
    hits = rep.page.locator("[data-testid=search-hit]")
    assert hits.count() >= 3
    assert "价格" in hits.first.inner_text() or "价" in hits.first.locator("mark").first.inner_text()
    rep.screenshot("playbook-search-price-390")
    rep.open("/playbook?q=竞品已经进院了怎么应对")
    assert "竞品" in rep.page.locator("[data-testid=search-hit]").first.inner_text()
    rep.screenshot("playbook-search-competitor-390")
    rep.open("/playbook")
    rep.page.locator("[data-testid=scenario-link]").first.click()
    rep.page.wait_for_load_state("networkidle")
    assert rep.page.locator("[data-testid=scenario-title]").inner_text().strip()
    assert no_wider_than_the_phone(rep.page)
    rep.screenshot("scenario-390")


def test_a_rep_downloads_this_weeks_report_as_a_chinese_pdf(visit):
    rep = visit(PHONE).sign_in("demo-rep")
    rep.open("/reports/weekly")
    href = rep.page.locator("[data-testid=weekly-pdf]").get_attribute("href")
    rep.screenshot("weekly-report-390")
    answer = rep.page.request.get(rep.base + href)
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(answer.body())).pages)
    assert "周报" in text and "张伟" in text


def test_the_manager_has_the_stall_alerts_in_the_app_and_the_robot_has_them_once(visit, wecom_robot):
    manager = visit().sign_in("demo-manager")
    unread = manager.page.locator("[data-testid=unread-count]")
    assert int(unread.inner_text()) > 0
    manager.open("/notifications")
    assert manager.page.locator("[data-testid=notification]").count() > 0
    manager.screenshot("notifications")
    deadline = time.monotonic() + 90
    while not wecom_robot.messages and time.monotonic() < deadline:
        time.sleep(1)
    assert wecom_robot.messages, "the 企业微信 robot got nothing"
    bodies = [m["body"] for m in wecom_robot.messages]
    assert all(b["msgtype"] == "markdown" and b["markdown"]["content"] for b in bodies)
    contents = [b["markdown"]["content"] for b in bodies]
    assert len(contents) == len(set(contents))  # each alert once
