import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from contingency import drills
from contingency.models import ContingencyPlan, DrillRun, Scenario
from financeplanner.models import Company


def _by_name_or_id(queryset, value: str, what: str):
    found = queryset.filter(pk=value).first() if value.isdigit() else None
    found = found or queryset.filter(name=value).first()
    if found is None:
        raise CommandError(f"No {what} {value!r} in this company.")
    return found


class Command(BaseCommand):
    help = "Run a drill now, in this process, and print its summary (or the results as JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="company slug")
        parser.add_argument("--scenario", required=True, help="scenario name or id")
        parser.add_argument("--plan", help="contingency plan name or id")
        parser.add_argument("--paths", type=int, help="Monte Carlo paths (default: the scenario's)")
        parser.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
        parser.add_argument("--json", action="store_true", help="print the results object as JSON")

    def handle(self, *args, **options):
        company = Company.objects.filter(slug=options["company"]).first()
        if company is None:
            raise CommandError(f"No company {options['company']!r}.")
        scenario = _by_name_or_id(Scenario.objects.for_company(company), options["scenario"], "scenario")
        plan = None
        if options["plan"]:
            plan = _by_name_or_id(ContingencyPlan.objects.for_company(company), options["plan"], "plan")
        try:
            run = drills.drill_start(
                company=company, scenario=scenario, plan=plan, paths=options["paths"], seed=options["seed"],
                enqueue=False,
            )  # fmt: skip
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        drills.drill_run_here(drills.claim(run.pk))
        run = DrillRun.objects.get(pk=run.pk)
        if run.status != "succeeded":
            raise CommandError(f"Drill #{run.pk} failed: {run.error}")
        if options["json"]:
            self.stdout.write(json.dumps(run.results, indent=2, sort_keys=True))
        else:
            self.stdout.write(drills.summary_text(run))
