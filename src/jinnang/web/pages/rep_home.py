"""A rep's home (`/` for a rep), phone first: today's next actions, overdue accounts, the key dates of
the next two weeks, and the two buttons a rep needs most — a new visit and this week's report."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from jinnang.service.rep_day import rep_day
from jinnang.service.weekly import week_of
from jinnang.web.session import PageUser
from jinnang.web.templating import render

HOME_ACTIONS = 12  # the home lists the most urgent; the account pages have the rest


def rep_home(request: Request, user: PageUser) -> Response:
    rep_id = user.user.rep_id
    # the playbook's talk tracks are not needed for the list (only the messages show): the home stays fast
    day = rep_day(user.settings, {rep_id}) if rep_id else None
    week = week_of(day.now.date()).label if day else None
    return render(request, "rep/home.html", day=day, rep_id=rep_id, week=week, home_actions=HOME_ACTIONS)
