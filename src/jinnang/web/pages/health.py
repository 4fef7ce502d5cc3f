"""The monthly process-health report (《过程短板诊断报告》) for managers and the admin:
`/reports/process-health?month=YYYY-MM` as a page and `/reports/process-health.pdf?month=…` as a
PDF drawn from the same template. A manager's report covers their team; the admin's everyone."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from jinnang.core.errors import InputError
from jinnang.service.health_report import health_report
from jinnang.web.pdf import html_to_pdf
from jinnang.web.session import PageUser, page_user
from jinnang.web.templating import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[PageUser, Depends(page_user("manager"))]


def _report_page(request: Request, user: PageUser, month: str | None, pdf: bool) -> Response:
    month = (month or dt.date.today().strftime("%Y-%m")).strip()
    try:
        report = health_report(user.engine, user.caller, month)
    except InputError as exc:
        return render(request, "health/report.html", status_code=422, report=None, month=month,
                      error=exc.message, pdf=pdf)
    return render(request, "health/report.html", report=report, month=month, error=None, pdf=pdf,
                  generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))


@router.get("/reports/process-health")
def process_health_page(request: Request, user: Manager, month: str | None = None) -> Response:
    return _report_page(request, user, month, pdf=False)


@router.get("/reports/process-health.pdf")
def process_health_pdf(request: Request, user: Manager, month: str | None = None) -> Response:
    page = _report_page(request, user, month, pdf=True)
    if page.status_code != 200:
        return page
    name = f"process-health-{request.query_params.get('month') or 'this-month'}.pdf"
    return Response(html_to_pdf(bytes(page.body).decode()), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
