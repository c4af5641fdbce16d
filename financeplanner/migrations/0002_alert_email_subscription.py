from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("financeplanner", "0001_squashed_0011_help_texts"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="alert_emails",
            field=models.BooleanField(
                blank=True,
                help_text=(
                    "Whether the member receives early-warning alerts by e-mail, as they chose; empty: by their role "
                    "(admins and treasurers do)"
                ),
                null=True,
                verbose_name="Alert e-mails",
            ),
        ),
    ]
