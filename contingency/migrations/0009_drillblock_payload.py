from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contingency", "0008_treasury_date_range"),
    ]

    operations = [
        migrations.AddField(
            model_name="drillblock",
            name="payload",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="drillblock",
            name="result",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
