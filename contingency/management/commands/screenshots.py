"""Screenshots for the README: the demo company's main pages in each language, taken by the system Chromium.

    python manage.py screenshots [--output docs/screenshots] [--language en zh-hans] [--scenario "Market-wide tightening"]

Each page is saved as `<page>.png` in English and `<page>.<language>.png` in the other languages.

Seeds the demo company (idempotent), runs one drill in this process (no broker needed), serves the site from a
thread of this process on a free port and lets Playwright photograph the pages as the demo user.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.test.testcases import LiveServerThread
from django.urls import reverse

from contingency import drills
from contingency.demo import DEMO_USERNAME, seed_demo
from contingency.models import ContingencyPlan, DrillRun, DrillSchedule, Scenario

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


class Command(BaseCommand):
    help = "Seed the demo, run a drill and screenshot the main pages in each language into docs/screenshots/."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "screenshots"))
        languages = [code for code, _name in settings.LANGUAGES]
        parser.add_argument("--language", nargs="+", default=languages, choices=languages)
        parser.add_argument("--scenario", default="Market-wide tightening", help="demo scenario to drill")
        parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium executable")

    def handle(self, *args, **options):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise CommandError("Install the test extras (playwright) to take screenshots.") from exc
        if not Path(options["chromium"]).exists():
            raise CommandError(f"No Chromium at {options['chromium']}; pass --chromium.")
        output = Path(options["output"])
        output.mkdir(parents=True, exist_ok=True)

        company = seed_demo()
        run = self.drill(company, options["scenario"])
        user = get_user_model().objects.get(username=DEMO_USERNAME)
        client = Client()
        client.force_login(user)
        session_id = client.cookies[settings.SESSION_COOKIE_NAME].value

        # Playwright's sync API runs an event loop in this thread; the ORM is only used before and after it.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise CommandError(f"The screenshot server did not start: {server.error}")
        base = f"http://127.0.0.1:{server.port}"
        plan = ContingencyPlan.objects.for_company(company).order_by("name").first()
        schedule = DrillSchedule.objects.for_company(company).order_by("name").first()
        shots = [
            ("dashboard", reverse("dashboard"), None),
            ("drill-report", reverse("contingency:drill-detail", args=[run.pk]), "#channel-impact"),
            ("cash-flows", reverse("contingency:cashflow-list"), None),
            ("channels", reverse("channels:channel-list"), None),
            ("settings", reverse("settings:index"), None),
            ("fx-rates", reverse("settings:fxrate-list"), None),
            ("exports", reverse("exports"), None),
        ]
        if plan is not None:
            shots.append(("plan", reverse("contingency:plan-detail", args=[plan.pk]), None))
        if schedule is not None:
            shots.append(("schedule", reverse("contingency:schedule-detail", args=[schedule.pk]), None))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=options["chromium"], args=CHROMIUM_ARGS)
                for language in options["language"]:
                    suffix = "" if language == "en" else f".{language}"
                    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
                    context.add_cookies(
                        [
                            {"name": settings.SESSION_COOKIE_NAME, "value": session_id, "url": base},
                            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base},
                        ]
                    )
                    page = context.new_page()
                    for name, path, last_section in shots:
                        self.shoot(page, base + path, output / f"{name}{suffix}.png", last_section)
                    context.close()
                browser.close()
        finally:
            server.terminate()

    def shoot(self, page, url: str, target: Path, last_section: str | None) -> None:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if last_section:
            # The report down to (and with) the given section: long enough to show the story.
            box = page.locator(last_section).bounding_box()
            height = int(box["y"] + box["height"] + 16) if box else VIEWPORT["height"]
            clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height}
            page.screenshot(path=str(target), full_page=True, clip=clip)
        else:
            page.screenshot(path=str(target), full_page=True)
        self.stdout.write(f"{target} ({url})")

    def drill(self, company, scenario_name: str) -> DrillRun:
        scenario = Scenario.objects.for_company(company).filter(name=scenario_name).first()
        if scenario is None:
            raise CommandError(f"The demo company has no scenario {scenario_name!r}.")
        plan = ContingencyPlan.objects.for_company(company).filter(status="approved").order_by("name").first()
        run = drills.drill_start(company=company, scenario=scenario, plan=plan, enqueue=False)
        drills.drill_run_here(drills.claim(run.pk))
        run.refresh_from_db()
        if run.status != "succeeded":
            raise CommandError(f"Drill #{run.pk} failed: {run.error}")
        self.stdout.write(f"Drill #{run.pk}: {scenario.name} ({run.paths} paths)")
        return run
