"""The weekly report (周报): `/reports/weekly?rep=ID&week=YYYY-Www` as a page and `/reports/weekly.pdf?…` as a
PDF drawn from the same template; `?team=1` is a manager's whole team.

Who: the rep themselves, their manager, the admin; anyone else gets 403. Without `rep` a rep sees their
own report and a manager their team's; without `week`, this week.
"""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.core.users import UserRow
from jinnang.service.weekly import WeeklyReport, parse_week, weekly_report
from jinnang.web.pdf import html_to_pdf
from jinnang.web.session import PageForbidden, PageUser, page_user
from jinnang.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[PageUser, Depends(page_user("rep", "manager"))]


def _all_reps(user: PageUser) -> set[str]:
    with Session(open_engine(user.settings.db_url)) as session:
        return {r for r in session.scalars(select(UserRow.rep_id).where(UserRow.role == "rep")) if r}


def _reps(user: PageUser, rep: str | None, team: bool) -> tuple[set[str], bool]:
    """The reps the report covers and whether it is a team's; refused when not the person's to see."""
    if rep and not team:
        if not user.caller.may_see_rep(rep):
            raise PageForbidden()
        return {rep}, False
    if user.role == "rep":
        if team:
            raise PageForbidden()  # a rep's report is their own; the team's is their manager's
        return {user.user.subject}, False
    reps = _all_reps(user) if user.caller.sees_all else set(user.caller.team)
    return reps, True


def _report(request: Request, user: PageUser, rep: str | None, week: str | None, team: int) -> tuple[WeeklyReport, bool]:
    reps, is_team = _reps(user, (rep or "").strip() or None, bool(team))
    talk_tracks = getattr(request.app.state, "talk_tracks", None)
    return weekly_report(user.settings, reps, parse_week(week), talk_tracks=talk_tracks), is_team


def _page(request: Request, report: WeeklyReport, is_team: bool, pdf: bool) -> Response:
    who = "、".join(report.rep_names[r] for r in report.rep_ids) if not is_team else None
    query = "team=1" if is_team else f"rep={quote(report.rep_ids[0])}" if report.rep_ids else ""
    return render(request, "reports/weekly.html", report=report, is_team=is_team, who=who, query=query, pdf=pdf)


@router.get("/reports/weekly")
def weekly(request: Request, user: Reader, rep: str | None = None, week: str | None = None,
           team: int = 0) -> Response:
    report, is_team = _report(request, user, rep, week, team)
    return _page(request, report, is_team, pdf=False)


@router.get("/reports/weekly.pdf")
def weekly_pdf(request: Request, user: Reader, rep: str | None = None, week: str | None = None,
               team: int = 0) -> Response:
    report, is_team = _report(request, user, rep, week, team)
    html = bytes(_page(request, report, is_team, pdf=True).body).decode("utf-8")
    subject = "team" if is_team else (report.rep_ids[0] if report.rep_ids else "none")
    filename = f"周报-{subject}-{report.week.label}.pdf"
    return Response(html_to_pdf(html), media_type="application/pdf",
                    headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}"})
