from django.core.management.base import BaseCommand

from contingency.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo


class Command(BaseCommand):
    help = 'Create the demo company "demo" and its admin user "demo" (idempotent).'

    def handle(self, *args, **options):
        company = seed_demo()
        self.stdout.write(f"Demo company {company.slug!r} ready; log in as {DEMO_USERNAME} / {DEMO_PASSWORD}")
